import type { Git } from './git.js'
import { splitNul } from './git.js'
import { isSecretPath } from './paths.js'

/**
 * What is on disk but not in HEAD. The artifact is built from HEAD, so these are *not* deployed;
 * callers show them as a warning ("you changed settings.py in an earlier step, it is not in the
 * deploy"), which is the usual surprise when a workflow builds files before deploying.
 */
export interface UncommittedChanges {
  /** Tracked files that differ from HEAD (staged or not), relative to the artifact root. */
  changed: string[]
  /** Untracked, not ignored files; a folder whose content is all untracked is listed once, as 'dir/'. */
  untracked: string[]
}

export async function uncommittedChanges(git: Git, prefix: string): Promise<UncommittedChanges> {
  // --no-optional-locks (also set via GIT_OPTIONAL_LOCKS): status must not refresh the user's index.
  const { stdout } = await git.run([
    '--no-optional-locks',
    'status',
    '--porcelain=v1',
    '-z',
    '--untracked-files=normal',
    '--',
    prefix || '.',
  ])
  const changed: string[] = []
  const untracked: string[] = []
  const records = splitNul(stdout)
  for (let index = 0; index < records.length; index += 1) {
    const record = records[index] ?? ''
    const code = record.slice(0, 2)
    const path = stripPrefix(record.slice(3), prefix)
    // Renames and copies carry the old path as the next record.
    if (code.includes('R') || code.includes('C')) index += 1
    if (isSecretPath(path.replace(/\/$/, ''))) continue
    if (code === '??') untracked.push(path)
    else if (code !== '!!') changed.push(path)
  }
  return { changed, untracked }
}

function stripPrefix(path: string, prefix: string): string {
  return prefix && path.startsWith(`${prefix}/`) ? path.slice(prefix.length + 1) : path
}
