import { readFileSync } from 'node:fs'
import path from 'node:path'

/**
 * Reads one file of the repository, by a POSIX path relative to the repository root; undefined
 * when there is no such file. Generators take this instead of touching the disk themselves, so
 * they stay pure functions of their inputs ("is there already a Procfile?" is an input) and tests
 * hand them an in-memory tree.
 */
export type ReadFile = (repoPath: string) => string | undefined

/** The real reader, rooted at an absolute repository path. */
export function repositoryReader(repoRoot: string): ReadFile {
  return (repoPath) => {
    try {
      return readFileSync(path.join(repoRoot, ...repoPath.split('/')), 'utf8')
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code
      if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR') return undefined
      throw error
    }
  }
}

/** An in-memory reader (tests, dry runs): keys are repository-relative POSIX paths. */
export function memoryReader(files: Record<string, string>): ReadFile {
  return (repoPath) => (Object.hasOwn(files, repoPath) ? files[repoPath] : undefined)
}
