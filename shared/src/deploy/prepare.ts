import { generateDockerfile, generateReleaseStep, type DatabaseKind } from '../build/index.js'
import type { Finding, ProjectModel } from '../detect/index.js'
import type { GeneratedFile } from '../plan.js'
import { generateOverlay, repositoryReader, type ReadFile } from '../settings/index.js'
import { findingsToReport } from './overlay-fixed.js'

/**
 * The files a deploy adds beside the repository, for the roads that run the app (Dokku, Cloud Run):
 * the production settings overlay, the release step (Procfile/app.json) when asked, and the
 * Dockerfile when asked, with the notes the user should read. Each action adds what only it needs
 * (a .gcloudignore, Dokku's builder choice); the order and the rules live here once.
 */
export interface DeployFilesOptions {
  repoRoot: string
  /** The deployed folder, relative to the repository root; undefined: the project's search root. */
  deployRoot?: string
  settingsPatch: 'overlay' | 'none'
  /** The platform gives the production database (a linked PostgreSQL service, a DATABASE_URL). */
  databaseProvided: boolean
  /** Generate the release step (Dokku: Procfile release and web, app.json). */
  release?: { migrate: boolean; processesStartIn?: 'deploy-root' | 'manage-py-folder' }
  /** Generate a Dockerfile (unless the deployed folder has one), for this database. */
  dockerfile?: { database?: DatabaseKind }
}

export interface DeployFiles {
  readFile: ReadFile
  files: GeneratedFile[]
  notes: Finding[]
  overlayModule?: string
  /** DJANGO_SETTINGS_MODULE in production: the overlay, or the project's own module with settings-patch: none. */
  settingsModule: string
  /** Set when a Dockerfile was asked for: false when the user's own is used. */
  dockerfileGenerated?: boolean
}

export function prepareDeployFiles(project: ProjectModel, options: DeployFilesOptions): DeployFiles {
  const readFile = repositoryReader(options.repoRoot)
  const overlay = options.settingsPatch === 'overlay'
  const prepared: DeployFiles = {
    readFile,
    files: [],
    notes: findingsToReport(project.findings, { overlay, databaseProvided: options.databaseProvided }),
    settingsModule: project.settings.module,
  }
  if (overlay) {
    const generated = generateOverlay(project, { readFile, deployRoot: options.deployRoot })
    prepared.files.push(generated.file)
    prepared.notes.push(...generated.notes)
    prepared.overlayModule = generated.module
    prepared.settingsModule = generated.module
  }
  if (options.release) {
    // migrate: false still gets the web process a repository without a Procfile needs, and a
    // warning when the user's own release task migrates anyway (build/release.ts).
    const release = generateReleaseStep(project, { readFile, deployRoot: options.deployRoot, ...options.release })
    prepared.files.push(...release.files)
    prepared.notes.push(...release.notes)
  }
  if (options.dockerfile) addDockerfile(project, prepared, { deployRoot: options.deployRoot, ...options.dockerfile })
  return prepared
}

/** Add the Dockerfile step to prepared files (for a road that chooses the builder after the release step). */
function addDockerfile(
  project: ProjectModel,
  prepared: DeployFiles,
  options: { deployRoot?: string; database?: DatabaseKind },
): DeployFiles {
  // Without the overlay the image must run the project's own module: the overlay is not in it.
  const docker = generateDockerfile(project, {
    readFile: prepared.readFile,
    deployRoot: options.deployRoot,
    settingsModule: prepared.settingsModule,
    database: options.database,
  })
  prepared.files.push(...docker.files)
  prepared.notes.push(...docker.notes)
  prepared.dockerfileGenerated = docker.generated
  return prepared
}
