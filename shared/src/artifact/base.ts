import { stat } from 'node:fs/promises'
import { join } from 'node:path'
import { ActionError } from '../errors.js'
import type { Git } from './git.js'
import type { Repository } from './repository.js'
import { snapshotWorkingTree } from './snapshot.js'

/**
 * The tree the artifact starts from: HEAD's version of the deployed folder, or a snapshot of the
 * folder on disk. Missing or unusable folders are errors that name the input which chose them.
 */
export async function headTree(repo: Repository, prefix: string, input: string): Promise<string> {
  if (!repo.head) throw new Error('headTree needs a commit')
  const spec = `${repo.head}:${prefix}`
  const { stdout } = await repo.git.run(['cat-file', '--batch-check'], { input: `${spec}\n` })
  const [oid = '', type = ''] = stdout.trim().split(' ')
  if (type === 'tree') return oid
  const shortHead = repo.head.slice(0, 12)
  if (type === 'blob')
    throw new ActionError(`'${prefix}' is a file in the repository, not a folder.`, {
      input,
      hint: 'Point it at the folder that holds manage.py.',
    })
  if (type === 'commit') {
    throw new ActionError(`'${prefix}' is a git submodule; its files are not part of this repository's commit.`, {
      input,
      hint: "Deploy from the submodule's own repository, or check it out with `submodules: true` and use `source: working-tree`.",
    })
  }
  const onDisk = await stat(join(repo.topLevel, prefix)).catch(() => undefined)
  if (onDisk?.isDirectory()) {
    throw new ActionError(
      `The folder '${prefix}' exists on disk but not in the commit being deployed (HEAD, ${shortHead}): it is untracked or ignored.`,
      {
        input,
        hint: 'Commit the folder (and check .gitignore): the action deploys what is committed, not what a previous step left on disk.',
      },
    )
  }
  throw new ActionError(`The folder '${prefix}' does not exist in the repository (HEAD, ${shortHead}).`, {
    input,
    hint: "Give the path relative to the repository root, e.g. 'backend' for backend/manage.py.",
  })
}

export async function snapshotTree(repo: Repository, indexedGit: Git, prefix: string, input: string): Promise<string> {
  const where = prefix || repo.topLevel
  if (prefix) {
    const onDisk = await stat(join(repo.topLevel, prefix)).catch(() => undefined)
    if (!onDisk?.isDirectory()) {
      throw new ActionError(`The folder '${prefix}' does not exist in '${repo.topLevel}'.`, {
        input,
        hint: 'Give the path relative to the repository root.',
      })
    }
  }
  const tree = await snapshotWorkingTree(indexedGit, repo.head, prefix)
  if (!tree) throw nothingToDeploy(where, input)
  return tree
}

export function nothingToDeploy(where: string, input: string): ActionError {
  return new ActionError(
    `There are no files to deploy in '${where}' (every file is missing, ignored by .gitignore, or a credentials file).`,
    {
      input,
      hint: 'Run actions/checkout before this action, and check the folder and your .gitignore.',
    },
  )
}
