import { createHash } from 'node:crypto'
import { lstat, readdir, readFile, realpath, stat } from 'node:fs/promises'
import path from 'node:path'
import { ActionError } from '@django-deploy/shared/errors'
import { mapLimit } from '../util/concurrency.js'

/**
 * The SHA1 digest of a directory, as Netlify's file-digest deploy wants it: deploy path (forward
 * slashes, no leading slash) → SHA1, and SHA1 → every path with that content (Netlify asks for a
 * SHA once; every path carrying it must then be uploaded).
 *
 * Skipped like the Netlify CLI skips them: dotfiles and dot-directories (except `.well-known`),
 * and `__MACOSX`. Refused: names with `#` or `?` (no URL can reach them), more than 54,000 files
 * in one directory (Netlify's limit), and symbolic links that lead outside the directory (a
 * downloaded build artifact is untrusted: a link to /etc/passwd must not be published).
 */
export interface Digest {
  files: Map<string, string>
  byHash: Map<string, string[]>
  /** Absolute path on disk of each deploy path. */
  source: Map<string, string>
  bytes: number
  skipped: string[]
}

const MAX_PER_DIRECTORY = 54_000

export async function digestDirectory(root: string, options: { concurrency?: number } = {}): Promise<Digest> {
  const realRoot = await realpath(root)
  const entries: Array<{ deployPath: string; file: string }> = []
  const skipped: string[] = []
  const problems: string[] = []

  async function walk(directory: string, prefix: string): Promise<void> {
    const names = (await readdir(directory)).sort()
    if (names.length > MAX_PER_DIRECTORY)
      problems.push(
        `${prefix || '.'} holds ${names.length} entries; Netlify accepts at most ${MAX_PER_DIRECTORY} files per directory`,
      )
    for (const name of names) {
      const deployPath = prefix ? `${prefix}/${name}` : name
      if ((name.startsWith('.') && name !== '.well-known') || name === '__MACOSX') {
        skipped.push(deployPath)
        continue
      }
      const full = path.join(directory, name)
      let info = await lstat(full)
      if (info.isSymbolicLink()) {
        const target = await realpath(full).catch(() => undefined)
        if (target === undefined || (target !== realRoot && !target.startsWith(realRoot + path.sep))) {
          problems.push(`${deployPath} is a symbolic link to a place outside the site`)
          continue
        }
        info = await stat(full)
      }
      if (info.isDirectory()) {
        await walk(full, deployPath)
      } else if (info.isFile()) {
        if (/[#?]/.test(name))
          problems.push(`${deployPath}: '#' and '?' cannot appear in a URL path, so Netlify cannot serve this file`)
        else entries.push({ deployPath, file: full })
      }
    }
  }

  await walk(realRoot, '')
  if (problems.length) {
    throw new ActionError(
      `The site in ${root} cannot be deployed to Netlify:\n${problems
        .slice(0, 20)
        .map((problem) => `  - ${problem}`)
        .join('\n')}${problems.length > 20 ? `\n  … and ${problems.length - 20} more` : ''}`,
      {
        input: 'output-dir',
        hint: 'Rename or remove these files (or fix the generator that writes them).',
      },
    )
  }

  const files = new Map<string, string>()
  const byHash = new Map<string, string[]>()
  const source = new Map<string, string>()
  let bytes = 0
  const hashes = await mapLimit(entries, options.concurrency ?? 32, async (entry) => {
    const content = await readFile(entry.file)
    bytes += content.length
    return createHash('sha1').update(content).digest('hex')
  })
  entries.forEach((entry, index) => {
    const sha = hashes[index] as string
    files.set(entry.deployPath, sha)
    source.set(entry.deployPath, entry.file)
    const paths = byHash.get(sha)
    if (paths) paths.push(entry.deployPath)
    else byHash.set(sha, [entry.deployPath])
  })
  return { files, byHash, source, bytes, skipped }
}
