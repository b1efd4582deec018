import { access, readdir } from 'node:fs/promises'
import path from 'node:path'
import { compareText } from './order.js'

/**
 * Walking the repository: which directories can hold the project, and which never do.
 * Virtualenvs, dependency caches and build outputs hold thousands of files (and sometimes a
 * `manage.py` or `wsgi.py` of a vendored package), so they are skipped by name or by shape.
 */

/** Directory names never searched. Hidden directories (".git", ".tox", ".venv", ...) are skipped too. */
export const SKIPPED_DIRECTORY_NAMES: ReadonlySet<string> = new Set([
  'node_modules',
  '__pycache__',
  'site-packages',
  'build',
  'dist',
  'staticfiles',
])

/** How deep below the search root manage.py may be (Heroku searches 3 levels; we allow one more). */
export const MANAGE_PY_MAX_DEPTH = 4

async function exists(file: string): Promise<boolean> {
  try {
    await access(file)
    return true
  } catch {
    return false
  }
}

/** A virtualenv is recognised by its marker files, whatever it is called. */
export async function isVirtualenv(dir: string): Promise<boolean> {
  for (const marker of ['pyvenv.cfg', 'bin/activate', 'Scripts/activate']) {
    if (await exists(path.join(dir, marker))) return true
  }
  return false
}

export async function isSkippedDirectory(dir: string): Promise<boolean> {
  const name = path.basename(dir)
  if (name.startsWith('.') || SKIPPED_DIRECTORY_NAMES.has(name)) return true
  return isVirtualenv(dir)
}

async function listDir(dir: string): Promise<{ files: string[]; dirs: string[] }> {
  let entries
  try {
    entries = await readdir(dir, { withFileTypes: true })
  } catch {
    return { files: [], dirs: [] }
  }
  const files: string[] = []
  const dirs: string[] = []
  // Symbolic links are not followed: they can loop, and can leave the repository.
  for (const entry of entries) {
    if (entry.isFile()) files.push(entry.name)
    else if (entry.isDirectory()) dirs.push(entry.name)
  }
  return { files: files.sort(compareText), dirs: dirs.sort(compareText) }
}

export interface FoundFile {
  /** Absolute path. */
  file: string
  /** 0 for a file directly in the root. */
  depth: number
}

/**
 * Breadth-first search for files with one of `names`, at most `maxDepth` directories below
 * `root`. Results are ordered by depth, then path, so the first hit is the shallowest one.
 * With `stopAtFirstDepth`, the search ends at the first depth that has a hit.
 */
export async function findFilesByName(
  root: string,
  names: ReadonlySet<string>,
  options: { maxDepth: number; stopAtFirstDepth?: boolean },
): Promise<FoundFile[]> {
  const found: FoundFile[] = []
  let level = [root]
  for (let depth = 0; depth <= options.maxDepth && level.length > 0; depth++) {
    const next: string[] = []
    for (const dir of level) {
      const { files, dirs } = await listDir(dir)
      for (const file of files) if (names.has(file)) found.push({ file: path.join(dir, file), depth })
      for (const child of dirs) {
        const childPath = path.join(dir, child)
        if (!(await isSkippedDirectory(childPath))) next.push(childPath)
      }
    }
    if (options.stopAtFirstDepth && found.length > 0) break
    level = next
  }
  return found.sort((a, b) => a.depth - b.depth || compareText(a.file, b.file))
}
