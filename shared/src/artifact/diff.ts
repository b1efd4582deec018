import type { CommandRunner } from '../runtime/command.js'
import { Git, splitNul } from './git.js'

/**
 * What changed between two artifacts, for logs and the job summary ("3 files changed since the
 * last deploy"). Renames are reported as a delete plus an add: stable, and cheap to compute.
 */
export type ChangeStatus = 'added' | 'modified' | 'deleted' | 'type-changed'

export interface TreeChange {
  status: ChangeStatus
  path: string
}

export interface TreeDiff {
  changes: TreeChange[]
  added: number
  modified: number
  deleted: number
  /** "3 files changed (1 added, 2 modified)" or "no files changed". */
  summary: string
}

export interface DiffOptions {
  gitDir: string
  /** Tree or commit of the previous artifact; null/undefined compares with an empty tree. */
  from?: string | null
  to: string
  runner: CommandRunner
}

const STATUS: Record<string, ChangeStatus> = { A: 'added', M: 'modified', D: 'deleted', T: 'type-changed' }

export async function diffTrees(options: DiffOptions): Promise<TreeDiff> {
  const git = new Git(options.runner, { gitDir: options.gitDir })
  // The empty tree's id depends on the object format (sha1/sha256); git knows it without storing it.
  const from = options.from ?? (await git.text(['hash-object', '-t', 'tree', '--stdin'], { input: '' }))
  for (const [name, revision] of [
    ['from', from],
    ['to', options.to],
  ] as const) {
    const exists = await git.run(['cat-file', '-e', '--end-of-options', `${revision}^{tree}`], { okExitCodes: [1, 128] })
    if (exists.exitCode !== 0)
      throw new Error(`diffTrees: '${revision}' (${name}) is not a tree or commit in ${options.gitDir}; fetch it first.`)
  }
  const { stdout } = await git.run([
    'diff-tree',
    '-r',
    '-z',
    '--no-renames',
    '--name-status',
    '--end-of-options',
    from,
    options.to,
  ])
  const records = splitNul(stdout)
  const changes: TreeChange[] = []
  for (let index = 0; index + 1 < records.length; index += 2) {
    const letter = (records[index] ?? '').charAt(0)
    changes.push({ status: STATUS[letter] ?? 'modified', path: records[index + 1] ?? '' })
  }
  return summarize(changes)
}

export function summarize(changes: TreeChange[]): TreeDiff {
  const count = (status: ChangeStatus) => changes.filter((change) => change.status === status).length
  const added = count('added')
  const deleted = count('deleted')
  const modified = changes.length - added - deleted
  const parts = [added && `${added} added`, modified && `${modified} modified`, deleted && `${deleted} deleted`].filter(Boolean)
  const summary =
    changes.length === 0
      ? 'no files changed'
      : `${changes.length} file${changes.length === 1 ? '' : 's'} changed (${parts.join(', ')})`
  return { changes, added, modified, deleted, summary }
}
