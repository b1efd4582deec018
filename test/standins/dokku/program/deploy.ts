/**
 * What happens inside git's pre-receive hook on a Dokku server, for the pushed revision:
 * extract, build (herokuish or Dockerfile, detected as Dokku does), release (app.json predeploy,
 * Procfile `release:`), deploy with checks, switch traffic, retire the old release, print
 * "Application deployed:" with the URLs. Any failure prints Dokku's ` !     ` line and exits
 * non-zero, so git reports "pre-receive hook declined" and the running release is untouched.
 *
 * Builds are real: a Dockerfile app is `docker build --network host` of the pushed tree; a
 * herokuish app is built by the Python buildpack's steps in a container of the stack image
 * (buildpack.ts). Every process then runs as a container (runtime.ts). See README.md.
 */
import { spawnSync } from 'node:child_process'
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { buildScript, declarationDigest, packageManager } from './buildpack.js'
import { fail, info1, info2, info2Quiet, log, verbose, verboseQuiet, warn } from './output.js'
import {
  appUrls,
  containerLogs,
  docker,
  freePort,
  LABEL,
  removeContainer,
  runInRelease,
  setRoute,
  STACK_IMAGE,
  startProcess,
  stopRelease,
  waitHealthy,
} from './runtime.js'
import { appRepo, buildCacheDir, loadApp, releasesDir, updateApp, type App, type Release } from './state.js'

export async function deploy(name: string, rev: string): Promise<void> {
  // git_build: the pushed sha becomes GIT_REV (rev-env-var) before anything else.
  let app = updateApp(name, (latest) => ({ ...latest, config: { ...latest.config, GIT_REV: rev } }))

  info1('Cleaning up...')
  const id = `${String(app.releases + 1).padStart(4, '0')}-${rev.slice(0, 7)}`
  const root = path.join(releasesDir(name), id)
  rmSync(root, { recursive: true, force: true })
  const dir = path.join(root, 'app')
  mkdirSync(dir, { recursive: true })
  // Objects of a push are still in quarantine: the hook's GIT_OBJECT_DIRECTORY/ALTERNATE variables let git read them.
  const extract = spawnSync(
    'sh',
    ['-c', 'git --git-dir="$1" archive --format=tar "$2" | tar -x -C "$3"', 'sh', appRepo(name), rev, dir],
    { encoding: 'utf8', env: { ...process.env, GIT_DIR: undefined } },
  )
  if (extract.status !== 0) {
    warn('Failure extracting app code')
    process.stderr.write(extract.stderr)
    fail('App build failed')
  }

  const builder = selectBuilder(app, dir)
  const processes = readProcfile(dir)
  const release: Release = {
    id,
    sha: rev,
    dir,
    codeRoot: '/app',
    pid: -1,
    internalPort: 0,
    builder,
    processes,
    checkPath: webCheckPath(dir),
  }
  if (builder === 'dockerfile') buildDockerfile(app, release)
  else buildHerokuish(app, release)
  discover(release.processes)
  app = updateApp(name, (latest) => ({ ...latest, releases: latest.releases + 1 }))

  info1(`Releasing ${name}...`)
  runTask(app, release, 'predeploy', appJsonScript(dir, 'predeploy'), 'app.json')
  runTask(app, release, 'release', release.processes.release, 'Procfile')

  info1(`Deploying ${name} via the docker-local scheduler...`)
  const web = release.processes.web
  if (!web && builder === 'herokuish') {
    warn('No web process type found in the Procfile')
    fail('Could not start due to 1 failed checks (web.1)')
  }
  info1('Deploying web (count=1)')
  verbose('Attempting pre-flight checks (web.1)')
  if (release.checkPath) verbose(`Running web check ${release.checkPath} (web.1)`)
  const port = await freePort()
  const started = await startChecked(app, release, web, port)
  verbose(release.checkPath ? 'All checks successful (web.1)' : 'Default container check successful (web.1)')
  info1('Running post-deploy')
  const previous = app.release
  await setRoute(app, port)
  app = updateApp(name, (latest) => ({ ...latest, release: { ...release, ...started, internalPort: port } }))
  if (previous) {
    info1('Shutting down old containers in 60 seconds')
    stopRelease(previous)
    retireImage(previous)
  }
  runTask(app, app.release as Release, 'postdeploy', appJsonScript(dir, 'postdeploy'), 'app.json')
  info2('Application deployed:')
  for (const url of appUrls(app)) verbose(url)
  log('')
}

/** Start the web container and run Dokku's checks; on failure show its output and remove it. */
async function startChecked(
  app: App,
  release: Release,
  web: string | undefined,
  port: number,
): Promise<{ container: string; pid: number }> {
  const started = startProcess(app, release, web, port)
  if (started.pid > 0 && (await waitHealthy(started.container, port, 60_000, release.checkPath))) return started
  warn('App container failed to start (web.1)')
  info2(`Start of ${app.name} container output (web.1)`)
  for (const line of containerLogs(started.container).split('\n').filter(Boolean)) verbose(line)
  info2(`End of ${app.name} container output (web.1)`)
  removeContainer(started.container)
  fail('Could not start due to 1 failed checks (web.1)')
}

/** builder-detect, as Dokku does it: the app's selected builder, else a Dockerfile decides, else herokuish. */
function selectBuilder(app: App, source: string): 'herokuish' | 'dockerfile' {
  const hasDockerfile = existsSync(path.join(source, 'Dockerfile'))
  const builder =
    app.builderSelected === 'herokuish' || app.builderSelected === 'dockerfile'
      ? app.builderSelected
      : hasDockerfile
        ? 'dockerfile'
        : 'herokuish'
  if (builder === 'dockerfile') {
    if (!hasDockerfile) fail('Dockerfile not found')
    info1(`Building ${app.name} from Dockerfile`)
  } else {
    info1(`Building ${app.name} from herokuish`)
  }
  return builder
}

/** `docker build` of the pushed tree, as Dokku's builder-dockerfile does (the app's config is not a build arg). */
function buildDockerfile(app: App, release: Release): void {
  const image = `dokku/${app.name}:${release.id}`
  const result = docker(['build', '--network', 'host', '--label', LABEL, '-t', image, release.dir])
  for (const line of `${result.stdout}${result.stderr}`.split('\n').filter(Boolean).slice(-60)) verbose(line)
  if (result.status !== 0) fail('App build failed')
  release.image = image
  const inspected = docker(['image', 'inspect', '-f', '{{.Config.WorkingDir}}', image])
  release.codeRoot = inspected.stdout.trim() || '/'
}

/** The buildpack's build in a container of the stack image: the slug (the code and its virtualenv) stays on the host, mounted at /app. */
function buildHerokuish(app: App, release: Release): void {
  const python = ['requirements.txt', 'setup.py', 'Pipfile', 'pyproject.toml'].some((file) =>
    existsSync(path.join(release.dir, file)),
  )
  if (!python) {
    log('-----> Unable to select a buildpack')
    fail('App build failed')
  }
  const manager = packageManager(release.dir)
  if (!manager) {
    log('-----> Python app detected')
    warn("Error: Couldn't find any supported Python package manager files.")
    verbose("A Python app must have either a 'requirements.txt', 'Pipfile' or 'poetry.lock'")
    verbose('package manager file in the root directory of its source code.')
    fail('App build failed')
  }
  const cache = buildCacheDir(app.name)
  mkdirSync(path.join(cache, 'pip'), { recursive: true })
  const digest = declarationDigest(release.dir, manager)
  const cachedVenv = path.join(cache, 'venv')
  const reuse = existsSync(path.join(cachedVenv, 'bin', 'python')) && readText(path.join(cache, 'venv.digest')) === digest
  if (reuse) cpSync(cachedVenv, path.join(release.dir, '.heroku', 'python'), { recursive: true, verbatimSymlinks: true })
  // The build sees the app's config (herokuish's ENV_DIR), never on a command line.
  const env = { ...app.config }
  const args = ['run', '--rm', '--network', 'host', '--label', LABEL, '-v', `${release.dir}:/app`, '-v', `${cache}:/tmp/cache`]
  for (const key of Object.keys(env)) args.push('-e', key)
  const result = docker([...args, STACK_IMAGE, 'bash', '-c', buildScript(manager, reuse)], { env })
  for (const line of `${result.stdout}${result.stderr}`.split('\n').filter(Boolean)) log(line)
  if (result.status !== 0) fail('App build failed')
  if (!reuse) {
    rmSync(cachedVenv, { recursive: true, force: true })
    cpSync(path.join(release.dir, '.heroku', 'python'), cachedVenv, { recursive: true, verbatimSymlinks: true })
    writeFileSync(path.join(cache, 'venv.digest'), digest)
  }
}

function readText(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8')
  } catch {
    return undefined
  }
}

/** The old release's image goes with its container (Dokku's retire). */
function retireImage(release: Release): void {
  if (release.image) docker(['rmi', '-f', release.image])
}

/** app.json healthchecks.web: the path of the first check that has one. */
function webCheckPath(dir: string): string | undefined {
  try {
    const parsed = JSON.parse(readFileSync(path.join(dir, 'app.json'), 'utf8')) as {
      healthchecks?: { web?: Array<{ path?: unknown }> }
    }
    const check = parsed.healthchecks?.web?.find((entry) => typeof entry.path === 'string')
    return check?.path as string | undefined
  } catch {
    return undefined
  }
}

function discover(processes: Record<string, string>): void {
  log('-----> Discovering process types')
  const types = Object.keys(processes)
  verbose(types.length ? `Procfile declares types -> ${types.join(', ')}` : 'No Procfile found')
}

function readProcfile(dir: string): Record<string, string> {
  const file = path.join(dir, 'Procfile')
  if (!existsSync(file)) return {}
  const processes: Record<string, string> = {}
  for (const line of readFileSync(file, 'utf8').split(/\r?\n/)) {
    const match = /^([A-Za-z0-9_-]+):\s*(.*?)\s*$/.exec(line)
    if (match?.[1] && match[2]) processes[match[1]] = match[2]
  }
  return processes
}

function appJsonScript(dir: string, phase: 'predeploy' | 'postdeploy'): string | undefined {
  const file = path.join(dir, 'app.json')
  if (!existsSync(file)) return undefined
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as { scripts?: { dokku?: Record<string, unknown> } }
    const script = parsed.scripts?.dokku?.[phase]
    return typeof script === 'string' && script !== '' ? script : undefined
  } catch {
    warn('Unable to parse app.json')
    return undefined
  }
}

/** app-json executeScript: output only without DOKKU_QUIET_OUTPUT (never during a git push). */
function runTask(app: App, release: Release, phase: string, command: string | undefined, source: string): void {
  info1(`Checking for ${phase} task`)
  if (!command) {
    verbose(`No ${phase} task found, skipping`)
    return
  }
  verbose(
    phase === 'predeploy'
      ? `Executing ${phase} task from ${source}: ${command}`
      : `Executing ${phase} task from ${source} in ephemeral container: ${command}`,
  )
  const result = runInRelease(app, release, command, { shell: source === 'app.json' })
  const id = Math.random().toString(16).slice(2, 11)
  info2Quiet(`Start of ${app.name} ${phase} task (${id}) output`)
  for (const line of `${result.stdout}${result.stderr}`.split('\n').filter(Boolean)) verboseQuiet(line)
  info2Quiet(`End of ${app.name} ${phase} task (${id}) output`)
  if (result.status !== 0) fail(`Execution of ${phase} task failed: ${command}`)
}

/** ps:restart, and the restart after config:set / postgres:link without --no-restart: the current release, new environment. */
export async function restartApp(name: string): Promise<void> {
  const app = loadApp(name) as App
  const current = app.release
  if (!current) return
  info1(`Deploying ${name} via the docker-local scheduler...`)
  info1('Deploying web (count=1)')
  const web = current.processes.web
  if (!web && current.builder === 'herokuish') fail('Could not start due to 1 failed checks (web.1)')
  const port = await freePort()
  const started = await startChecked(app, current, web, port)
  verbose('Default container check successful (web.1)')
  await setRoute(app, port)
  updateApp(name, (latest) => ({ ...latest, release: { ...current, ...started, internalPort: port } }))
  stopRelease(current)
  info2('Application deployed:')
  for (const url of appUrls(app)) verbose(url)
}
