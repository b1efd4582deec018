/**
 * What happens inside git's pre-receive hook on a Dokku server, for the pushed revision:
 * extract, build (herokuish or Dockerfile, detected as Dokku does), release (app.json predeploy,
 * Procfile `release:`), deploy with checks, switch traffic, retire the old release, print
 * "Application deployed:" with the URLs. Any failure prints Dokku's ` !     ` line and exits
 * non-zero, so git reports "pre-receive hook declined" and the running release is untouched.
 *
 * Builds do not run Docker. herokuish builds use the server's Python packages (Debian's Django and
 * gunicorn) instead of pip; Dockerfile builds honour the final stage's ENV, WORKDIR and CMD and run
 * its `manage.py` RUN steps (collectstatic), skipping package installation. See README.md.
 */
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs'
import path from 'node:path'
import { fail, info1, info2, info2Quiet, log, verbose, verboseQuiet, warn } from './output.js'
import { applyMounts, appUrls, containerPath, freePort, runInRelease, runtimeEnv, setRoute, startProcess, stopRelease, waitHealthy } from './runtime.js'
import { appRepo, loadApp, releasesDir, updateApp, type App, type Release } from './state.js'

interface Build {
  builder: 'herokuish' | 'dockerfile'
  processes: Record<string, string>
  imageEnv: Record<string, string>
  /** Host path of the image's WORKDIR, '' for /app. */
  workdir: string
}

export async function deploy(name: string, rev: string): Promise<void> {
  // git_build: the pushed sha becomes GIT_REV (rev-env-var) before anything else.
  let app = updateApp(name, (latest) => ({ ...latest, config: { ...latest.config, GIT_REV: rev } }))

  info1('Cleaning up...')
  const id = `${String(app.releases + 1).padStart(4, '0')}-${rev.slice(0, 7)}`
  const dir = path.join(releasesDir(name), id)
  rmSync(dir, { recursive: true, force: true })
  mkdirSync(dir, { recursive: true })
  // Objects of a push are still in quarantine: the hook's GIT_OBJECT_DIRECTORY/ALTERNATE variables let git read them.
  const extract = spawnSync('sh', ['-c', 'git --git-dir="$1" archive --format=tar "$2" | tar -x -C "$3"', 'sh', appRepo(name), rev, dir], { encoding: 'utf8', env: { ...process.env, GIT_DIR: undefined } })
  if (extract.status !== 0) {
    warn('Failure extracting app code')
    process.stderr.write(extract.stderr)
    fail('App build failed')
  }

  const build = buildRelease(app, dir)
  const release: Release = { id, sha: rev, dir, pid: -1, internalPort: 0, builder: build.builder, imageEnv: build.imageEnv, workdir: build.workdir, processes: build.processes }
  app = updateApp(name, (latest) => ({ ...latest, releases: latest.releases + 1 }))

  info1(`Releasing ${name}...`)
  applyMounts(app, release)
  runTask(app, release, 'predeploy', appJsonScript(dir, 'predeploy'), 'app.json')
  runTask(app, release, 'release', build.processes.release, 'Procfile')

  info1(`Deploying ${name} via the docker-local scheduler...`)
  const web = build.processes.web
  if (!web) {
    warn('No web process type found in the Procfile or the Dockerfile CMD')
    fail('Could not start due to 1 failed checks (web.1)')
  }
  info1('Deploying web (count=1)')
  verbose('Attempting pre-flight checks (web.1)')
  const port = await freePort()
  const pid = startProcess(app, release, web, port)
  const healthy = await waitHealthy(pid, port, 60_000)
  if (!healthy) {
    stopRelease({ ...release, pid })
    fail('Could not start due to 1 failed checks (web.1)')
  }
  verbose('Default container check successful (web.1)')
  info1('Running post-deploy')
  const previous = app.release
  await setRoute(app, port)
  app = updateApp(name, (latest) => ({ ...latest, release: { ...release, pid, internalPort: port } }))
  if (previous) {
    info1('Shutting down old containers in 60 seconds')
    stopRelease(previous)
  }
  runTask(app, app.release as Release, 'postdeploy', appJsonScript(dir, 'postdeploy'), 'app.json')
  info2('Application deployed:')
  for (const url of appUrls(app)) verbose(url)
  log('')
}

function buildRelease(app: App, dir: string): Build {
  const hasDockerfile = existsSync(path.join(dir, 'Dockerfile'))
  const builder = app.builderSelected === 'herokuish' || app.builderSelected === 'dockerfile' ? app.builderSelected : hasDockerfile ? 'dockerfile' : 'herokuish'
  const processes = readProcfile(dir)
  if (builder === 'dockerfile') {
    if (!hasDockerfile) fail('Dockerfile not found')
    info1(`Building ${app.name} from Dockerfile`)
    return dockerfileBuild(app, dir, processes)
  }
  info1(`Building ${app.name} from herokuish`)
  const python = ['requirements.txt', 'setup.py', 'Pipfile', 'pyproject.toml'].some((file) => existsSync(path.join(dir, file)))
  if (!python) {
    log('-----> Unable to select a buildpack')
    fail('App build failed')
  }
  log('-----> Python app detected')
  log('-----> Installing requirements with pip')
  verbose('(stand-in: the server provides Python packages; nothing is downloaded)')
  const build: Build = { builder, processes, imageEnv: {}, workdir: '' }
  if (existsSync(path.join(dir, 'manage.py')) && app.config.DISABLE_COLLECTSTATIC !== '1') {
    log('-----> $ python manage.py collectstatic --noinput')
    const result = runInRelease(app, { dir }, ['python', 'manage.py', 'collectstatic', '--noinput'])
    for (const line of `${result.stdout}${result.stderr}`.split('\n').filter(Boolean).slice(-40)) verbose(line)
    if (result.status !== 0) {
      log(" !     Error while running '$ python manage.py collectstatic --noinput'.")
      verbose('See traceback above for details.')
      fail('App build failed')
    }
  }
  discover(processes)
  return build
}

function dockerfileBuild(app: App, dir: string, processes: Record<string, string>): Build {
  const lines = readFileSync(path.join(dir, 'Dockerfile'), 'utf8').replace(/\\\r?\n/g, ' ').split(/\r?\n/)
  const stages = lines.reduce<string[][]>((all, line) => {
    if (/^\s*FROM\s/i.test(line)) all.push([])
    all.at(-1)?.push(line)
    return all
  }, [])
  const final = stages.at(-1) ?? []
  const env: Record<string, string> = {}
  let workdir = '/app'
  let cmd: string | undefined
  let step = 0
  for (const raw of final) {
    const match = /^\s*([A-Za-z]+)\s+(.*)$/.exec(raw)
    if (!match) continue
    const instruction = (match[1] ?? '').toUpperCase()
    const rest = (match[2] ?? '').trim()
    step++
    if (instruction === 'ENV') {
      for (const pair of rest.match(/[A-Za-z_][A-Za-z0-9_]*=("[^"]*"|\S*)/g) ?? []) {
        const [key, value] = pair.split(/=(.*)/s, 2) as [string, string]
        env[key] = value.replace(/^"|"$/g, '')
      }
    } else if (instruction === 'WORKDIR') {
      workdir = path.posix.resolve(workdir, rest)
    } else if (instruction === 'CMD') {
      cmd = rest.startsWith('[') ? (JSON.parse(rest) as string[]).join(' ') : rest
    } else if (instruction === 'RUN') {
      if (!/manage\.py/.test(rest)) {
        verbose(`#${step} RUN ${rest.slice(0, 70)}${rest.length > 70 ? '…' : ''} (stand-in: skipped, the server provides packages)`)
        continue
      }
      verbose(`#${step} RUN ${rest}`)
      const result = spawnSync('/bin/sh', ['-c', rest], { cwd: containerPath({ dir }, workdir), env: runtimeEnv(app, { dir, imageEnv: env }), encoding: 'utf8' })
      for (const line of `${result.stdout}${result.stderr}`.split('\n').filter(Boolean).slice(-40)) verbose(line)
      if (result.status !== 0) {
        warn(`The command '/bin/sh -c ${rest}' returned a non-zero code: ${result.status}`)
        fail('App build failed')
      }
    }
  }
  if (!processes.web && cmd) processes.web = cmd.replace(/^exec\s+/, 'exec ')
  discover(processes)
  return { builder: 'dockerfile', processes, imageEnv: env, workdir: workdir === '/app' ? '' : containerPath({ dir }, workdir) }
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
  verbose(phase === 'predeploy' ? `Executing ${phase} task from ${source}: ${command}` : `Executing ${phase} task from ${source} in ephemeral container: ${command}`)
  const result = runInRelease(app, release, command)
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
  if (!web) fail('Could not start due to 1 failed checks (web.1)')
  applyMounts(app, current)
  const port = await freePort()
  const pid = startProcess(app, current, web, port)
  if (!(await waitHealthy(pid, port, 60_000))) {
    stopRelease({ ...current, pid })
    fail('Could not start due to 1 failed checks (web.1)')
  }
  verbose('Default container check successful (web.1)')
  await setRoute(app, port)
  updateApp(name, (latest) => ({ ...latest, release: { ...current, pid, internalPort: port } }))
  stopRelease(current)
  info2('Application deployed:')
  for (const url of appUrls(app)) verbose(url)
}
