import path from 'node:path'
import { ActionError } from '../errors.js'
import type { ProjectModel } from '../detect/model.js'

/**
 * Generated files are placed relative to the *deployed directory* (plan.ts, `GeneratedFile.path`):
 * the folder that becomes the root of the deploy artifact, the Docker build context and the
 * directory Dokku reads Procfile/app.json from. It is given relative to the repository root
 * (`''` = the root) and defaults to the project's search root (the `working-directory` input).
 * The model's paths are relative to the repository root, so everything generated goes through
 * `toDeployPath`.
 */
export function deployRootOf(project: ProjectModel, deployRoot?: string): string {
  return normalise(deployRoot ?? project.searchRoot)
}

/** A repository-relative path as a path inside the deployed directory; ActionError when outside it. */
export function toDeployPath(deployRoot: string, repoPath: string, what: string): string {
  const relative = path.posix.relative(normalise(deployRoot) || '.', normalise(repoPath) || '.')
  if (relative === '..' || relative.startsWith('../') || path.posix.isAbsolute(relative)) {
    throw new ActionError(
      `${what} (${repoPath || '.'}) is outside the deployed directory (${deployRoot || 'the repository root'}).`,
      {
        hint: 'Deploy from a folder that contains both manage.py and the dependency files: set `working-directory` to their common parent.',
      },
    )
  }
  return relative
}

/** The repository-relative path of a file placed at `deployPath` inside the deployed directory. */
export function toRepoPath(deployRoot: string, deployPath: string): string {
  return normalise(path.posix.join(normalise(deployRoot) || '.', deployPath))
}

function normalise(repoPath: string): string {
  const normalised = path.posix.normalize(repoPath.replaceAll('\\', '/'))
  return normalised === '.' ? '' : normalised.replace(/\/$/, '')
}
