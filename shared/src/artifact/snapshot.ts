import { GitError } from './git.js'
import type { Git } from './git.js'
import { SECRET_PATHSPEC_EXCLUDES } from './paths.js'

/**
 * Snapshot the files on disk under `prefix` into a tree, the way `git add --all && git commit`
 * would see them: tracked files as they are now, untracked files unless ignored, deleted files
 * gone. `git` must carry a temporary index file, so the user's index is never read or written.
 *
 * Only the project's own ignore rules decide (.gitignore files, .git/info/exclude): the runner's
 * or a developer's global excludes file is switched off, so the same folder gives the same tree
 * on every machine. Credentials files are excluded before they are ever hashed.
 *
 * Returns the tree's id, or null when there is nothing to snapshot.
 */
export async function snapshotWorkingTree(git: Git, head: string | null, prefix: string): Promise<string | null> {
  if (!git.location.indexFile) throw new Error('snapshotWorkingTree needs a temporary index file')
  // Starting from HEAD keeps files that are tracked but match .gitignore, as a commit would.
  if (head) await git.run(['read-tree', head])
  const add = await git.run(['add', '--all', '--', prefix || '.', ...SECRET_PATHSPEC_EXCLUDES], {
    config: { 'core.excludesFile': '' },
    okExitCodes: [128],
  })
  if (add.exitCode === 128) {
    if (/did not match any files/.test(add.stderr)) return null
    throw new GitError(['add', '--all'], add.exitCode, add.stderr)
  }
  const args = prefix ? ['write-tree', `--prefix=${prefix}/`] : ['write-tree']
  const tree = await git.run(args, { okExitCodes: [128] })
  if (tree.exitCode === 128) {
    if (/prefix .* not found/.test(tree.stderr)) return null
    throw new GitError(args, tree.exitCode, tree.stderr)
  }
  return tree.stdout.trim()
}
