/**
 * The stand-in server's state: JSON files under $STANDIN_ROOT/state, written atomically (write to
 * a temporary file, then rename) because Dokku commands may run concurrently over one SSH
 * connection. Bare git repositories live in $DOKKU_ROOT/<app> as on a real server, storage in
 * $DOKKU_LIB_ROOT/data/storage, deploy locks in $DOKKU_LIB_ROOT/data/apps/<app>/.deploy.lock.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import path from 'node:path'

export const ROOT = process.env.STANDIN_ROOT ?? ''
export const DOKKU_ROOT = process.env.DOKKU_ROOT ?? path.join(ROOT, 'home')
export const DOKKU_LIB_ROOT = process.env.DOKKU_LIB_ROOT ?? path.join(ROOT, 'lib')
const STATE = path.join(ROOT, 'state')

export interface Mount {
  host: string
  container: string
}

export interface Release {
  id: string
  sha: string
  /** The pushed tree on the host; for herokuish the built slug, mounted at /app in its containers. */
  dir: string
  /** Where the code is inside the container: /app for herokuish, the image's WORKDIR for a Dockerfile. */
  codeRoot: string
  /** The web container's main process as the host sees it (its /proc/<pid>/environ is what the app sees). */
  pid: number
  /** The running web container's name. */
  container?: string
  /** The port gunicorn listens on; the proxy forwards the app's public port here. */
  internalPort: number
  builder: string
  /** The image `docker build` made (Dockerfile builds); herokuish runs the stack image with the slug mounted. */
  image?: string
  /** app.json healthchecks.web: the path the startup check requests, if any. */
  checkPath?: string
  processes: Record<string, string>
}

export interface App {
  name: string
  createdAt: number
  config: Record<string, string>
  mounts: Mount[]
  domains: string[]
  /** The app's public port on the stand-in's proxy (Dokku's `ports` http:PORT:5000). */
  port?: number
  deployBranch?: string
  builderSelected?: string
  letsencrypt: boolean
  letsencryptEmail?: string
  release?: Release
  releases: number
}

export interface PostgresService {
  name: string
  database: string
  role: string
  password: string
  links: string[]
}

export interface Global {
  version: string
  deployBranch?: string
  /** Plugins that are installed; `postgres`/`letsencrypt` can be left out to test "plugin missing". */
  plugins: string[]
  letsencryptEmail?: string
  /** The PostgreSQL cluster the postgres plugin stand-in creates databases in. */
  postgres?: { host: string; port: number; user: string; binDir: string }
  /** Host name used in URLs (Dokku: the global VHOST, or `hostname -f`). */
  hostname: string
  /** Where app process records go for the test bed's teardown (test/support/rundir.ts). */
  pidsDir?: string
  /** How long a config write takes between reading the ENV and writing it back (updateConfig); default 300 ms. */
  envWriteWindowMs?: number
}

function read<T>(file: string): T | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as T
  } catch {
    return undefined
  }
}

function write(file: string, value: unknown): void {
  mkdirSync(path.dirname(file), { recursive: true })
  const temporary = `${file}.${process.pid}.tmp`
  writeFileSync(temporary, `${JSON.stringify(value, null, 2)}\n`)
  renameSync(temporary, file)
}

export function loadGlobal(): Global {
  const value = read<Global>(path.join(STATE, 'global.json'))
  if (!value) throw new Error(`stand-in state missing: ${STATE}/global.json`)
  return value
}
export const saveGlobal = (value: Global): void => write(path.join(STATE, 'global.json'), value)

/**
 * Dokku keeps each property in its own file, so concurrent commands on one app (postgres:link
 * while storage:mount runs) never overwrite each other. Here an app is one JSON file: every
 * read-modify-write holds a per-app lock (an atomic mkdir) and re-reads inside it.
 */
function withLock<T>(name: string, fn: () => T): T {
  const lock = path.join(STATE, 'locks', `${name}.lock`)
  mkdirSync(path.dirname(lock), { recursive: true })
  const deadline = Date.now() + 20_000
  for (;;) {
    try {
      mkdirSync(lock)
      break
    } catch {
      if (Date.now() > deadline) throw new Error(`stand-in: state lock ${lock} held for 20 s`)
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5)
    }
  }
  try {
    return fn()
  } finally {
    rmSync(lock, { recursive: true, force: true })
  }
}

/** Change an app's state under its lock; `change` gets the current state. */
export function updateApp(name: string, change: (app: App) => App): App {
  return withLock(`app-${name}`, () => {
    const current = loadApp(name)
    if (!current) throw new Error(`stand-in: app ${name} vanished`)
    const next = change(current)
    saveApp(next)
    return next
  })
}

/**
 * Dokku's config plugin reads the app's ENV file, merges and writes it back whole, with no lock:
 * two writers at once (config:set while postgres:link sets DATABASE_URL) lose one's keys. Here the
 * same: the config is read, then written back after a window (a real config:set takes longer),
 * whatever another command wrote meanwhile.
 */
export async function updateConfig(
  name: string,
  change: (config: Record<string, string>) => Record<string, string>,
): Promise<void> {
  const read = loadApp(name)
  if (!read) throw new Error(`stand-in: app ${name} vanished`)
  await new Promise((resolve) => setTimeout(resolve, loadGlobal().envWriteWindowMs ?? 300))
  const config = change({ ...read.config })
  updateApp(name, (current) => ({ ...current, config }))
}

export function updateService(name: string, change: (service: PostgresService) => PostgresService): PostgresService {
  return withLock(`postgres-${name}`, () => {
    const current = loadService(name)
    if (!current) throw new Error(`stand-in: service ${name} vanished`)
    const next = change(current)
    saveService(next)
    return next
  })
}

const appFile = (name: string) => path.join(STATE, 'apps', `${name}.json`)
export const loadApp = (name: string): App | undefined =>
  name === '' || name.includes('/') ? undefined : read<App>(appFile(name))
export const saveApp = (app: App): void => write(appFile(app.name), app)
export function deleteApp(name: string): void {
  rmSync(appFile(name), { force: true })
}
export function appNames(): string[] {
  const dir = path.join(STATE, 'apps')
  if (!existsSync(dir)) return []
  return readdirSync(dir)
    .filter((file) => file.endsWith('.json'))
    .map((file) => file.slice(0, -5))
    .sort()
}

const serviceFile = (name: string) => path.join(STATE, 'postgres', `${name}.json`)
export const loadService = (name: string): PostgresService | undefined =>
  name.includes('/') ? undefined : read<PostgresService>(serviceFile(name))
export const saveService = (service: PostgresService): void => write(serviceFile(service.name), service)
export function deleteService(name: string): void {
  rmSync(serviceFile(name), { force: true })
}
export function serviceNames(): string[] {
  const dir = path.join(STATE, 'postgres')
  if (!existsSync(dir)) return []
  return readdirSync(dir)
    .filter((file) => file.endsWith('.json'))
    .map((file) => file.slice(0, -5))
    .sort()
}

export const lockFile = (app: string): string => path.join(DOKKU_LIB_ROOT, 'data', 'apps', app, '.deploy.lock')
export const appRepo = (app: string): string => path.join(DOKKU_ROOT, app)
export const storageRoot = (): string => path.join(DOKKU_LIB_ROOT, 'data', 'storage')
export const releasesDir = (app: string): string => path.join(ROOT, 'releases', app)
export const appLogDir = (app: string): string => path.join(ROOT, 'log', 'apps', app)
export const proxyRoutesFile = (): string => path.join(ROOT, 'proxy', 'routes.json')
export const buildCacheDir = (app: string): string => path.join(ROOT, 'cache', app)
