#!/usr/bin/env node
// Publish one action of this monorepo to its own repository, so users can write
// `uses: django-deploy/action-dokku@v1` (actions-style.md §3). The published repository holds only
// what the runner and the Marketplace need, never sources that could drift:
//
//   action.yml  dist/**  README.md (links into the monorepo made absolute)  LICENSE  CHANGELOG.md
//
// It commits that tree on top of the repository's branch, tags it vX.Y.Z (annotated, never moved:
// a published version is immutable) and moves vX.Y and vX to it when it is the newest release of
// that line, then pushes everything in one atomic push. Publishing the same version again with
// the same content is a no-op; with different content it is refused.
//
//   node scripts/publish.ts action-dokku 1.2.0 --remote <url|path> [options]
//
//   --remote URL|PATH   the action's repository (required); a local bare repository works
//   --dist DIR          the bundle to publish (default: <action>/dist; CI passes a fresh bundle)
//   --repo OWNER/NAME   the monorepo, for absolute README links (default: $GITHUB_REPOSITORY or
//                       django-deploy/django-deploy-actions)
//   --ref REF           the monorepo commit the links point at (default: git rev-parse HEAD)
//   --branch NAME       the published repository's branch (default: main)
//   --notes FILE        also write the release notes (Markdown) to FILE
//   --require-changelog fail unless CHANGELOG.md has a section for this version
//   --no-push           do everything but the push; print where the result is
//
// No network of its own: git does the transport, with whatever credentials the caller configured.
import { spawnSync } from 'node:child_process'
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { parse } from 'yaml'

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
export const ACTIONS = ['action-dokku', 'action-static', 'action-cloudrun'] as const
export const DEFAULT_MONOREPO = 'django-deploy/django-deploy-actions'
/** Files of the published repository that come from the monorepo (dist/ aside). */
export const PUBLISHED_FILES = ['action.yml', 'README.md', 'LICENSE', 'CHANGELOG.md'] as const

export class PublishError extends Error {}

// ---------------------------------------------------------------------------------------------
// Versions

export interface Version {
  major: number
  minor: number
  patch: number
  prerelease?: string
  text: string
}

export function parseVersion(text: string): Version {
  const match = /^v?(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-([0-9A-Za-z.-]+))?$/.exec(text.trim())
  if (!match) throw new PublishError(`'${text}' is not a version: expected X.Y.Z (e.g. 1.2.0) or X.Y.Z-pre (e.g. 1.2.0-rc.1).`)
  const [, major, minor, patch, prerelease] = match
  return {
    major: Number(major),
    minor: Number(minor),
    patch: Number(patch),
    prerelease,
    text: `${major}.${minor}.${patch}${prerelease ? `-${prerelease}` : ''}`,
  }
}

export function compareVersions(a: Version, b: Version): number {
  const core = a.major - b.major || a.minor - b.minor || a.patch - b.patch
  if (core !== 0) return core
  if (a.prerelease === b.prerelease) return 0
  if (!a.prerelease) return 1
  if (!b.prerelease) return -1
  return a.prerelease.localeCompare(b.prerelease, 'en', { numeric: true })
}

/** Which floating tags move to `version`, given the versions already tagged: only the newest of a line moves it. */
export function floatingTags(version: Version, published: readonly Version[]): string[] {
  if (version.prerelease) return []
  const stable = published.filter((other) => !other.prerelease)
  const newest = (filter: (other: Version) => boolean) =>
    stable.filter(filter).every((other) => compareVersions(version, other) >= 0)
  const tags: string[] = []
  if (newest((other) => other.major === version.major && other.minor === version.minor))
    tags.push(`v${version.major}.${version.minor}`)
  if (newest((other) => other.major === version.major)) tags.push(`v${version.major}`)
  return tags
}

// ---------------------------------------------------------------------------------------------
// CHANGELOG.md: Keep a Changelog, one `## action-x` part per action, `### [version] - date` sections

interface ChangelogPart {
  /** Text before the first version section (the part's intro). */
  intro: string
  sections: Array<{ heading: string; version: string; body: string }>
}

export function changelogPart(changelog: string, action: string): ChangelogPart | undefined {
  const parts = changelog.split(/^(?=## )/m)
  const part = parts.find((chunk) => chunk.startsWith(`## ${action}\n`) || chunk.startsWith(`## ${action} `))
  if (!part) return undefined
  const body = part.slice(part.indexOf('\n') + 1)
  const chunks = body.split(/^(?=### )/m)
  const intro = chunks[0]?.startsWith('### ') ? '' : (chunks.shift() ?? '')
  const sections = chunks.map((chunk) => {
    const heading = chunk.slice(4, chunk.indexOf('\n') === -1 ? undefined : chunk.indexOf('\n')).trim()
    const version = /^\[([^\]]+)\]/.exec(heading)?.[1] ?? heading
    return { heading, version, body: chunk.slice(chunk.indexOf('\n') + 1).trim() }
  })
  return { intro: intro.trim(), sections }
}

/** The changelog of one action, as the published repository shows it (headings one level up). */
export function publishedChangelog(changelog: string, action: string): string {
  const part = changelogPart(changelog, action)
  if (!part) throw new PublishError(`CHANGELOG.md has no '## ${action}' part.`)
  const lines = [
    '# Changelog',
    '',
    `All notable changes to ${action} are documented in this file. The format is based on [Keep a Changelog](https://keepachangelog.com/en/1.1.0/), and this action adheres to [Semantic Versioning](https://semver.org/spec/v2.0.0.html).`,
    '',
  ]
  for (const section of part.sections) {
    lines.push(`## ${section.heading}`, '')
    if (section.body) lines.push(section.body.replace(/^#### /gm, '### '), '')
  }
  return lines.join('\n')
}

export function changelogSection(changelog: string, action: string, version: string): string | undefined {
  const body = changelogPart(changelog, action)?.sections.find((section) => section.version === version)?.body
  return body === undefined ? undefined : body.replace(/^#### /gm, '### ')
}

// ---------------------------------------------------------------------------------------------
// README links

/**
 * Relative links in the README point into the monorepo. In the published repository they must
 * point at files that exist there (action.yml, LICENSE, CHANGELOG.md) or be absolute URLs to the
 * monorepo at the released commit. Markdown links, images, reference definitions and HTML
 * href/src attributes are rewritten; code blocks are left alone.
 */
export function rewriteReadmeLinks(
  markdown: string,
  options: {
    action: string
    repo: string
    ref: string
    published: ReadonlySet<string>
    exists: (monorepoPath: string) => 'file' | 'dir' | undefined
  },
): string {
  const rewrite = (target: string): string => {
    if (/^(?:[a-z][a-z0-9+.-]*:|#|\/\/)/i.test(target) || target === '') return target
    const hashAt = target.search(/[?#]/)
    const file = hashAt === -1 ? target : target.slice(0, hashAt)
    const suffix = hashAt === -1 ? '' : target.slice(hashAt)
    const resolved = file.startsWith('/')
      ? path.posix.normalize(file.slice(1))
      : path.posix.normalize(path.posix.join(options.action, file))
    if (resolved.startsWith('../')) throw new PublishError(`README.md links to '${target}', outside the repository.`)
    if (resolved.startsWith(`${options.action}/`) || resolved === options.action) {
      const inside = resolved === options.action ? '' : resolved.slice(options.action.length + 1)
      if (options.published.has(inside) || inside.startsWith('dist/')) return `${inside}${suffix}` || './'
    }
    if (resolved === 'LICENSE' || resolved === 'CHANGELOG.md') return `${resolved}${suffix}`
    const kind = options.exists(resolved.replace(/\/+$/, ''))
    if (!kind) throw new PublishError(`README.md links to '${target}' (${resolved} in the monorepo), which does not exist.`)
    return `https://github.com/${options.repo}/${kind === 'dir' ? 'tree' : 'blob'}/${options.ref}/${resolved}${suffix}`
  }
  const lines = markdown.split('\n')
  let fence: string | undefined
  return lines
    .map((line) => {
      const opener = /^\s{0,3}(`{3,}|~{3,})/.exec(line)?.[1]
      if (opener && (!fence || (opener[0] === fence[0] && opener.length >= fence.length))) {
        fence = fence ? undefined : opener
        return line
      }
      if (fence) return line
      return line
        .replace(/(!?\[[^\]]*\]\()(<[^>]+>|[^)\s]+)((?:\s+"[^"]*")?\))/g, (_all, open: string, target: string, close: string) => {
          const bare = target.startsWith('<') ? target.slice(1, -1) : target
          return `${open}${rewrite(bare)}${close}`
        })
        .replace(/^(\s{0,3}\[[^\]]+\]:\s+)(\S+)/, (_all, open: string, target: string) => `${open}${rewrite(target)}`)
        .replace(/\b(href|src)="([^"]+)"/g, (_all, attribute: string, target: string) => `${attribute}="${rewrite(target)}"`)
    })
    .join('\n')
}

// ---------------------------------------------------------------------------------------------
// git

function git(
  cwd: string,
  args: string[],
  options: { allowFail?: boolean; input?: string; env?: NodeJS.ProcessEnv } = {},
): { status: number; stdout: string; stderr: string } {
  const result = spawnSync('git', args, {
    cwd,
    encoding: 'utf8',
    input: options.input,
    env: { ...process.env, GIT_TERMINAL_PROMPT: '0', ...options.env },
  })
  if (result.error) throw new PublishError(`git ${args[0]} could not start: ${result.error.message}`)
  const out = { status: result.status ?? 1, stdout: result.stdout.trim(), stderr: result.stderr.trim() }
  if (out.status !== 0 && !options.allowFail)
    throw new PublishError(`git ${args.join(' ')} failed (exit ${out.status}):\n${out.stderr || out.stdout}`)
  return out
}

// ---------------------------------------------------------------------------------------------
// Staging the published tree

export interface PublishOptions {
  action: string
  version: string
  remote: string
  root?: string
  dist?: string
  repo?: string
  ref?: string
  branch?: string
  notesFile?: string
  requireChangelog?: boolean
  push?: boolean
  log?: (line: string) => void
}

export interface PublishResult {
  /** The clone the commit and tags were made in (deleted after a push). */
  workdir?: string
  commit: string
  tag: string
  moved: string[]
  notes: string
  /** The version was already published with this exact content: nothing was pushed. */
  unchanged: boolean
}

function checkAction(root: string, action: string, dist: string): { spec: Record<string, unknown>; files: string[] } {
  const metadata = path.join(root, action, 'action.yml')
  let spec: Record<string, unknown>
  try {
    spec = parse(readFileSync(metadata, 'utf8')) as Record<string, unknown>
  } catch (error) {
    throw new PublishError(`${action}/action.yml does not parse: ${(error as Error).message}`)
  }
  const runs = (spec.runs ?? {}) as Record<string, unknown>
  if (runs.using !== 'node24')
    throw new PublishError(`${action}/action.yml: runs.using is '${String(runs.using)}', expected node24.`)
  if (!existsSync(dist) || !statSync(dist).isDirectory())
    throw new PublishError(`${path.relative(root, dist) || dist} does not exist: bundle the action first (npm run bundle).`)
  for (const key of ['main', 'pre', 'post'] as const) {
    const entry = runs[key]
    if (typeof entry !== 'string') continue
    if (!entry.startsWith('dist/'))
      throw new PublishError(`${action}/action.yml: runs.${key} '${entry}' is outside dist/, which is all that is published.`)
    if (!existsSync(path.join(dist, entry.slice('dist/'.length))))
      throw new PublishError(`runs.${key} is ${entry}, but the bundle has no ${entry.slice('dist/'.length)} (in ${dist}).`)
  }
  const files = listFiles(dist).map((file) => `dist/${file}`)
  return { spec, files }
}

function listFiles(dir: string, prefix = ''): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const relative = prefix ? `${prefix}/${entry.name}` : entry.name
    if (entry.isDirectory()) return listFiles(path.join(dir, entry.name), relative)
    return entry.isFile() ? [relative] : []
  })
}

/** Release notes: the CHANGELOG section, then the commits since the previous release that touched the action or shared/. */
export function releaseNotes(
  root: string,
  action: string,
  version: string,
  options: { requireChangelog?: boolean } = {},
): string {
  const changelog = existsSync(path.join(root, 'CHANGELOG.md')) ? readFileSync(path.join(root, 'CHANGELOG.md'), 'utf8') : ''
  const section = changelogSection(changelog, action, version)
  if (section === undefined && options.requireChangelog) {
    throw new PublishError(
      `CHANGELOG.md has no '### [${version}]' section under '## ${action}': move the Unreleased entries there before tagging.`,
    )
  }
  const parts = [section ?? `No changelog entry for ${version}.`]
  const isRepo = git(root, ['rev-parse', '--git-dir'], { allowFail: true }).status === 0
  if (isRepo) {
    const previous = git(root, ['tag', '--list', `${action}-v*`, '--sort=-v:refname', '--merged', 'HEAD'], { allowFail: true })
      .stdout.split('\n')
      .filter((tag) => tag && tag !== `${action}-v${version}`)[0]
    if (previous) {
      const log = git(
        root,
        ['log', '--no-merges', '--format=- %s (%h)', `${previous}..HEAD`, '--', action, 'shared', 'package-lock.json'],
        { allowFail: true },
      ).stdout
      parts.push(`### Commits since ${previous}\n\n${log || '- (none touching this action or shared/)'}`)
    }
  }
  return `${parts.join('\n\n')}\n`
}

export function publish(options: PublishOptions): PublishResult {
  const root = options.root ?? ROOT
  const log = options.log ?? ((line: string) => console.log(line))
  const { action } = options
  if (!(ACTIONS as readonly string[]).includes(action))
    throw new PublishError(`'${action}' is not one of this repository's actions (${ACTIONS.join(', ')}).`)
  const version = parseVersion(options.version)
  // The cheap refusals first: no release without notes, no release of a broken layout.
  const notes = releaseNotes(root, action, version.text, { requireChangelog: options.requireChangelog })
  const dist = path.resolve(options.dist ?? path.join(root, action, 'dist'))
  checkAction(root, action, dist)
  const branch = options.branch ?? 'main'
  const repo = options.repo ?? process.env.GITHUB_REPOSITORY ?? DEFAULT_MONOREPO
  const ref = options.ref ?? git(root, ['rev-parse', 'HEAD']).stdout
  if (options.notesFile) writeFileSync(options.notesFile, notes)

  // The published tree, staged outside the clone so an interrupted run leaves the clone untouched.
  const stage = mkdtempSync(path.join(tmpdir(), `publish-${action}-stage-`))
  const workdir = mkdtempSync(path.join(tmpdir(), `publish-${action}-`))
  try {
    cpSync(path.join(root, action, 'action.yml'), path.join(stage, 'action.yml'))
    cpSync(dist, path.join(stage, 'dist'), { recursive: true })
    cpSync(path.join(root, 'LICENSE'), path.join(stage, 'LICENSE'))
    writeFileSync(
      path.join(stage, 'CHANGELOG.md'),
      publishedChangelog(readFileSync(path.join(root, 'CHANGELOG.md'), 'utf8'), action),
    )
    const published = new Set<string>([...PUBLISHED_FILES])
    const readme = rewriteReadmeLinks(readFileSync(path.join(root, action, 'README.md'), 'utf8'), {
      action,
      repo,
      ref,
      published,
      exists: (file) => {
        const full = path.join(root, file)
        if (!existsSync(full)) return undefined
        return statSync(full).isDirectory() ? 'dir' : 'file'
      },
    })
    writeFileSync(path.join(stage, 'README.md'), readme)

    // The published repository: clone (an empty one is fine: the first release creates the branch).
    git(path.dirname(workdir), ['clone', '--quiet', '--no-checkout', options.remote, workdir])
    const hasBranch =
      git(workdir, ['rev-parse', '--verify', '--quiet', `refs/remotes/origin/${branch}`], { allowFail: true }).status === 0
    git(workdir, ['checkout', '--quiet', ...(hasBranch ? ['-B', branch, `origin/${branch}`] : ['--orphan', branch])])
    const tags = git(workdir, ['tag', '--list']).stdout.split('\n').filter(Boolean)
    const tag = `v${version.text}`

    // Replace the whole tree with the staged one (a file removed from the action disappears).
    git(workdir, ['rm', '-r', '--quiet', '--cached', '--ignore-unmatch', '.'])
    for (const entry of readdirSync(workdir))
      if (entry !== '.git') rmSync(path.join(workdir, entry), { recursive: true, force: true })
    cpSync(stage, workdir, { recursive: true })
    git(workdir, ['add', '--all', '--force', '.'])
    const tree = git(workdir, ['write-tree']).stdout

    if (tags.includes(tag)) {
      const taggedTree = git(workdir, ['rev-parse', `${tag}^{tree}`]).stdout
      if (taggedTree !== tree) {
        throw new PublishError(
          `${tag} is already published in ${options.remote} with different content; a published version never changes. Release a new version (e.g. ${version.major}.${version.minor}.${version.patch + 1}).`,
        )
      }
      log(`${action} ${tag} is already published with this content: nothing to do.`)
      return { commit: git(workdir, ['rev-parse', `${tag}^{commit}`]).stdout, tag, moved: [], notes, unchanged: true }
    }

    const identity = {
      GIT_AUTHOR_NAME: process.env.GIT_AUTHOR_NAME ?? 'django-deploy release',
      GIT_AUTHOR_EMAIL: process.env.GIT_AUTHOR_EMAIL ?? 'release@django-deploy.invalid',
      GIT_COMMITTER_NAME: process.env.GIT_COMMITTER_NAME ?? process.env.GIT_AUTHOR_NAME ?? 'django-deploy release',
      GIT_COMMITTER_EMAIL: process.env.GIT_COMMITTER_EMAIL ?? process.env.GIT_AUTHOR_EMAIL ?? 'release@django-deploy.invalid',
    }
    const head = git(workdir, ['rev-parse', '--verify', '--quiet', 'HEAD'], { allowFail: true })
    let commit = head.status === 0 ? head.stdout : ''
    if (!commit || git(workdir, ['rev-parse', 'HEAD^{tree}']).stdout !== tree) {
      git(
        workdir,
        [
          'commit',
          '--quiet',
          '--no-verify',
          '--allow-empty',
          '-m',
          `${action} ${tag}\n\nBuilt from https://github.com/${repo}/commit/${ref}`,
        ],
        { env: identity },
      )
      commit = git(workdir, ['rev-parse', 'HEAD']).stdout
    }
    git(workdir, ['tag', '--annotate', '--cleanup=verbatim', '--file', '-', tag, commit], {
      input: `${action} ${tag}\n\n${notes}`,
      env: identity,
    })

    const existing = tags.filter((name) => /^v\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?$/.test(name)).map(parseVersion)
    const moved = floatingTags(version, existing)
    for (const floating of moved) git(workdir, ['tag', '--force', floating, commit])

    const refspecs = [
      `HEAD:refs/heads/${branch}`,
      `refs/tags/${tag}:refs/tags/${tag}`,
      ...moved.map((floating) => `+refs/tags/${floating}:refs/tags/${floating}`),
    ]
    if (options.push === false) {
      log(
        `${action} ${tag}: committed ${commit.slice(0, 7)} in ${workdir}; not pushed (--no-push). Would push: ${refspecs.join(' ')}`,
      )
      return { workdir, commit, tag, moved, notes, unchanged: false }
    }
    // One atomic push: the branch, the new version and the moved tags land together or not at all.
    git(workdir, ['push', '--atomic', '--quiet', 'origin', ...refspecs])
    log(
      `${action} ${tag} published to ${redact(options.remote)}: ${commit.slice(0, 7)}${moved.length ? `; moved ${moved.join(', ')}` : ''}.`,
    )
    return { commit, tag, moved, notes, unchanged: false }
  } finally {
    rmSync(stage, { recursive: true, force: true })
    if (options.push !== false) rmSync(workdir, { recursive: true, force: true })
  }
}

/** A remote URL without its credentials, for logs. */
function redact(remote: string): string {
  return remote.replace(/\/\/[^/@]+@/, '//***@')
}

// ---------------------------------------------------------------------------------------------
// CLI

function cli(argv: string[]): PublishOptions {
  const positional: string[] = []
  const options: Partial<PublishOptions> = {}
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string
    const value = () => {
      const next = argv[++i]
      if (next === undefined) throw new PublishError(`${arg} needs a value.`)
      return next
    }
    if (arg === '--remote') options.remote = value()
    else if (arg === '--dist') options.dist = value()
    else if (arg === '--repo') options.repo = value()
    else if (arg === '--ref') options.ref = value()
    else if (arg === '--branch') options.branch = value()
    else if (arg === '--notes') options.notesFile = value()
    else if (arg === '--require-changelog') options.requireChangelog = true
    else if (arg === '--no-push') options.push = false
    else if (arg.startsWith('--')) throw new PublishError(`unknown option ${arg}`)
    else positional.push(arg)
  }
  const [action, version] = positional
  if (!action || !version || positional.length > 2 || !options.remote) {
    throw new PublishError(
      'usage: node scripts/publish.ts <action-dokku|action-static|action-cloudrun> <X.Y.Z> --remote <url|path> [--dist DIR] [--repo OWNER/NAME] [--ref SHA] [--branch main] [--notes FILE] [--require-changelog] [--no-push]',
    )
  }
  return { ...options, action, version, remote: options.remote }
}

if (import.meta.main) {
  try {
    publish(cli(process.argv.slice(2)))
  } catch (error) {
    console.error(`publish: ${error instanceof PublishError ? error.message : (error as Error).stack}`)
    process.exit(1)
  }
}
