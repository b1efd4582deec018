import path from 'node:path'
import type { Finding, ProjectModel } from '../detect/model.js'
import type { GeneratedFile } from '../plan.js'
import { deployRootOf, toDeployPath, toRepoPath } from '../settings/deploy-root.js'
import { buildEnvironment } from '../settings/environment.js'
import { overlayLocation } from '../settings/overlay.js'
import type { ReadFile } from '../settings/read-file.js'
import { appDirIn, dockerignoreContent } from './dockerignore.js'
import { COMPRESS_COMMAND, offlineCompression } from './compress.js'
import { databaseKind, extraPackages, type DatabaseKind } from './extras.js'
import { extrasCommand, installPlan, VENV } from './install.js'
import { pythonImage } from './python-image.js'
import { shellAssignments } from './shell.js'
import { systemPackages } from './system-packages.js'
import { containerCommand, GUNICORN_DEFAULTS } from './web-command.js'

/**
 * A Dockerfile (and .dockerignore) for projects that have none; a user's own is never replaced,
 * and then nothing is generated at all (a generated .dockerignore would change what their
 * Dockerfile sees). Used by Cloud Run (always a container) and by Dokku's Dockerfile builder.
 *
 * Two stages: the build stage has the package managers, compilers and caches; the runtime stage
 * gets only the virtualenv and the code, runs as an unprivileged user, collects static files at
 * build time and starts gunicorn on $PORT. It never migrates: that is the release task's job
 * (release.ts) or the Cloud Run migration Job's.
 */

/** The unprivileged user the app runs as. 1000:1000 matches Dokku's `storage:ensure-directory --chown heroku`. */
export const CONTAINER_USER = { name: 'app', uid: 1000 } as const
/** Where the deployed directory lives in the image. */
export const IMAGE_ROOT = '/app'

export interface DockerfileOptions {
  readFile: ReadFile
  /** The deployed directory (= build context), relative to the repository root. Default: the project's search root. */
  deployRoot?: string
  /** The database the app will use; 'postgres' adds a driver when the project has none. Default: from the settings' ENGINE. */
  database?: DatabaseKind
  /** Run collectstatic in the image (default true); off for projects whose static files are built elsewhere. */
  collectstatic?: boolean
  /**
   * The DJANGO_SETTINGS_MODULE the image runs with (and collects static files with). Default: the
   * production overlay's module. Give the project's own module when no overlay is deployed
   * (settings-patch: none): the image must not name a module that is not in it.
   */
  settingsModule?: string
}

export interface DockerBuild {
  /** Dockerfile and/or .dockerignore, paths relative to the deployed directory; [] when the user has a Dockerfile. */
  files: GeneratedFile[]
  /** False when the user's own Dockerfile is used. */
  generated: boolean
  /** The module the image sets as DJANGO_SETTINGS_MODULE (the overlay's unless `settingsModule` was given). */
  settingsModule: string
  /** The image's start command (shell form). */
  command?: string
  pythonVersion?: string
  /** Packages installed on top of the project's dependencies (gunicorn, whitenoise, a driver). */
  addedPackages: string[]
  /** The WORKDIR inside the image (where manage.py is), for Jobs and release tasks. */
  workdir?: string
  notes: Finding[]
}

export function generateDockerfile(project: ProjectModel, options: DockerfileOptions): DockerBuild {
  const deployRoot = deployRootOf(project, options.deployRoot)
  const overlay = overlayLocation(project)
  const settingsModule = options.settingsModule ?? overlay.module
  const overlaid = settingsModule === overlay.module
  const userDockerfile =
    project.existing.dockerfile ??
    (options.readFile(toRepoPath(deployRoot, 'Dockerfile')) !== undefined ? toRepoPath(deployRoot, 'Dockerfile') : undefined)
  if (userDockerfile !== undefined) {
    return {
      files: [],
      generated: false,
      settingsModule,
      addedPackages: [],
      notes: [
        {
          level: 'notice',
          code: 'user-dockerfile',
          message: overlaid
            ? `Using your ${userDockerfile} as is. Set DJANGO_SETTINGS_MODULE=${overlay.module} in it (or in the platform's environment) to use the production settings overlay, and make sure it runs collectstatic and does not migrate at start.`
            : `Using your ${userDockerfile} as is. Make sure it runs collectstatic and does not migrate at start.`,
          file: userDockerfile,
        },
      ],
    }
  }

  const image = pythonImage(project)
  const plan = installPlan(project, deployRoot, options.readFile, image.version)
  const extras = extraPackages(project, databaseKind(project, options.database))
  const system = systemPackages(project, extras.requirements)
  const appDir = appDirIn(toDeployPath(deployRoot, project.appDir, 'manage.py'))
  const workdir = path.posix.join(IMAGE_ROOT, appDir)
  const command = containerCommand(project)
  const notes: Finding[] = [...image.notes, ...plan.notes, ...extras.notes]
  const collect = options.collectstatic !== false && collectsStatic(project)
  const compression = offlineCompression(project)
  notes.push(...compression.notes)
  const compress = collect && compression.needed
  if (options.collectstatic !== false && !collect) {
    notes.push({
      level: 'notice',
      code: 'no-staticfiles-app',
      message: 'django.contrib.staticfiles is not in INSTALLED_APPS, so the image does not run collectstatic.',
    })
  }

  const lines: string[] = [
    '# Generated by django-deploy-actions because the repository has no Dockerfile. It exists only in',
    '# the deploy artifact; to change the image, commit your own Dockerfile (this one is a fine start).',
    `#   Python:       ${image.version}${project.python.source ? ` (from ${project.python.source})` : ' (default: none declared)'}`,
    `#   Dependencies: ${plan.description}`,
    ...(extras.requirements.length ? [`#   Added:        ${extras.requirements.join(', ')} (not in your dependencies)`] : []),
    ...(compress ? [`#   Compress:     manage.py compress at build time (${compression.reason})`] : []),
    overlaid
      ? `#   Settings:     ${overlay.module} (the production overlay of ${overlay.baseModule})`
      : `#   Settings:     ${settingsModule} (the project's own; no production overlay)`,
    '',
    '# ---- build stage: package managers, compilers and caches stay here -----------------------',
    `FROM ${image.image} AS build`,
    'ENV PYTHONDONTWRITEBYTECODE=1 \\',
    '    PIP_NO_CACHE_DIR=1 \\',
    '    PIP_DISABLE_PIP_VERSION_CHECK=1',
  ]
  const buildPackages = [...new Set([...system.build, ...plan.buildPackages])].sort()
  if (buildPackages.length) lines.push(aptInstall(buildPackages))
  lines.push(`RUN python -m venv ${VENV}`, `ENV VIRTUAL_ENV=${VENV} \\`, `    PATH=${VENV}/bin:$PATH`)
  const envEntries = Object.entries(plan.env)
  if (envEntries.length) lines.push(`ENV ${envEntries.map(([name, value]) => `${name}=${value}`).join(' \\\n    ')}`)
  lines.push(`WORKDIR ${path.posix.join(IMAGE_ROOT, plan.workdir)}`)
  if (plan.copy === 'all') {
    lines.push(
      '# The requirements refer to paths in the repository, so the whole source is needed first.',
      `COPY . ${IMAGE_ROOT}/`,
    )
  } else {
    lines.push('# Dependency files first: this layer is rebuilt only when they change, not on every code change.')
    for (const file of plan.copy) lines.push(copyLine(file, path.posix.join(IMAGE_ROOT, file)))
  }
  for (const command of plan.commands) lines.push(`RUN ${command}`)
  const extrasRun = extrasCommand(project, extras.requirements)
  if (extrasRun) lines.push('# What serving the app needs and the project does not declare.', `RUN ${extrasRun}`)

  lines.push(
    '',
    '# ---- runtime stage: the virtualenv and the code, run as an unprivileged user ----------------',
    `FROM ${image.image}`,
    'ENV PYTHONDONTWRITEBYTECODE=1 \\',
    '    PYTHONUNBUFFERED=1 \\',
    `    VIRTUAL_ENV=${VENV} \\`,
    `    PATH=${VENV}/bin:$PATH \\`,
    `    DJANGO_SETTINGS_MODULE=${settingsModule} \\`,
    `    WEB_CONCURRENCY=${GUNICORN_DEFAULTS.workers}`,
  )
  if (system.runtime.length) lines.push(aptInstall(system.runtime))
  lines.push(
    `RUN useradd --uid ${CONTAINER_USER.uid} --user-group --create-home --shell /usr/sbin/nologin ${CONTAINER_USER.name}`,
    // WORKDIR and COPY --chown leave the directory itself root's: SQLite could not create its file.
    `RUN install -d -o ${CONTAINER_USER.name} -g ${CONTAINER_USER.name} ${IMAGE_ROOT}`,
    `COPY --from=build ${VENV} ${VENV}`,
    `WORKDIR ${IMAGE_ROOT}`,
    // Owned by the app user: SQLite files and anything the app writes beside its code keep working.
    `COPY --chown=${CONTAINER_USER.name}:${CONTAINER_USER.name} . ${IMAGE_ROOT}/`,
  )
  if (workdir !== IMAGE_ROOT) lines.push(`WORKDIR ${workdir}`)
  if (collect) {
    const buildEnv = buildEnvironment(project, settingsModule, { allRequired: true })
    delete buildEnv.DJANGO_SETTINGS_MODULE // already set by ENV above
    lines.push(
      '# Static files are collected into the image (WhiteNoise serves them). The key and placeholders',
      '# below exist only for this one command, never as ENV: the real ones come from the platform.',
      `RUN ${shellAssignments(buildEnv)} python manage.py collectstatic --noinput`,
    )
    if (compress)
      lines.push(
        '# COMPRESS_OFFLINE: {% compress %} blocks render only what this writes (a manifest and the',
        '# compressed files, under STATIC_ROOT), so it runs here, after collectstatic, with the same',
        '# build-time placeholders; without it every such page raises OfflineGenerationError.',
        `RUN ${shellAssignments(buildEnv)} ${COMPRESS_COMMAND.join(' ')}`,
      )
  }
  lines.push(
    '# Bytecode compiled once, here: with PYTHONDONTWRITEBYTECODE every cold start would otherwise',
    "# compile the project's modules again (pip already compiled the dependencies it installed).",
    `RUN python -m compileall -q -j 0 ${IMAGE_ROOT}`,
    `USER ${CONTAINER_USER.name}`,
    '# No EXPOSE: Cloud Run and Dokku both pass the port in $PORT (Dokku maps 80 to it without EXPOSE).',
    '# No migrate here: every instance would race to run it and a failed migration would take the',
    '# new containers down. Migrations run once per deploy, before traffic moves (release task / Job).',
    `CMD ${command}`,
  )

  const files: GeneratedFile[] = [
    { path: 'Dockerfile', content: `${lines.join('\n')}\n`, reason: 'no Dockerfile in the repository' },
  ]
  const userIgnore =
    project.existing.dockerignore ??
    (options.readFile(toRepoPath(deployRoot, '.dockerignore')) !== undefined
      ? toRepoPath(deployRoot, '.dockerignore')
      : undefined)
  if (userIgnore === undefined) {
    files.push({
      path: '.dockerignore',
      content: dockerignoreContent(project, appDir),
      reason: 'no .dockerignore in the repository',
    })
  } else {
    notes.push({
      level: 'notice',
      code: 'user-dockerignore',
      message: `Using your ${userIgnore}; make sure it excludes .git, .env files and credentials (gha-creds-*.json).`,
      file: userIgnore,
    })
  }
  return {
    files,
    generated: true,
    settingsModule,
    command,
    pythonVersion: image.version,
    addedPackages: extras.requirements,
    workdir,
    notes,
  }
}

function aptInstall(packages: readonly string[]): string {
  return `RUN apt-get update && apt-get install -y --no-install-recommends ${packages.join(' ')} && rm -rf /var/lib/apt/lists/*`
}

/** COPY in JSON form when a path needs quoting. */
function copyLine(source: string, destination: string): string {
  return /^[\w./-]+$/.test(source) && /^[\w./-]+$/.test(destination)
    ? `COPY ${source} ${destination}`
    : `COPY ${JSON.stringify([source, destination])}`
}

/** Collect unless INSTALLED_APPS is known and lacks staticfiles (an API-only project). */
function collectsStatic(project: ProjectModel): boolean {
  const known = project.facts.INSTALLED_APPS?.value.kind === 'literal'
  return !known || project.summary.installedApps.includes('django.contrib.staticfiles')
}

/**
 * The database a DATABASE_URL the caller sets points at, for `DockerfileOptions.database`: the
 * settings may read their ENGINE from that URL at runtime, so detection alone cannot see it.
 */
export function databaseFromUrl(url: string | undefined): DatabaseKind | undefined {
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(url?.trim() ?? '')?.[1]?.toLowerCase()
  if (!scheme) return undefined
  if (/^(postgres|postgresql|pgsql|postgis)(\+.*)?$/.test(scheme)) return 'postgres'
  if (/^mysql/.test(scheme)) return 'mysql'
  if (/^(sqlite|spatialite)/.test(scheme)) return 'sqlite'
  return 'other'
}
