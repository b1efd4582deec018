import { ActionError } from '../errors.js'

/**
 * Path rules for the artifact. Paths are POSIX, relative, and never leave the artifact root: the
 * same strings go into git's index, into tar headers, and into a Linux container's build context.
 */

/**
 * google-github-actions/auth writes `gha-creds-<16 hex>.json` (a credential configuration, or the
 * full service-account key in JSON-key mode) into $GITHUB_WORKSPACE. It is untracked, so it never
 * reaches HEAD by accident, but it would reach a working-tree snapshot, and a user may have
 * committed one. It never belongs in a deploy artifact, at any depth, in any letter case.
 */
const SECRET_FILE = /^gha-creds-[^/]*\.json$/i

/** The pathspec that keeps those files out of `git add` (glob `**` matches zero or more dirs). */
export const SECRET_PATHSPEC_EXCLUDES = [':(exclude,glob,icase)**/gha-creds-*.json']

export function isSecretPath(path: string): boolean {
  return SECRET_FILE.test(path.slice(path.lastIndexOf('/') + 1))
}

/**
 * The deployed folder, relative to the repository root: '' for the root, else 'a/b' (no leading
 * './', no trailing '/'). Leaving the repository is an error naming the input that set it.
 */
export function normalizeSubdirectory(value: string | undefined, input: string): string {
  const raw = (value ?? '').replace(/\\/g, '/').trim()
  if (raw.startsWith('/') || /^[A-Za-z]:/.test(raw)) {
    throw new ActionError(`'${value}' is an absolute path; it must be relative to the repository root.`, {
      input,
      hint: `Write the folder relative to the repository root, e.g. '${raw.replace(/^([A-Za-z]:)?\/+/, '') || 'app'}'.`,
    })
  }
  const segments = raw.split('/').filter((segment) => segment !== '' && segment !== '.')
  if (segments.includes('..') || segments.some((segment) => /[\0\n\r]/.test(segment))) {
    throw new ActionError(`'${value}' points outside the repository.`, {
      input,
      hint: 'Use a folder inside the repository, relative to its root, without "..".',
    })
  }
  if (segments.some((segment) => segment.toLowerCase() === '.git')) {
    throw new ActionError(`'${value}' is inside git's own '.git' folder.`, {
      input,
      hint: 'Point it at a folder of your project instead.',
    })
  }
  return segments.join('/')
}

/**
 * A generated file's path must already be in canonical form; we refuse rather than guess, because
 * the caller compares these paths with the repository's (collision checks, summaries).
 */
export function checkGeneratedPath(path: string): void {
  const problem = generatedPathProblem(path)
  if (problem) {
    throw new ActionError(`Cannot add generated file '${path}' to the deploy artifact: ${problem}.`, {
      hint: 'This is a bug in the action (the generated path comes from our code or your inputs); please report it.',
    })
  }
  if (isSecretPath(path)) {
    throw new ActionError(
      `Refusing to put '${path}' into the deploy artifact: files named gha-creds-*.json hold Google Cloud credentials.`,
      {
        hint: "Credentials belong in the deploy target's secret store (Secret Manager, Dokku config), never in the deployed files.",
      },
    )
  }
}

function generatedPathProblem(path: string): string | undefined {
  if (path === '') return 'the path is empty'
  if (path.startsWith('/')) return 'the path is absolute'
  if (path.includes('\\')) return 'the path contains a backslash (use /)'
  if (/[\0\n\r]/.test(path)) return 'the path contains a control character'
  const segments = path.split('/')
  if (segments.some((segment) => segment === '' || segment === '.' || segment === '..'))
    return 'the path is not in canonical form (empty, "." or ".." segment)'
  if (segments.some((segment) => segment.toLowerCase() === '.git')) return 'the path is inside .git'
  return undefined
}

/** `a/b/c` → ['a', 'a/b']: the folders a path needs. */
export function parentFolders(path: string): string[] {
  const segments = path.split('/')
  return segments.slice(0, -1).map((_, index) => segments.slice(0, index + 1).join('/'))
}

/** Join a subdirectory prefix ('' or 'a/b') and a relative path. */
export function joinPath(prefix: string, path: string): string {
  if (prefix === '') return path
  if (path === '') return prefix
  return `${prefix}/${path}`
}
