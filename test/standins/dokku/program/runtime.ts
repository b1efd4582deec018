/**
 * Containers, as Dokku's docker-local scheduler runs them: every process of a release (web,
 * release tasks, `dokku run`) is a real `docker run --network host` of the release's image, with
 * the app's config as its environment, PORT, and storage mounts as `-v host:container`.
 *
 * - Dockerfile releases run the image `docker build` made (its ENV, WORKDIR, USER, ENTRYPOINT and
 *   CMD apply). A Procfile command is expanded with the environment and handed to the image as
 *   words, as Dokku does (procfile-util expand), so shell syntax in it is not interpreted.
 * - herokuish releases run python:3.12-slim (the stack image) with the built slug (the app and
 *   its virtualenv in /app/.heroku/python) mounted at /app; commands run through bash with the
 *   virtualenv first on PATH, as herokuish's /exec does, so a program the app did not declare is
 *   `command not found` (exit 127).
 *
 * With the host network every web container listens on its own port (PORT); the stand-in's proxy
 * (proxy.ts, the stand-in for Dokku's nginx) forwards the app's public port to the release that
 * passed its checks. Every container carries the stand-in's label, so stopping the stand-in
 * removes them all (standin.ts).
 */
import { spawnSync, type SpawnSyncReturns } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import path from 'node:path'
import { loadGlobal, proxyRoutesFile, ROOT, type App, type Release } from './state.js'

export const DOCKER = process.env.STANDIN_DOCKER ?? 'docker'
/** The stack image herokuish builds and runs on (Dokku's gliderlabs/herokuish); here the test bed's python:3.12-slim. */
export const STACK_IMAGE = 'python:3.12-slim'
/** Every container and image the stand-in makes carries this label with its root, so close() finds them. */
export const LABEL = `django-deploy.dokku-standin=${ROOT}`
export const HEROKUISH_PATH = '/app/.heroku/python/bin:/usr/local/bin:/usr/local/sbin:/usr/bin:/usr/sbin:/bin:/sbin'

export interface ReleaseLike {
  builder: string
  /** The image a Dockerfile build made ('' for herokuish). */
  image?: string
  /** herokuish: the slug on the host, mounted at /app. */
  dir: string
}

/** docker, with the given variables in its own environment only (`-e KEY` takes them from there): values never reach a command line. */
export function docker(
  args: string[],
  options: { env?: Record<string, string>; inherit?: boolean; input?: string } = {},
): SpawnSyncReturns<string> {
  return spawnSync(DOCKER, args, {
    env: { PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin', HOME: process.env.HOME ?? '/', ...options.env },
    encoding: 'utf8',
    stdio: options.inherit ? 'inherit' : 'pipe',
    input: options.input,
    maxBuffer: 64 * 1024 * 1024,
  })
}

/** The arguments every container of an app gets: label, host network, the config as `-e KEY`, the storage mounts. */
function containerArgs(app: App, release: ReleaseLike, env: Record<string, string>): string[] {
  const args = ['--network', 'host', '--label', LABEL, '--label', `django-deploy.dokku-app=${app.name}`]
  for (const key of Object.keys(env)) args.push('-e', key)
  if (release.builder === 'herokuish') args.push('-v', `${release.dir}:/app`, '-w', '/app')
  for (const mount of app.mounts) args.push('-v', `${mount.host}:${mount.container}`)
  return args
}

/** A container's environment (on top of the image's ENV): what herokuish or Dokku adds, then the app's config. */
export function containerEnv(app: App, release: ReleaseLike, extra: Record<string, string> = {}): Record<string, string> {
  const base: Record<string, string> =
    release.builder === 'herokuish'
      ? { PATH: HEROKUISH_PATH, HOME: '/app', PYTHONUNBUFFERED: 'true', LANG: 'C.UTF-8', DYNO: 'run.1' }
      : { DYNO: 'run.1' }
  return { ...base, ...app.config, ...extra }
}

/** Dokku's procfile-util expand: $VAR and ${VAR} from the environment (unset ones become empty), then words. */
export function expandWords(command: string, env: Record<string, string>): string[] {
  const expanded = command.replace(
    /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g,
    (_, braced, fallback, plain) => {
      const value = env[(braced ?? plain) as string]
      return value === undefined || value === '' ? (fallback ?? '') : value
    },
  )
  const words: string[] = []
  for (const match of expanded.matchAll(/"((?:[^"\\]|\\.)*)"|'([^']*)'|(\S+)/g))
    words.push(match[1] ?? match[2] ?? match[3] ?? '')
  return words
}

/**
 * What a container runs: herokuish through bash (herokuish's /exec), a Dockerfile image with the
 * words as its command (its ENTRYPOINT, if any, gets them). `shell` forces `/bin/sh -c` (app.json
 * scripts); an argv array is passed as it is.
 */
function commandArgs(
  release: ReleaseLike,
  command: string | string[] | undefined,
  env: Record<string, string>,
  shell: boolean,
): string[] {
  const image = release.builder === 'herokuish' ? STACK_IMAGE : (release.image ?? '')
  if (command === undefined) return [image]
  if (release.builder === 'herokuish') {
    return typeof command === 'string' ? [image, 'bash', '-c', command] : [image, 'bash', '-c', 'exec "$@"', 'exec', ...command]
  }
  if (typeof command !== 'string') return [image, ...command]
  return shell ? ['--entrypoint', '/bin/sh', image, '-c', command] : [image, ...expandWords(command, env)]
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.on('error', reject)
    server.listen({ host: '127.0.0.1', port: 0, exclusive: true }, () => {
      const address = server.address()
      const port = typeof address === 'object' && address ? address.port : 0
      server.close(() => resolve(port))
    })
  })
}

export interface Started {
  container: string
  /** The container's main process as the host sees it. */
  pid: number
}

/** Start a process type as a detached container (it outlives this command). `command` undefined: the image's own CMD. */
export function startProcess(app: App, release: Release, command: string | undefined, port: number): Started {
  const env = containerEnv(app, release, { PORT: String(port), DYNO: 'web.1' })
  const name = `dokku-standin-${app.name}-${release.id}-web-${port}`
  const result = docker(
    ['run', '-d', '--name', name, ...containerArgs(app, release, env), ...commandArgs(release, command, env, false)],
    {
      env,
    },
  )
  if (result.status !== 0) return { container: name, pid: -1 }
  const inspected = docker(['inspect', '-f', '{{.State.Pid}}', name])
  return { container: name, pid: Number(inspected.stdout.trim()) || -1 }
}

export function containerRunning(container: string): boolean {
  return docker(['inspect', '-f', '{{.State.Running}}', container]).stdout.trim() === 'true'
}

export function containerLogs(container: string): string {
  const result = docker(['logs', '--tail', '40', container])
  return `${result.stdout}${result.stderr}`
}

export function removeContainer(container: string | undefined): void {
  if (container) docker(['rm', '-f', container])
}

export function stopRelease(release: { container?: string }): void {
  removeContainer(release.container)
}

/**
 * Dokku's checks: without app.json healthchecks, the container must stay up (here: and answer
 * HTTP at all); with a web healthcheck path, that path must answer with a status below 400.
 */
export async function waitHealthy(container: string, port: number, timeoutMs: number, checkPath?: string): Promise<boolean> {
  const deadline = Date.now() + timeoutMs
  let probes = 0
  while (Date.now() < deadline) {
    if (probes++ % 10 === 0 && !containerRunning(container)) return false
    try {
      const response = await fetch(`http://127.0.0.1:${port}${checkPath ?? '/'}`, {
        redirect: 'manual',
        signal: AbortSignal.timeout(3000),
      })
      await response.arrayBuffer()
      if (checkPath === undefined || response.status < 400) return containerRunning(container)
    } catch {
      /* not listening yet */
    }
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  return false
}

/**
 * A one-off container (`dokku run`, release tasks): removed when it exits. A string is a
 * Procfile-style command (or with `shell`, an app.json script); an array is passed as argv.
 */
export function runInRelease(
  app: App,
  release: ReleaseLike,
  command: string[] | string,
  options: { inherit?: boolean; env?: Record<string, string>; shell?: boolean } = {},
): SpawnSyncReturns<string> {
  const env = containerEnv(app, release, options.env)
  const args = ['run', '--rm', ...containerArgs(app, release, env)]
  return docker([...args, ...commandArgs(release, command, env, options.shell ?? false)], {
    env,
    inherit: options.inherit,
  })
}

interface Routes {
  version: number
  routes: Record<string, { listen: number; upstream: number | null }>
}

function readRoutes(): Routes {
  try {
    return JSON.parse(readFileSync(proxyRoutesFile(), 'utf8')) as Routes
  } catch {
    return { version: 0, routes: {} }
  }
}

async function writeRoutes(update: (routes: Routes) => void): Promise<void> {
  const routes = readRoutes()
  update(routes)
  routes.version += 1
  mkdirSync(path.dirname(proxyRoutesFile()), { recursive: true })
  const temporary = `${proxyRoutesFile()}.${process.pid}.tmp`
  writeFileSync(temporary, JSON.stringify(routes))
  renameSync(temporary, proxyRoutesFile())
  // Like `nginx -s reload`: return once the proxy serves the new configuration.
  const applied = path.join(ROOT, 'proxy', 'applied')
  const deadline = Date.now() + 10_000
  while (Date.now() < deadline) {
    if (existsSync(applied) && Number(readFileSync(applied, 'utf8')) >= routes.version) return
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  throw new Error('stand-in proxy did not apply the new routes within 10 s (is it running?)')
}

export async function setRoute(app: App, upstream: number | null): Promise<void> {
  if (app.port === undefined) return
  const port = app.port
  await writeRoutes((routes) => {
    routes.routes[app.name] = { listen: port, upstream }
  })
}

export function removeRoute(name: string): void {
  const routes = readRoutes()
  if (!routes.routes[name]) return
  delete routes.routes[name]
  routes.version += 1
  const temporary = `${proxyRoutesFile()}.${process.pid}.tmp`
  writeFileSync(temporary, JSON.stringify(routes))
  renameSync(temporary, proxyRoutesFile())
}

/** The app's URLs as `domains-urls` prints them. */
export function appUrls(app: App): string[] {
  const hostname = loadGlobal().hostname
  const scheme = app.letsencrypt ? 'https' : 'http'
  const port = app.letsencrypt ? 443 : (app.port ?? 80)
  const suffix = (scheme === 'http' && port === 80) || (scheme === 'https' && port === 443) ? '' : `:${port}`
  const hosts = app.domains.length > 0 ? [...app.domains].sort() : [hostname]
  return [...new Set(hosts.map((host) => `${scheme}://${host}${suffix}`))]
}
