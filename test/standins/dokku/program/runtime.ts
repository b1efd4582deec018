/**
 * What the stand-in has instead of Docker containers. A release is a directory with the pushed
 * tree (the container's /app); a "container" is a process started in it with the app's config as
 * its environment. Values that name /app (MEDIA_ROOT=/app/storage/media) are rewritten to the
 * release directory, and each storage mount becomes a symlink at its container path inside it,
 * so the app sees the same layout it would see in a container, with real persistent storage.
 *
 * Web processes listen on an internal port; the stand-in's proxy (proxy.ts, the stand-in for
 * Dokku's nginx) forwards the app's public port to the release that passed its checks. A new
 * release only gets traffic after its checks pass, and the old one keeps serving until then.
 */
import { spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process'
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import path from 'node:path'
import { appLogDir, loadGlobal, proxyRoutesFile, ROOT, runtimeBin, type App, type Release } from './state.js'

export interface ReleaseLike {
  dir: string
  fsRoot: string
  codeRoot: string
  imageEnv?: Record<string, string>
  workdir?: string
}

/**
 * A container path as a host path: the code directory and the mount points live under the
 * release's fsRoot; any other value (a URL, /usr/bin/python3, a word) is left as it is.
 */
export function containerPath(app: App, release: ReleaseLike, value: string): string {
  const roots = [release.codeRoot, ...app.mounts.map((mount) => mount.container)]
  const inside = roots.some((root) => value === root || value.startsWith(`${root.replace(/\/$/, '')}/`))
  return inside ? path.join(release.fsRoot, value) : value
}

/** A container's environment: the image's ENV, then the app's config (which wins, as with `docker run -e`). */
export function runtimeEnv(app: App, release: ReleaseLike, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    PATH: `${runtimeBin()}:/usr/local/bin:/usr/bin:/bin`,
    HOME: release.dir,
    LANG: 'C.UTF-8',
    PYTHONUNBUFFERED: '1',
    PYTHONDONTWRITEBYTECODE: '1',
    DYNO: 'run.1',
  }
  // The image's PATH/VIRTUAL_ENV name a virtualenv the stand-in does not build; the server's Python serves instead.
  for (const [key, value] of Object.entries(release.imageEnv ?? {}))
    if (key !== 'PATH' && key !== 'VIRTUAL_ENV') env[key] = containerPath(app, release, value)
  for (const [key, value] of Object.entries(app.config)) env[key] = containerPath(app, release, value)
  return { ...env, ...extra }
}

/** A command run in the image's WORKDIR. */
export function inWorkdir(release: ReleaseLike, command: string): string {
  return release.workdir ? `cd '${release.workdir.replace(/'/g, `'\\''`)}' && ${command}` : command
}

/** Storage mounts become symlinks at their container paths in the release's filesystem (the stand-in's bind mounts). */
export function applyMounts(app: App, release: ReleaseLike): void {
  for (const mount of app.mounts) {
    const target = path.join(release.fsRoot, mount.container)
    mkdirSync(path.dirname(target), { recursive: true })
    rmSync(target, { recursive: true, force: true })
    symlinkSync(mount.host, target)
  }
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

/** Start a process type detached (it outlives this command), logging to the app's log directory. */
export function startProcess(app: App, release: Release, command: string, port: number): number {
  command = inWorkdir(release, command)
  mkdirSync(appLogDir(app.name), { recursive: true })
  const logPath = path.join(appLogDir(app.name), `${release.id}.web.log`)
  const fd = openSync(logPath, 'a')
  const child = spawn('/bin/sh', ['-c', command], {
    cwd: release.dir,
    env: runtimeEnv(app, release, { PORT: String(port), DYNO: 'web.1' }),
    detached: true,
    stdio: ['ignore', fd, fd],
  })
  closeSync(fd)
  child.unref()
  const pid = child.pid ?? -1
  recordPid(pid, release.dir)
  return pid
}

/** Write the pid where the test bed stops leftovers (test/support/rundir.ts format). */
function recordPid(pid: number, marker: string): void {
  const dir = loadGlobal().pidsDir
  if (!dir || pid <= 0) return
  let startTime = ''
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    startTime = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? ''
  } catch {
    /* already gone */
  }
  mkdirSync(dir, { recursive: true })
  writeFileSync(path.join(dir, String(pid)), JSON.stringify({ pid, marker: '/bin/sh', startTime, release: marker }))
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

export function stopRelease(release: Release): void {
  try {
    process.kill(-release.pid, 'SIGTERM')
  } catch {
    /* already gone */
  }
  const dir = loadGlobal().pidsDir
  if (dir) rmSync(path.join(dir, String(release.pid)), { force: true })
}

/**
 * Dokku's checks: without app.json healthchecks, the process must stay up (here: and answer HTTP
 * at all); with a web healthcheck path, that path must answer with a status below 400.
 */
export async function waitHealthy(pid: number, port: number, timeoutMs: number, checkPath?: string): Promise<boolean> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (!alive(pid)) return false
    try {
      const response = await fetch(`http://127.0.0.1:${port}${checkPath ?? '/'}`, {
        redirect: 'manual',
        signal: AbortSignal.timeout(3000),
      })
      await response.arrayBuffer()
      if (checkPath === undefined || response.status < 400) return alive(pid)
    } catch {
      /* not listening yet */
    }
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  return false
}

/** Run a command in a release like a one-off container (`dokku run`, release tasks). */
export function runInRelease(
  app: App,
  release: ReleaseLike,
  argv: string[] | string,
  options: { inherit?: boolean; env?: Record<string, string> } = {},
): SpawnSyncReturns<Buffer> {
  const env = runtimeEnv(app, release, options.env)
  const [command, args] =
    typeof argv === 'string' ? ['/bin/sh', ['-c', inWorkdir(release, argv)]] : [argv[0] ?? '', argv.slice(1)]
  const cwd = typeof argv === 'string' ? release.dir : release.workdir || release.dir
  return spawnSync(command, args, { cwd, env, stdio: options.inherit ? 'inherit' : 'pipe', maxBuffer: 64 * 1024 * 1024 })
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
