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
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs'
import path from 'node:path'
import { fail, info1, info2, info2Quiet, log, verbose, verboseQuiet, warn } from './output.js'
import {
  applyMounts,
  appUrls,
  freePort,
  runInRelease,
  runtimeEnv,
  setRoute,
  startProcess,
  stopRelease,
  waitHealthy,
} from './runtime.js'
import { appRepo, loadApp, releasesDir, updateApp, type App, type Release } from './state.js'

interface Build {
  builder: 'herokuish' | 'dockerfile'
  processes: Record<string, string>
  imageEnv: Record<string, string>
  /** Where the code goes in the container: /app, or where a Dockerfile copies it. */
  codeRoot: string
  /** The image's WORKDIR (container path), for release tasks and processes. */
  workdir: string
  /** Dockerfile RUN steps that call manage.py, run once the code is in place. */
  steps: Array<{ command: string; workdir: string; env: Record<string, string> }>
}

export async function deploy(name: string, rev: string): Promise<void> {
  // git_build: the pushed sha becomes GIT_REV (rev-env-var) before anything else.
  let app = updateApp(name, (latest) => ({ ...latest, config: { ...latest.config, GIT_REV: rev } }))

  info1('Cleaning up...')
  const id = `${String(app.releases + 1).padStart(4, '0')}-${rev.slice(0, 7)}`
  const root = path.join(releasesDir(name), id)
  rmSync(root, { recursive: true, force: true })
  const source = path.join(root, 'source')
  mkdirSync(source, { recursive: true })
  // Objects of a push are still in quarantine: the hook's GIT_OBJECT_DIRECTORY/ALTERNATE variables let git read them.
  const extract = spawnSync(
    'sh',
    ['-c', 'git --git-dir="$1" archive --format=tar "$2" | tar -x -C "$3"', 'sh', appRepo(name), rev, source],
    { encoding: 'utf8', env: { ...process.env, GIT_DIR: undefined } },
  )
  if (extract.status !== 0) {
    warn('Failure extracting app code')
    process.stderr.write(extract.stderr)
    fail('App build failed')
  }

  const build = detectBuild(app, source)
  // The container's filesystem: the code at its container path, mounts beside it (runtime.ts).
  const fsRoot = path.join(root, 'fs')
  const dir = path.join(fsRoot, build.codeRoot)
  mkdirSync(path.dirname(dir), { recursive: true })
  renameSync(source, dir)
  const release: Release = {
    id,
    sha: rev,
    dir,
    fsRoot,
    codeRoot: build.codeRoot,
    pid: -1,
    internalPort: 0,
    builder: build.builder,
    imageEnv: build.imageEnv,
    workdir: build.workdir === build.codeRoot ? '' : path.join(fsRoot, build.workdir),
    processes: build.processes,
    checkPath: webCheckPath(dir),
  }
  runBuild(app, release, build)
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
  if (release.checkPath) verbose(`Running web check ${release.checkPath} (web.1)`)
  const port = await freePort()
  const pid = startProcess(app, release, web, port)
  const healthy = await waitHealthy(pid, port, 60_000, release.checkPath)
  if (!healthy) {
    stopRelease({ ...release, pid })
    fail('Could not start due to 1 failed checks (web.1)')
  }
  verbose(release.checkPath ? 'All checks successful (web.1)' : 'Default container check successful (web.1)')
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

/** builder-detect, as Dokku does it: the app's selected builder, else a Dockerfile decides, else herokuish. */
function detectBuild(app: App, source: string): Build {
  const hasDockerfile = existsSync(path.join(source, 'Dockerfile'))
  const builder =
    app.builderSelected === 'herokuish' || app.builderSelected === 'dockerfile'
      ? app.builderSelected
      : hasDockerfile
        ? 'dockerfile'
        : 'herokuish'
  const processes = readProcfile(source)
  if (builder === 'dockerfile') {
    if (!hasDockerfile) fail('Dockerfile not found')
    info1(`Building ${app.name} from Dockerfile`)
    return readDockerfile(source, processes)
  }
  info1(`Building ${app.name} from herokuish`)
  const python = ['requirements.txt', 'setup.py', 'Pipfile', 'pyproject.toml'].some((file) => existsSync(path.join(source, file)))
  if (!python) {
    log('-----> Unable to select a buildpack')
    fail('App build failed')
  }
  return { builder, processes, imageEnv: {}, codeRoot: '/app', workdir: '/app', steps: [] }
}

function runBuild(app: App, release: Release, build: Build): void {
  if (build.builder === 'herokuish') {
    log('-----> Python app detected')
    log('-----> Installing requirements with pip')
    verbose('(stand-in: the server provides Python packages; nothing is downloaded)')
    if (existsSync(path.join(release.dir, 'manage.py')) && app.config.DISABLE_COLLECTSTATIC !== '1') {
      log('-----> $ python manage.py collectstatic --noinput')
      const result = runInRelease(app, release, ['python', 'manage.py', 'collectstatic', '--noinput'])
      for (const line of `${result.stdout}${result.stderr}`.split('\n').filter(Boolean).slice(-40)) verbose(line)
      if (result.status !== 0) {
        log(" !     Error while running '$ python manage.py collectstatic --noinput'.")
        verbose('See traceback above for details.')
        fail('App build failed')
      }
    }
  } else {
    for (const step of build.steps) {
      verbose(`RUN ${step.command}`)
      // docker build sees the image's ENV only, not the app's config.
      const result = spawnSync('/bin/sh', ['-c', step.command], {
        cwd: path.join(release.fsRoot, step.workdir),
        env: runtimeEnv({ ...app, config: {} }, { ...release, imageEnv: step.env }),
        encoding: 'utf8',
      })
      for (const line of `${result.stdout}${result.stderr}`.split('\n').filter(Boolean).slice(-40)) verbose(line)
      if (result.status !== 0) {
        warn(`The command '/bin/sh -c ${step.command}' returned a non-zero code: ${result.status}`)
        fail('App build failed')
      }
    }
  }
  discover(build.processes)
}

/**
 * The final stage of a Dockerfile: ENV, WORKDIR, where `COPY . <dest>` puts the code, CMD, and the
 * RUN steps that call manage.py (collectstatic). Package installation is skipped: the stand-in
 * runs on the server's Python.
 */
function readDockerfile(source: string, processes: Record<string, string>): Build {
  const lines = readFileSync(path.join(source, 'Dockerfile'), 'utf8')
    .replace(/\\\r?\n/g, ' ')
    .split(/\r?\n/)
  const stages = lines.reduce<string[][]>((all, line) => {
    if (/^\s*FROM\s/i.test(line)) all.push([])
    all.at(-1)?.push(line)
    return all
  }, [])
  const env: Record<string, string> = {}
  const steps: Build['steps'] = []
  let workdir = '/'
  let codeRoot: string | undefined
  let cmd: string | undefined
  for (const raw of stages.at(-1) ?? []) {
    const match = /^\s*([A-Za-z]+)\s+(.*)$/.exec(raw)
    if (!match) continue
    const instruction = (match[1] ?? '').toUpperCase()
    const rest = (match[2] ?? '').trim()
    if (instruction === 'ENV') {
      for (const pair of rest.match(/[A-Za-z_][A-Za-z0-9_]*=("[^"]*"|\S*)/g) ?? []) {
        const [key, value] = pair.split(/=(.*)/s, 2) as [string, string]
        env[key] = value.replace(/^"|"$/g, '')
      }
    } else if (instruction === 'WORKDIR') {
      workdir = path.posix.resolve(workdir, rest)
    } else if (instruction === 'COPY' || instruction === 'ADD') {
      const words = rest.startsWith('[')
        ? (JSON.parse(rest) as string[])
        : rest.split(/\s+/).filter((word) => !word.startsWith('--'))
      if (words.length === 2 && (words[0] === '.' || words[0] === './')) codeRoot = path.posix.resolve(workdir, words[1] ?? '.')
    } else if (instruction === 'CMD') {
      cmd = rest.startsWith('[') ? (JSON.parse(rest) as string[]).join(' ') : rest
    } else if (instruction === 'RUN') {
      if (/manage\.py/.test(rest)) steps.push({ command: rest, workdir, env: { ...env } })
      else verbose(`RUN ${rest.slice(0, 70)}${rest.length > 70 ? '…' : ''} (stand-in: skipped, the server provides packages)`)
    }
  }
  if (!processes.web && cmd) processes.web = cmd
  return {
    builder: 'dockerfile',
    processes,
    imageEnv: env,
    codeRoot: codeRoot ?? '/app',
    workdir: workdir === '/' ? (codeRoot ?? '/app') : workdir,
    steps,
  }
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
  if (!(await waitHealthy(pid, port, 60_000, current.checkPath))) {
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
