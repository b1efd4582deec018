import path from 'node:path'
import { generateDockerfile, generateReleaseStep } from '@django-deploy/shared/build/index'
import { detectProject, type Finding, type ProjectModel } from '@django-deploy/shared/detect/index'
import type { GeneratedFile } from '@django-deploy/shared/plan'
import type { CommandRunner } from '@django-deploy/shared/runtime/command'
import { generateOverlay, repositoryReader, toDeployPath } from '@django-deploy/shared/settings/index'
import type { DokkuInputs } from './inputs.js'

/**
 * The Django project as this deploy sees it: detected (shared/detect), and the files that go into
 * the deploy commit next to it (shared/settings, shared/build): the production settings overlay,
 * the release step that migrates (Procfile `release:`), and a Dockerfile only when the Dockerfile
 * builder is chosen and the repository has none.
 */
export interface PreparedProject {
  project: ProjectModel
  files: GeneratedFile[]
  /** DJANGO_SETTINGS_MODULE for the overlay; undefined with settings-patch: none. */
  overlayModule?: string
  /** The builder Dokku will use: the repository's Dockerfile decides under `auto`, as Dokku's detection does. */
  builder: 'herokuish' | 'dockerfile'
  /** Set builder:set explicitly (only when the input asks for one). */
  explicitBuilder?: 'herokuish' | 'dockerfile'
  /** The storage owner: herokuish runs as uid 32767, our Dockerfile's user is uid 1000 (`heroku`). */
  storageChown: 'herokuish' | 'heroku'
  /** manage.py relative to where `dokku run` starts (the image's working directory). */
  managePath: string
  notes: Finding[]
}

const HANDLED_BY_OVERLAY = [
  'secret-key-hardcoded',
  'secret-key-insecure',
  'secret-key-insecure-default',
  'secret-key-missing',
  'debug-true',
  'debug-env-default-true',
  'allowed-hosts-empty',
  'allowed-hosts-local-only',
  'static-root-missing',
]

export async function prepareProject(
  inputs: DokkuInputs,
  repoRoot: string,
  runner: CommandRunner,
  environment: Record<string, string | undefined>,
): Promise<PreparedProject> {
  const project = await detectProject(
    { repoRoot, workingDirectory: inputs.workingDirectory || undefined, settingsModule: inputs.settingsModule, environment },
    runner,
  )
  const readFile = repositoryReader(repoRoot)
  const deployRoot = inputs.workingDirectory
  const files: GeneratedFile[] = []
  // Problems the overlay fixes in production (DEBUG off, SECRET_KEY and hosts from the environment,
  // STATIC_ROOT, and SQLite once a Postgres DATABASE_URL is linked) would only alarm: leave them out.
  const handled = new Set(
    inputs.settingsPatch === 'overlay'
      ? [...HANDLED_BY_OVERLAY, ...(inputs.postgres ? ['database-sqlite', 'database-sqlite-fallback'] : [])]
      : [],
  )
  const notes: Finding[] = project.findings.filter((finding) => finding.level !== 'notice' && !handled.has(finding.code))

  let overlayModule: string | undefined
  if (inputs.settingsPatch === 'overlay') {
    const overlay = generateOverlay(project, { readFile, deployRoot })
    files.push(overlay.file)
    overlayModule = overlay.module
    notes.push(...overlay.notes)
  }

  // migrate: false still gets the web process a repository without a Procfile needs, and a
  // warning when the user's own release task migrates anyway (shared/build/release.ts).
  const release = generateReleaseStep(project, { readFile, deployRoot, migrate: inputs.migrate })
  notes.push(...release.notes)
  files.push(...release.files)

  const repoDockerfile = readFile(path.posix.join(deployRoot, 'Dockerfile')) !== undefined
  const builder = inputs.builder === 'auto' ? (repoDockerfile ? 'dockerfile' : 'herokuish') : inputs.builder
  let managePath = toDeployPath(deployRoot, project.managePy, 'manage.py')
  if (builder === 'dockerfile') {
    const docker = generateDockerfile(project, { readFile, deployRoot, database: inputs.postgres ? 'postgres' : undefined })
    files.push(...docker.files)
    notes.push(...docker.notes)
    // Our image's WORKDIR is the folder of manage.py; a user's Dockerfile is trusted to do the same.
    if (docker.generated) managePath = 'manage.py'
  } else if (repoDockerfile) {
    notes.push({
      level: 'notice',
      code: 'dockerfile-ignored',
      message: 'builder is herokuish: your Dockerfile is not used (Dokku is told so with builder:set).',
    })
  }

  return {
    project,
    files,
    overlayModule,
    builder,
    explicitBuilder: inputs.builder === 'auto' ? undefined : inputs.builder,
    storageChown: builder === 'dockerfile' ? 'heroku' : 'herokuish',
    managePath,
    notes,
  }
}
