import path from 'node:path'
import { databaseKind, herokuishCompileHook, herokuishDependencies, type DatabaseKind } from '@django-deploy/shared/build'
import { prepareDeployFiles } from '@django-deploy/shared/deploy'
import { InputError } from '@django-deploy/shared/errors'
import { detectProject, type Finding, type ProjectModel } from '@django-deploy/shared/detect'
import type { GeneratedFile } from '@django-deploy/shared/plan'
import type { CommandRunner } from '@django-deploy/shared/runtime'
import { repositoryReader, toDeployPath } from '@django-deploy/shared/settings'
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
  /** Why the builder carries additions or was switched, for the plan and dry run (undefined when nothing was needed). */
  builderReason?: string
  /** Set builder:set explicitly (only when the input asks for one). */
  explicitBuilder?: 'herokuish' | 'dockerfile'
  /** The storage owner: herokuish runs as uid 32767, our Dockerfile's user is uid 1000 (`heroku`). */
  storageChown: 'herokuish' | 'heroku'
  /** manage.py relative to where `dokku run` starts (the image's working directory). */
  managePath: string
  notes: Finding[]
}

export async function prepareProject(
  inputs: DokkuInputs,
  repoRoot: string,
  runner: CommandRunner,
  environment: Record<string, string | undefined>,
  onLocated?: (managePy: string) => void,
): Promise<PreparedProject> {
  const project = await detectProject(
    {
      repoRoot,
      workingDirectory: inputs.workingDirectory || undefined,
      settingsModule: inputs.settingsModule,
      environment,
      onLocated,
    },
    runner,
  )
  const deployRoot = inputs.workingDirectory
  const database = databaseKind(project, deployDatabase(inputs))
  const readFile = repositoryReader(repoRoot)

  // The builder first: it decides where processes start, so what the Procfile says.
  const repoDockerfile = readFile(path.posix.join(deployRoot, 'Dockerfile')) !== undefined
  let builder = inputs.builder === 'auto' ? (repoDockerfile ? 'dockerfile' : 'herokuish') : inputs.builder
  let builderReason: string | undefined
  const builderFiles: GeneratedFile[] = []
  const builderNotes: Finding[] = []
  if (builder === 'herokuish' && !repoDockerfile) {
    // The buildpack installs only what is declared; the Procfile and overlay need more (shared/build/herokuish.ts).
    const deps = herokuishDependencies(project, { readFile, deployRoot, database })
    if (deps.kind === 'append') {
      builderFiles.push(deps.file)
      builderNotes.push(...deps.notes)
      builderReason = `herokuish, with ${deps.added.join(', ')} appended to the deployed requirements.txt`
    } else if (deps.kind === 'switch-to-dockerfile') {
      if (inputs.builder === 'herokuish')
        throw new InputError(
          'builder',
          `is herokuish, but ${deps.reason}; the Procfile and production settings need them, so the first deploy would fail.`,
          `Add ${deps.missing.join(', ')} to your dependencies and re-lock, or set builder: auto to deploy with the generated Dockerfile.`,
        )
      builder = 'dockerfile'
      builderNotes.push(...deps.notes)
      builderReason = `generated Dockerfile: ${deps.reason}`
    }
  } else if (builder === 'herokuish' && repoDockerfile) {
    builderNotes.push({
      level: 'notice',
      code: 'dockerfile-ignored',
      message: 'builder is herokuish: your Dockerfile is not used (Dokku is told so with builder:set).',
    })
  }
  if (builder === 'herokuish') {
    // The buildpack runs collectstatic itself; offline compression follows it in bin/post_compile.
    const hook = herokuishCompileHook(project, { readFile, deployRoot })
    builderFiles.push(...hook.files)
    builderNotes.push(...hook.notes)
  }
  // Our image's WORKDIR is the folder of manage.py; herokuish (and a user's Dockerfile) start in the deployed folder.
  const generatedImage = builder === 'dockerfile' && !repoDockerfile
  const prepared = prepareDeployFiles(project, {
    repoRoot,
    deployRoot,
    settingsPatch: inputs.settingsPatch,
    // A linked PostgreSQL service (or a configured URL) replaces the settings' SQLite.
    databaseProvided: database === 'postgres',
    release: { migrate: inputs.migrate, processesStartIn: generatedImage ? 'manage-py-folder' : 'deploy-root' },
    dockerfile: builder === 'dockerfile' ? { database } : undefined,
  })
  const { overlayModule } = prepared
  const files = [...prepared.files, ...builderFiles]
  const notes = [...prepared.notes, ...builderNotes]
  const managePath = generatedImage ? 'manage.py' : toDeployPath(deployRoot, project.managePy, 'manage.py')

  return {
    project,
    files,
    overlayModule,
    builder,
    builderReason,
    // A switch away from herokuish is told to Dokku too (it would otherwise detect the buildpack).
    explicitBuilder:
      inputs.builder === 'auto' ? (builderReason && builder === 'dockerfile' ? 'dockerfile' : undefined) : inputs.builder,
    storageChown: builder === 'dockerfile' ? 'heroku' : 'herokuish',
    managePath,
    notes,
  }
}

/** PostgreSQL when a Postgres service is linked or the configured DATABASE_URL is a postgres one. */
function deployDatabase(inputs: DokkuInputs): DatabaseKind | undefined {
  if (inputs.postgres) return 'postgres'
  const url = inputs.config.find(({ key }) => key === 'DATABASE_URL')?.value
  if (url && /^(postgres|postgresql|postgis|pgsql)(\+\w+)?:/i.test(url)) return 'postgres'
  return undefined
}
