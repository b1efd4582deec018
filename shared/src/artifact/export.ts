import { mkdir, readdir } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import type { CommandRunner } from '../runtime/command.js'
import { listTree, treeStats } from './entries.js'
import { Git } from './git.js'
import { withTempDir } from './temp.js'

/**
 * Turn an artifact tree into files for builds that need a folder (Cloud Run's build context, a
 * local Django run for the static build).
 *
 * Line endings: the artifact is built for Linux, so a Windows runner's `core.autocrlf=true` must
 * not turn `#!/bin/sh\n` into `#!/bin/sh\r\n`; the checkout runs with autocrlf off and eol=lf.
 * The repository's own .gitattributes still apply, as in any checkout.
 */
const LINUX_CHECKOUT = { 'core.autocrlf': 'false', 'core.eol': 'lf', 'core.sparseCheckout': 'false' }

export interface ExportOptions {
  /** `Artifact.gitDir`. */
  gitDir: string
  /** A tree or commit (`Artifact.tree`). */
  tree: string
  /** Created if missing; must be empty, so a stale file can never ride along into a build. */
  destination: string
  runner: CommandRunner
  tempDir?: string
}

export interface ExportResult {
  destination: string
  files: number
  bytes: number
  durationMs: number
}

/**
 * Write every file of `tree` into `destination` with `git checkout-index` from a temporary index:
 * executable bits and symlinks come out as git records them; submodules become empty folders.
 */
export async function exportArtifact(options: ExportOptions): Promise<ExportResult> {
  const started = performance.now()
  const destination = resolve(options.destination)
  await mkdir(destination, { recursive: true })
  const present = await readdir(destination)
  if (present.length > 0) {
    throw new Error(
      `Cannot export the deploy artifact into '${destination}': the folder is not empty (${present.slice(0, 3).join(', ')}${present.length > 3 ? ', …' : ''}).`,
    )
  }
  const git = new Git(options.runner, { gitDir: options.gitDir })
  await withTempDir(options.tempDir, 'export', async (scratch) => {
    const indexed = git.with({ indexFile: join(scratch, 'index'), workTree: destination })
    await indexed.run(['read-tree', options.tree], { config: LINUX_CHECKOUT })
    await indexed.run(['checkout-index', '--all', '--force'], { config: LINUX_CHECKOUT })
  })
  const stats = treeStats(await listTree(git, options.tree))
  return { destination, files: stats.files, bytes: stats.bytes, durationMs: Math.round(performance.now() - started) }
}
