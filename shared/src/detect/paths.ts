import path from 'node:path'

/**
 * The model speaks in POSIX paths relative to the repository root ("" is the root itself), so
 * the same checkout gives the same model on every machine. These helpers are the only place that
 * converts between those and absolute filesystem paths.
 */
export interface RepoPaths {
  /** Absolute repository root. */
  readonly root: string
  /** Absolute path of a repository-relative POSIX path. */
  abs(relative: string): string
  /** Repository-relative POSIX path of an absolute path. */
  rel(absolute: string): string
}

export function repoPaths(root: string): RepoPaths {
  const resolvedRoot = path.resolve(root)
  return {
    root: resolvedRoot,
    abs: (relative) => path.join(resolvedRoot, ...relative.split('/').filter(Boolean)),
    rel: (absolute) => path.relative(resolvedRoot, absolute).split(path.sep).join('/'),
  }
}

/** Join POSIX repository-relative segments, treating "" as the root. */
export function joinRel(...parts: string[]): string {
  return parts.filter((part) => part !== '').join('/')
}

/** Parent directory of a repository-relative path ("" for top-level entries). */
export function dirnameRel(relative: string): string {
  const index = relative.lastIndexOf('/')
  return index === -1 ? '' : relative.slice(0, index)
}

/** The directories from `from` up to and including `to` (both relative, `to` an ancestor of `from`). */
export function dirsUpTo(from: string, to: string): string[] {
  const dirs: string[] = []
  let current = from
  for (;;) {
    dirs.push(current)
    if (current === to || current === '') break
    current = dirnameRel(current)
  }
  return dirs
}

/** Human-readable form of a repository-relative directory for messages. */
export function describeDir(relative: string): string {
  return relative === '' ? 'the repository root' : `${relative}/`
}
