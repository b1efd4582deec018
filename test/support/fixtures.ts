import { cp, mkdir, writeFile } from 'node:fs/promises'
import { basename, dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { mustSucceed, run } from './process.js'
import { makeTempDir, type CleanupRegistrar } from './rundir.js'

/** test/fixtures/, the source of every fixture (never modify it: copy first). */
export const FIXTURES_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures')

export const FIXTURES = [
  'flat',
  'split-settings',
  'nested-src',
  'poetry',
  'pipfile',
  'uv',
  'pdm',
  'with-dockerfile',
  'syntax-error',
  'not-django',
  'tutorial',
  'example-site',
  'required-env',
  'app-subfolder',
  'compressor',
  'asgi-only',
] as const

export type FixtureName = (typeof FIXTURES)[number]

/** The read-only source directory of a fixture. */
export function fixturePath(name: FixtureName): string {
  return join(FIXTURES_DIR, name)
}

/** Files a local run may leave in a fixture's source tree; never copied. */
const LOCAL_ARTIFACTS = new Set(['__pycache__', 'db.sqlite3', 'staticfiles', '.venv', 'node_modules', '.pytest_cache'])

export interface CopyOptions {
  /** Extra or replaced files, by path relative to the copy's root, written after copying. */
  files?: Record<string, string>
  /** Place the fixture in this subdirectory of the returned directory (e.g. "apps/site", for monorepo layouts). */
  subdir?: string
  /** Where to register the removal of the copy; otherwise it is removed at the run's teardown. */
  cleanup?: CleanupRegistrar
}

async function writeFiles(root: string, files: Record<string, string>): Promise<void> {
  for (const [path, content] of Object.entries(files)) {
    const target = resolve(root, path)
    if (!target.startsWith(root + '/')) throw new Error(`file path escapes the copy: ${path}`)
    await mkdir(dirname(target), { recursive: true })
    await writeFile(target, content)
  }
}

/**
 * Copy a fixture into a fresh temporary directory (without local artifacts such as db.sqlite3
 * or __pycache__) and return the directory. With `subdir`, the fixture goes into that
 * subdirectory and the returned directory is its parent root.
 */
export async function copyFixture(name: FixtureName, options: CopyOptions = {}): Promise<string> {
  const root = await makeTempDir(`${name}-`, options.cleanup)
  const target = options.subdir ? resolve(root, options.subdir) : root
  if (!target.startsWith(root)) throw new Error(`subdir escapes the copy: ${options.subdir}`)
  await cp(fixturePath(name), target, {
    recursive: true,
    filter: (source) => !LOCAL_ARTIFACTS.has(basename(source)) && !source.endsWith('.pyc'),
  })
  await writeFiles(root, options.files ?? {})
  return root
}

/** Fixed identity and dates, and no user/system git config, so commits are reproducible (same tree, same SHA). */
export const GIT_ENV: NodeJS.ProcessEnv = {
  PATH: process.env.PATH ?? '/usr/bin:/bin',
  HOME: '/nonexistent',
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_CONFIG_GLOBAL: '/dev/null',
  GIT_AUTHOR_NAME: 'Fixture Author',
  GIT_AUTHOR_EMAIL: 'fixtures@example.com',
  GIT_AUTHOR_DATE: '2024-01-01T12:00:00Z',
  GIT_COMMITTER_NAME: 'Fixture Author',
  GIT_COMMITTER_EMAIL: 'fixtures@example.com',
  GIT_COMMITTER_DATE: '2024-01-01T12:00:00Z',
  LANG: 'C',
  LC_ALL: 'C',
}

/** Run git with GIT_ENV in `cwd`; throws with git's output on failure; returns stdout. */
export async function git(cwd: string, args: readonly string[]): Promise<string> {
  const result = mustSucceed(
    await run('git', ['-c', 'init.defaultBranch=main', '-c', 'commit.gpgsign=false', ...args], {
      cwd,
      env: GIT_ENV,
      timeoutMs: 60_000,
    }),
    `git ${args.join(' ')}`,
  )
  return result.stdout.trim()
}

export interface RepoOptions extends CopyOptions {
  /**
   * Return a `git clone --depth 1` of the repository, like actions/checkout's default. The
   * origin then has one more (empty) commit on top, so the clone's history really is cut short.
   */
  shallow?: boolean
}

export interface FixtureRepo {
  /** The working tree to use (the clone when shallow). */
  dir: string
  /** The commit checked out in `dir`. */
  head: string
  /** The repository `dir` was cloned from (file://), when shallow. */
  origin?: string
}

/**
 * A temporary git repository (branch main) whose first commit holds the fixture (plus
 * `files`), made with a fixed identity and date. See RepoOptions.shallow.
 */
export async function fixtureRepo(name: FixtureName, options: RepoOptions = {}): Promise<FixtureRepo> {
  const origin = await copyFixture(name, options)
  await git(origin, ['init', '-q'])
  await git(origin, ['add', '-A'])
  await git(origin, ['commit', '-q', '-m', `Add the ${name} fixture`])
  if (!options.shallow) return { dir: origin, head: await git(origin, ['rev-parse', 'HEAD']) }

  await git(origin, ['commit', '-q', '--allow-empty', '-m', 'A later commit'])
  const parent = await makeTempDir(`${name}-clone-`, options.cleanup)
  const dir = join(parent, 'checkout')
  await git(parent, ['clone', '-q', '--depth', '1', '--branch', 'main', `file://${origin}`, dir])
  return { dir, head: await git(dir, ['rev-parse', 'HEAD']), origin }
}
