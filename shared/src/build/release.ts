import type { Finding, ProjectModel } from '../detect/model.js'
import type { GeneratedFile } from '../plan.js'
import path from 'node:path'
import { deployRootOf, toDeployPath, toRepoPath } from '../settings/deploy-root.js'
import type { ReadFile } from '../settings/read-file.js'
import { shellQuote } from './shell.js'
import { MIGRATE_COMMAND, procfileWebCommand } from './web-command.js'

/**
 * How migrations run on Dokku: as a release task, once per deploy, after the new image is built
 * and before any new container takes traffic.
 *
 * Why not `migrate && gunicorn` at container start (Wagtail's template, nixpacks, railpack):
 * - every container of every process type would run it, racing each other on scale-out;
 * - a failing migration takes the *new* containers down and the deploy half-happens, while a
 *   failing release task aborts the deploy and the old release keeps serving untouched;
 * - start-up gets slower (Cloud Run cold starts, Dokku health checks).
 *
 * The order of preference never overwrites a user's file:
 * 1. no Procfile → generate one with `release:` (and `web:` unless their own Dockerfile's CMD serves);
 * 2. a Procfile with `release:` → theirs is used;
 * 3. a Procfile without `release:` and no app.json → generate app.json `scripts.dokku.predeploy`;
 * 4. a Procfile without `release:` and an app.json → nothing can be added; say what to add.
 */
export type MigrationMethod = 'procfile-release' | 'app-json-predeploy' | 'existing-release' | 'existing-predeploy' | 'none'

export interface ReleaseOptions {
  readFile: ReadFile
  /** The deployed directory, relative to the repository root (Dokku reads Procfile and app.json at its root). */
  deployRoot?: string
  /**
   * false when the user turned migrations off (`migrate: false`): nothing that migrates is
   * generated, only the `web:` process a repository without a Procfile still needs. The user's own
   * release tasks are theirs and still run; a warning says so.
   */
  migrate?: boolean
  /**
   * Where the processes start: the deployed directory (herokuish, a user's Dockerfile), or the
   * folder of manage.py (the generated Dockerfile's WORKDIR). From the deployed directory, a
   * manage.py in a subfolder is run by its path and gunicorn changes into that folder.
   */
  processesStartIn?: 'deploy-root' | 'manage-py-folder'
}

export interface ReleaseStep {
  /** Procfile or app.json, paths relative to the deployed directory; [] when nothing is generated. */
  files: GeneratedFile[]
  migrations: MigrationMethod
  /** The migration command (the same one the Cloud Run Job runs). */
  command: readonly string[]
  notes: Finding[]
}

export function generateReleaseStep(project: ProjectModel, options: ReleaseOptions): ReleaseStep {
  const deployRoot = deployRootOf(project, options.deployRoot)
  // Python puts the script's folder on sys.path, so `python app/manage.py` works from the root.
  const appDir =
    options.processesStartIn === 'manage-py-folder'
      ? '.'
      : toDeployPath(deployRoot, path.posix.dirname(project.managePy), 'manage.py') || '.'
  const command =
    appDir === '.' ? [...MIGRATE_COMMAND] : MIGRATE_COMMAND.map((word) => (word === 'manage.py' ? `${appDir}/manage.py` : word))
  const MIGRATE = command.map(shellQuote).join(' ')
  const web = procfileWebCommand(project, appDir)
  const procfilePath = toRepoPath(deployRoot, 'Procfile')
  const appJsonPath = toRepoPath(deployRoot, 'app.json')
  const procfileText = options.readFile(procfilePath)
  const appJsonText = options.readFile(appJsonPath)
  const notes: Finding[] = []
  const result = (migrations: MigrationMethod, files: GeneratedFile[] = []): ReleaseStep => ({
    files,
    migrations,
    command,
    notes,
  })

  const predeploy = appJsonText === undefined ? undefined : dokkuPredeploy(appJsonText)
  const predeployMigrates = predeploy !== undefined && /\bmigrate\b/.test(predeploy)
  // The user's app.json predeploy migrates: it is the release step, whatever the Procfile says.
  const fromPredeploy = (): ReleaseStep => {
    notes.push({
      level: 'notice',
      code: 'migrations-predeploy',
      message: `Migrations run from ${appJsonPath} scripts.dokku.predeploy ("${predeploy}").`,
      file: appJsonPath,
    })
    return result('existing-predeploy')
  }

  if (options.migrate === false)
    return withoutMigrations(project, web, procfileText, predeployMigrates, procfilePath, appJsonPath, result, notes)

  if (procfileText === undefined) {
    if (project.existing.procfile && project.existing.procfile.file !== procfilePath) {
      notes.push({
        level: 'warning',
        code: 'procfile-not-at-root',
        message: `${project.existing.procfile.file} is not at the root of the deployed directory, where Dokku reads the Procfile; it is ignored.`,
        file: project.existing.procfile.file,
      })
    }
    if (predeployMigrates) {
      return fromPredeploy()
    }
    // With the user's own Dockerfile, its CMD serves the app: a `web:` line would override it.
    const userDockerfile = project.existing.dockerfile !== undefined
    const lines = [
      '# Generated by django-deploy-actions because the repository has no Procfile.',
      '# Migrations run as a release task: once per deploy, before new containers get traffic; if one',
      '# fails the deploy stops and the running release keeps serving. (Running migrate when each',
      '# container starts would race across containers and take the new ones down on failure.)',
      `release: ${MIGRATE}`,
      ...(userDockerfile ? [] : [`web: ${web}`]),
    ]
    return result('procfile-release', [
      {
        path: 'Procfile',
        content: `${lines.join('\n')}\n`,
        reason: 'no Procfile in the repository: migrations as a release task',
      },
    ])
  }

  const processes = parseProcfile(procfileText)
  const userWeb = processes.web
  if (userWeb !== undefined && /\bmigrate\b/.test(userWeb)) {
    notes.push({
      level: 'warning',
      code: 'migrate-at-start',
      message: `Your Procfile's web process runs migrate every time a container starts; move it to a "release: ${MIGRATE}" line so it runs once per deploy, before traffic moves.`,
      file: procfilePath,
    })
  }
  const release = processes.release
  if (release !== undefined) {
    if (!/\bmigrate\b/.test(release)) {
      notes.push({
        level: 'notice',
        code: 'release-without-migrate',
        message: `Your Procfile's release task ("${release}") does not run migrate; migrations will not run automatically.`,
        file: procfilePath,
      })
    }
    return result('existing-release')
  }
  if (predeployMigrates) {
    return fromPredeploy()
  }
  if (appJsonText === undefined) {
    const appJson = { scripts: { dokku: { predeploy: MIGRATE } } }
    notes.push({
      level: 'notice',
      code: 'migrations-app-json',
      message: `Your Procfile has no release task, so migrations run from a generated app.json (scripts.dokku.predeploy). Adding "release: ${MIGRATE}" to your Procfile does the same.`,
      file: procfilePath,
    })
    return result('app-json-predeploy', [
      {
        path: 'app.json',
        content: `${JSON.stringify(appJson, null, 2)}\n`,
        reason: 'the Procfile has no release task and there is no app.json: migrations as a predeploy task',
      },
    ])
  }
  notes.push({
    level: 'warning',
    code: 'migrations-not-automatic',
    message: `Migrations will not run automatically: your Procfile has no release task and your app.json has no scripts.dokku.predeploy running migrate. Add "release: ${MIGRATE}" to ${procfilePath}.`,
    file: procfilePath,
  })
  return result('none')
}

function withoutMigrations(
  project: ProjectModel,
  web: string,
  procfileText: string | undefined,
  predeployMigrates: boolean,
  procfilePath: string,
  appJsonPath: string,
  result: (migrations: MigrationMethod, files?: GeneratedFile[]) => ReleaseStep,
  notes: Finding[],
): ReleaseStep {
  const ownRelease = procfileText !== undefined && /\bmigrate\b/.test(parseProcfile(procfileText).release ?? '')
  if (ownRelease || predeployMigrates) {
    const where = ownRelease ? `${procfilePath} release task` : `${appJsonPath} scripts.dokku.predeploy`
    notes.push({
      level: 'warning',
      code: 'migrate-off-but-user-migrates',
      message: `Migrations are turned off, but your ${where} runs migrate; it still runs on every deploy.`,
      file: ownRelease ? procfilePath : appJsonPath,
    })
    return result(ownRelease ? 'existing-release' : 'existing-predeploy')
  }
  notes.push({
    level: 'notice',
    code: 'migrations-off',
    message: 'Migrations are turned off: nothing runs migrate during the deploy.',
  })
  if (procfileText !== undefined || project.existing.dockerfile !== undefined) return result('none')
  const lines = [
    '# Generated by django-deploy-actions because the repository has no Procfile (migrations are turned off).',
    `web: ${web}`,
  ]
  return result('none', [
    {
      path: 'Procfile',
      content: `${lines.join('\n')}\n`,
      reason: 'no Procfile in the repository: the web process (migrations turned off)',
    },
  ])
}

/** Process type → command, from Procfile text (comments and blank lines ignored). */
export function parseProcfile(text: string): Record<string, string> {
  const processes: Record<string, string> = {}
  for (const line of text.split(/\r?\n/)) {
    const match = /^([A-Za-z0-9_-]+):\s*(.*?)\s*$/.exec(line)
    if (match?.[1] && match[2] !== undefined) processes[match[1]] = match[2].replace(/\s+#.*$/, '')
  }
  return processes
}

function dokkuPredeploy(text: string): string | undefined {
  try {
    const parsed = JSON.parse(text) as { scripts?: { dokku?: { predeploy?: unknown } } }
    const predeploy = parsed.scripts?.dokku?.predeploy
    return typeof predeploy === 'string' ? predeploy : undefined
  } catch {
    return undefined
  }
}
