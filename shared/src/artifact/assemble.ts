import { rm } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { headTree, nothingToDeploy, snapshotTree } from './base.js'
import { commitTree } from './commit.js'
import { compose } from './compose.js'
import { listTree, treeStats } from './entries.js'
import { defaultMessage } from './identity.js'
import { joinPath, normalizeSubdirectory } from './paths.js'
import { openRepository } from './repository.js'
import type { Repository } from './repository.js'
import { uncommittedChanges } from './status.js'
import type { UncommittedChanges } from './status.js'
import { withTempDir } from './temp.js'
import type { Artifact, ArtifactSource, AssembleOptions } from './types.js'

/**
 * "The repository at HEAD (or a subfolder) plus generated files" as a git tree and commit, without
 * touching the user's branch, index, working tree or refs. Works in shallow clones (only HEAD's
 * tree is read) and is deterministic: the same source and files give the same tree and commit.
 */
export async function assembleArtifact(options: AssembleOptions): Promise<Artifact> {
  const started = performance.now()
  const input = options.input ?? 'working-directory'
  const repo = await openRepository(options.runner, options.repoRoot, input, options.tempDir)
  try {
    return await assemble(repo, options, input, started)
  } catch (error) {
    if (repo.temporary) await rm(dirname(repo.git.location.gitDir), { recursive: true, force: true })
    throw error
  }
}

/** Remove the temporary repository a non-git folder's artifact lives in (no-op otherwise). */
export async function disposeArtifact(artifact: Pick<Artifact, 'gitDir' | 'temporaryGitDir'>): Promise<void> {
  if (artifact.temporaryGitDir) await rm(dirname(artifact.gitDir), { recursive: true, force: true })
}

async function assemble(repo: Repository, options: AssembleOptions, input: string, started: number): Promise<Artifact> {
  const subdirectory = joinPath(repo.prefix, normalizeSubdirectory(options.subdirectory, input))
  const requested = options.source ?? 'head'
  // No commit to read: deploy what is on disk rather than fail (see README in this folder).
  const source: ArtifactSource = repo.head ? requested : 'working-tree'
  const files = options.files ?? []

  return withTempDir(options.tempDir, 'index', async (scratch) => {
    const indexedGit = repo.git.with({ indexFile: join(scratch, 'index') })
    const baseTree =
      source === 'head' ? await headTree(repo, subdirectory, input) : await snapshotTree(repo, indexedGit, subdirectory, input)
    const baseEntries = await listTree(repo.git, baseTree)
    if (baseEntries.length === 0) throw nothingToDeploy(subdirectory || options.repoRoot, input)

    const composed = await compose(indexedGit, baseTree, baseEntries, files, subdirectory)
    const committed = await commitTree(repo.git, {
      tree: composed.tree,
      head: repo.head,
      parent: options.parent,
      reuseUnchangedParent: options.reuseUnchangedParent ?? true,
      author: options.author,
      committer: options.committer,
      message: (commit) =>
        options.message ??
        defaultMessage({ head: repo.head, source, subject: commit?.subject, subdirectory, generated: composed.files }),
    })
    const uncommitted: UncommittedChanges =
      source === 'head' ? await uncommittedChanges(repo.git, subdirectory) : { changed: [], untracked: [] }
    const stats = treeStats(composed.entries.values())
    return {
      gitDir: repo.git.location.gitDir,
      temporaryGitDir: repo.temporary,
      source,
      tree: composed.tree,
      commit: committed.commit,
      baseCommit: repo.head,
      baseTree,
      parent: committed.parent,
      unchanged: committed.unchanged,
      subdirectory,
      files: composed.files,
      overwritten: composed.overwritten,
      excluded: composed.excluded,
      submodules: stats.submodules,
      uncommitted,
      shallow: repo.shallow,
      stats: { files: stats.files, bytes: stats.bytes, durationMs: Math.round(performance.now() - started) },
      warnings: warningsFor({
        repo,
        requested,
        source,
        excluded: composed.excluded,
        submodules: stats.submodules,
        uncommitted,
        subdirectory,
      }),
    }
  })
}

function warningsFor(facts: {
  repo: Repository
  requested: ArtifactSource
  source: ArtifactSource
  excluded: string[]
  submodules: string[]
  uncommitted: UncommittedChanges
  subdirectory: string
}): string[] {
  const warnings: string[] = []
  if (facts.requested !== facts.source) {
    warnings.push(
      facts.repo.temporary
        ? `'${facts.repo.topLevel}' is not a git repository: deploying the files on disk (honouring .gitignore) instead of a commit.`
        : 'The repository has no commits yet: deploying the files on disk (honouring .gitignore) instead of HEAD.',
    )
  }
  const { changed, untracked } = facts.uncommitted
  if (changed.length + untracked.length > 0) {
    const where = facts.subdirectory ? ` in '${facts.subdirectory}/'` : ''
    const parts = [
      changed.length ? `${changed.length} modified (${list(changed)})` : '',
      untracked.length ? `${untracked.length} untracked (${list(untracked)})` : '',
    ]
    warnings.push(`Uncommitted files${where} are not deployed, only HEAD is: ${parts.filter(Boolean).join(', ')}.`)
  }
  if (facts.excluded.length)
    warnings.push(
      `Left out of the deploy because they hold Google Cloud credentials: ${list(facts.excluded)}. Remove them from the repository and rotate the key.`,
    )
  if (facts.submodules.length)
    warnings.push(`Submodules are referenced by commit only; their files are not in the artifact: ${list(facts.submodules)}.`)
  return warnings
}

function list(paths: readonly string[], max = 5): string {
  const shown = paths.slice(0, max).join(', ')
  return paths.length > max ? `${shown} and ${paths.length - max} more` : shown
}
