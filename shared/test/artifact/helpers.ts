import { execFileSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'

/**
 * Real git in temp folders. Test repositories get a fixed identity and dates, and ignore the
 * machine's global and system config, so shas are the same on every machine.
 */
export const GIT_ENV: Record<string, string> = {
  GIT_AUTHOR_NAME: 'Ada Author',
  GIT_AUTHOR_EMAIL: 'ada@example.com',
  GIT_AUTHOR_DATE: '2024-03-01T10:00:00+01:00',
  GIT_COMMITTER_NAME: 'Carl Committer',
  GIT_COMMITTER_EMAIL: 'carl@example.com',
  GIT_COMMITTER_DATE: '2024-03-02T11:00:00+02:00',
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_CONFIG_GLOBAL: '/dev/null',
}

export function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, {
    cwd,
    env: { ...process.env, ...GIT_ENV },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  }).replace(/\n$/, '')
}

/** Like `git`, but a failing command gives '(failed)' (e.g. HEAD in a repository without commits). */
export function gitOrNothing(cwd: string, ...args: string[]): string {
  try {
    return git(cwd, ...args)
  } catch {
    return '(failed)'
  }
}

export type FileSpec = string | { content: string; executable?: boolean } | { symlink: string }

const made: string[] = []

export function tempDir(label = 'artifact-test'): string {
  const dir = mkdtempSync(join(tmpdir(), `${label}-`))
  made.push(dir)
  return dir
}

export function cleanup(): void {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true })
}

export function writeFiles(root: string, files: Record<string, FileSpec>): void {
  for (const [path, spec] of Object.entries(files)) {
    const full = join(root, path)
    mkdirSync(dirname(full), { recursive: true })
    rmSync(full, { force: true })
    if (typeof spec === 'string') writeFileSync(full, spec)
    else if ('symlink' in spec) symlinkSync(spec.symlink, full)
    else {
      writeFileSync(full, spec.content)
      if (spec.executable) chmodSync(full, 0o755)
    }
  }
}

/** A repository with one commit of `files` on branch main. */
export function makeRepo(files: Record<string, FileSpec>): string {
  const root = tempDir('repo')
  git(root, 'init', '--quiet', '--initial-branch=main')
  writeFiles(root, files)
  git(root, 'add', '--all')
  git(root, 'commit', '--quiet', '-m', 'Initial commit')
  return root
}

export function commitAll(root: string, message: string, date?: string): string {
  git(root, 'add', '--all')
  const env = date ? { GIT_COMMITTER_DATE: date, GIT_AUTHOR_DATE: date } : {}
  execFileSync('git', ['commit', '--quiet', '-m', message], { cwd: root, env: { ...process.env, ...GIT_ENV, ...env } })
  return git(root, 'rev-parse', 'HEAD')
}

/** Everything about the user's checkout that the artifact module must leave alone. */
export function checkoutState(root: string): Record<string, string> {
  const gitDir = git(root, 'rev-parse', '--absolute-git-dir')
  let index = '(none)'
  try {
    index = createHash('sha256')
      .update(readFileSync(join(gitDir, 'index')))
      .digest('hex')
  } catch {
    /* a repository without an index yet */
  }
  return {
    head: gitOrNothing(root, 'rev-parse', '--verify', '--quiet', 'HEAD^{commit}'),
    symbolicHead: git(root, 'symbolic-ref', 'HEAD'),
    refs: git(root, 'for-each-ref', '--format=%(refname) %(objectname)'),
    // --no-optional-locks: our own probe must not refresh (rewrite) the index we are watching.
    status: git(root, '--no-optional-locks', 'status', '--porcelain=v1', '--untracked-files=all', '--ignored'),
    index,
    stash: git(root, 'stash', 'list'),
  }
}

export interface FileInTree {
  mode: string
  content: string
}

/** path → mode and content (a symlink's content is its target) of every file in a tree. */
export function treeContents(gitDir: string, tree: string): Record<string, FileInTree> {
  const listing = execFileSync('git', ['--git-dir', gitDir, 'ls-tree', '-r', '-z', tree], { encoding: 'utf8' })
  const result: Record<string, FileInTree> = {}
  for (const record of listing.split('\0').filter(Boolean)) {
    const [meta = '', path = ''] = record.split('\t')
    const [mode = '', type = '', oid = ''] = meta.split(' ')
    const content =
      type === 'blob'
        ? execFileSync('git', ['--git-dir', gitDir, 'cat-file', 'blob', oid], { encoding: 'utf8' })
        : `<${type} ${oid}>`
    result[path] = { mode, content }
  }
  return result
}

/** Only the contents, for compact equality assertions. */
export function treeText(gitDir: string, tree: string): Record<string, string> {
  return Object.fromEntries(Object.entries(treeContents(gitDir, tree)).map(([path, file]) => [path, file.content]))
}
