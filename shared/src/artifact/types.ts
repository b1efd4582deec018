import type { CommandRunner } from '../runtime/command.js'
import type { Identity } from './identity.js'
import type { UncommittedChanges } from './status.js'

/**
 * A file the action adds to the deploy artifact. Structurally a superset of plan.ts's
 * `GeneratedFile`, so a plan's `files` can be passed as they are.
 */
export interface ArtifactFile {
  /** Relative to the artifact root (the deployed subdirectory), canonical POSIX form: 'a/b.txt'. */
  path: string
  content: string | Uint8Array
  reason?: string
  /** Replace a file the repository already has at this path. Without it that is an error. */
  overwrite?: boolean
  /** Mode 100755 instead of 100644 (e.g. a generated entrypoint script). */
  executable?: boolean
}

export type ArtifactSource = 'head' | 'working-tree'

export interface AssembleOptions {
  /** The checked-out project (or any folder inside it; its place in the repository is kept). */
  repoRoot: string
  /** Folder inside `repoRoot` to deploy (monorepos); the artifact's root. Default: `repoRoot` itself. */
  subdirectory?: string
  files?: readonly ArtifactFile[]
  runner: CommandRunner
  /** A commit (sha or any revision) the artifact commit builds on, e.g. what the deploy target has now. */
  parent?: string
  /** When `parent` already has exactly this tree, return `parent` itself (a no-op push). Default true. */
  reuseUnchangedParent?: boolean
  message?: string
  /** Default: HEAD's author (name, email and date). A given identity without date gets HEAD's committer date. */
  author?: Identity
  /** Default: HEAD's committer (name, email and date). */
  committer?: Identity
  /**
   * 'head' (default) deploys the commit HEAD; 'working-tree' deploys the files on disk, honouring
   * .gitignore (for workflows that build files in CI on purpose). A folder without git, or a
   * repository without commits, always gets 'working-tree', reported in `source` and `warnings`.
   */
  source?: ArtifactSource
  /** The input named in errors about the folder. Default 'working-directory'. */
  input?: string
  /** Where temporary index files and snapshot repositories go. Default $RUNNER_TEMP or the OS temp dir. */
  tempDir?: string
}

export interface ArtifactStats {
  /** Files and symlinks in the artifact tree. */
  files: number
  /** Sum of their sizes (symlinks count their target's length). */
  bytes: number
  durationMs: number
}

export interface Artifact {
  /**
   * The git directory holding the artifact's objects: the user's `.git`, or for a non-git folder a
   * temporary repository (`temporaryGitDir`; remove it with `disposeArtifact`). Push, export and
   * diff with `--git-dir` set to this.
   */
  gitDir: string
  temporaryGitDir: boolean
  /** What was snapshotted; differs from the requested source after a fallback. */
  source: ArtifactSource
  tree: string
  commit: string
  /** HEAD's sha; null when there is no commit (non-git folder, empty repository). */
  baseCommit: string | null
  /** The tree the generated files were added to (HEAD:subdirectory, or the snapshot). */
  baseTree: string
  /** The resolved parent commit, or null for a root commit. */
  parent: string | null
  /** True when `parent` already had this exact tree and `commit === parent`: nothing new to deploy. */
  unchanged: boolean
  /** The deployed folder relative to the repository root ('' for the root). */
  subdirectory: string
  /** Generated paths added or replaced, relative to the artifact root, sorted. */
  files: string[]
  /** The subset of `files` that replaced a tracked file (`overwrite: true`). */
  overwritten: string[]
  /** Tracked files left out because they are credentials (gha-creds-*.json). */
  excluded: string[]
  /** Submodules in the tree: referenced by commit, their files are not part of the artifact. */
  submodules: string[]
  /** Only for source 'head': what is on disk under the folder but not deployed. */
  uncommitted: UncommittedChanges
  shallow: boolean
  stats: ArtifactStats
  /** Facts worth a `warning` line, ready to print (uncommitted changes, fallbacks, exclusions). */
  warnings: string[]
}
