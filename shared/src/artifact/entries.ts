import type { Git } from './git.js'
import { splitNul } from './git.js'

/** One entry of a recursively listed tree: a file, a symlink, or a submodule (gitlink). */
export interface TreeEntry {
  /** '100644', '100755', '120000' (symlink) or '160000' (submodule). */
  mode: string
  type: 'blob' | 'commit'
  oid: string
  /** Blob size in bytes (a symlink's is its target's length); 0 for submodules. */
  size: number
  path: string
}

export const SYMLINK_MODE = '120000'
export const SUBMODULE_MODE = '160000'

/** `git ls-tree -r -l -z`: every file of a tree with its size, in one call. */
export async function listTree(git: Git, treeish: string): Promise<TreeEntry[]> {
  const { stdout } = await git.run(['ls-tree', '-r', '-l', '-z', '--full-tree', treeish])
  return splitNul(stdout).map(parseEntry)
}

function parseEntry(record: string): TreeEntry {
  const match = /^(\d{6}) (blob|commit) ([0-9a-f]+) +(-|\d+)\t(.*)$/s.exec(record)
  if (!match) throw new Error(`Unexpected git ls-tree output: ${JSON.stringify(record)}`)
  const [, mode, type, oid, size, path] = match as unknown as [string, string, 'blob' | 'commit', string, string, string]
  return { mode, type, oid, size: size === '-' ? 0 : Number(size), path }
}

export interface TreeStats {
  /** Files and symlinks (submodules are listed separately: their content is not in the tree). */
  files: number
  bytes: number
  submodules: string[]
}

export function treeStats(entries: Iterable<TreeEntry>): TreeStats {
  let files = 0
  let bytes = 0
  const submodules: string[] = []
  for (const entry of entries) {
    if (entry.mode === SUBMODULE_MODE) {
      submodules.push(entry.path)
      continue
    }
    files += 1
    bytes += entry.size
  }
  return { files, bytes, submodules }
}
