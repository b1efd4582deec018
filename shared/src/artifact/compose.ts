import { ActionError } from '../errors.js'
import type { TreeEntry } from './entries.js'
import type { Git } from './git.js'
import { checkGeneratedPath, isSecretPath, joinPath, parentFolders } from './paths.js'
import type { ArtifactFile } from './types.js'

/**
 * Base tree + generated files − credentials → the artifact tree, built in a temporary index
 * (`read-tree`, `hash-object -w`, `update-index --index-info`, `write-tree`). Only objects are
 * written to the repository; refs, the user's index and the working tree are never touched.
 */
export interface Composition {
  tree: string
  /** The artifact's entries, path → entry, for counting files and bytes without another git call. */
  entries: Map<string, TreeEntry>
  files: string[]
  overwritten: string[]
  excluded: string[]
}

export async function compose(
  indexedGit: Git,
  baseTree: string,
  baseEntries: readonly TreeEntry[],
  files: readonly ArtifactFile[],
  prefix: string,
): Promise<Composition> {
  const entries = new Map(baseEntries.map((entry) => [entry.path, entry]))
  const excluded = baseEntries.filter((entry) => isSecretPath(entry.path)).map((entry) => entry.path)
  for (const path of excluded) entries.delete(path)
  const overwritten = checkFiles(entries, files, prefix)
  const sorted = [...files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
  if (excluded.length === 0 && sorted.length === 0) return { tree: baseTree, entries, files: [], overwritten: [], excluded: [] }

  // Same object format as the repository (sha1 or sha256): a zero id of the right length removes.
  const zero = '0'.repeat(baseTree.length)
  const records = excluded.map((path) => `0 ${zero}\t${path}\0`)
  for (const file of sorted) {
    const content = typeof file.content === 'string' ? Buffer.from(file.content, 'utf8') : Buffer.from(file.content)
    // --stdin hashes bytes as given: no .gitattributes filters or line-ending conversion.
    const oid = await indexedGit.text(['hash-object', '-w', '--stdin'], { input: content })
    const mode = file.executable ? '100755' : '100644'
    records.push(`${mode} ${oid}\t${file.path}\0`)
    entries.set(file.path, { mode, type: 'blob', oid, size: content.length, path: file.path })
  }
  await indexedGit.run(['read-tree', baseTree])
  await indexedGit.run(['update-index', '-z', '--index-info'], { input: records.join('') })
  const tree = await indexedGit.text(['write-tree'])
  return { tree, entries, files: sorted.map((file) => file.path), overwritten, excluded }
}

/**
 * Enforce "generated files never replace the user's files": a tracked path is replaced only with
 * `overwrite: true`. A file where the repository has a folder (or the reverse) is always refused,
 * because git's index would silently drop the whole folder to make room.
 */
function checkFiles(entries: Map<string, TreeEntry>, files: readonly ArtifactFile[], prefix: string): string[] {
  const folders = new Set<string>()
  for (const path of entries.keys()) for (const folder of parentFolders(path)) folders.add(folder)
  const seen = new Set<string>()
  const collisions: string[] = []
  const shapeConflicts: Array<{ path: string; why: string }> = []
  const overwritten: string[] = []
  for (const file of files) {
    checkGeneratedPath(file.path)
    if (seen.has(file.path)) throw new Error(`Generated file '${file.path}' is listed twice`)
    seen.add(file.path)
    if (folders.has(file.path)) shapeConflicts.push({ path: file.path, why: 'the repository has a folder there' })
    const blockingFile = parentFolders(file.path).find((folder) => entries.has(folder))
    if (blockingFile) shapeConflicts.push({ path: file.path, why: `the repository has a file at ${blockingFile}` })
    if (entries.has(file.path)) {
      if (file.overwrite) overwritten.push(file.path)
      else collisions.push(file.path)
    }
  }
  const where = prefix ? ` in '${prefix}/'` : ''
  if (shapeConflicts.length > 0) {
    throw new ActionError(
      `Generated files clash with the repository's layout${where}: ${shapeConflicts.map((c) => `${c.path} (${c.why})`).join('; ')}.`,
      {
        hint: 'Rename or move the clashing file or folder in your repository.',
        location: { file: joinPath(prefix, shapeConflicts[0]?.path ?? '') },
      },
    )
  }
  if (collisions.length > 0) {
    throw new ActionError(
      `Your repository already has ${collisions.join(', ')}${where}; the action never replaces your own files with generated ones.`,
      {
        hint: 'Keep your file and configure the action to use it, or delete it from the repository to let the action generate it.',
        location: { file: joinPath(prefix, collisions[0] ?? '') },
      },
    )
  }
  return overwritten.sort()
}
