import { spawn } from 'node:child_process'
import { access } from 'node:fs/promises'
import { constants } from 'node:fs'
import { freePort } from './ports.js'
import { isAlive, sleep } from './process.js'
import { pythonEnv, type EnvOverrides } from './python.js'
import { forgetProcess, recordProcess, signalGroup, type CleanupRegistrar } from './rundir.js'

/** Debian's gunicorn (runs on /usr/bin/python3). */
export const GUNICORN = '/usr/bin/gunicorn'

export interface GunicornOptions {
  /** Added to pythonEnv() (a scrubbed environment); `undefined` removes a variable. */
  env?: EnvOverrides
  /** Sets DJANGO_SETTINGS_MODULE (otherwise the WSGI module's own default applies). */
  settingsModule?: string
  /** Worker processes (default 1) and threads per worker (default 1). */
  workers?: number
  threads?: number
  /** More gunicorn arguments, e.g. ['--timeout', '60']. */
  args?: string[]
  /** Path requested to decide the server is up; any HTTP status counts. Default '/'. */
  readyPath?: string
  /** Give up waiting after this many milliseconds (default 60 s). */
  startTimeoutMs?: number
  /** Where to register stop(), e.g. onTestFinished or ctx.onTestFinished. The run's teardown stops it anyway. */
  cleanup?: CleanupRegistrar
}

export interface GunicornServer {
  /** `http://127.0.0.1:<port>` (no trailing slash). */
  url: string
  port: number
  pid: number
  /** Everything gunicorn wrote to stderr so far (its log), capped at the last 256 kB. */
  log(): string
  /** Stop gracefully (SIGTERM to its process group, SIGKILL after 10 s); safe to call twice. */
  stop(): Promise<void>
}

const LOG_CAP = 256 * 1024

/**
 * Start gunicorn for `wsgiModule` (e.g. "mysite.wsgi", or "mysite.wsgi:application") with
 * `--chdir appDir`, on 127.0.0.1 and a free port, and wait until it answers HTTP. If it exits or
 * does not answer in time, the error contains its stderr. It runs in its own process group and is
 * recorded in the run directory, so the run's teardown stops it even if the test does not.
 */
export async function startGunicorn(appDir: string, wsgiModule: string, options: GunicornOptions = {}): Promise<GunicornServer> {
  try {
    await access(GUNICORN, constants.X_OK)
  } catch {
    throw new Error(`${GUNICORN} not found: install Debian's gunicorn package (as .ci/run does)`)
  }
  let lastError: Error | undefined
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort()
    try {
      const server = await startOnce(appDir, wsgiModule, port, options)
      options.cleanup?.(() => server.stop())
      return server
    } catch (error) {
      lastError = error as Error
      // Only a lost race for the port is worth another try.
      if (!/Connection in use|Address already in use/.test(lastError.message)) throw lastError
    }
  }
  throw lastError ?? new Error('gunicorn did not start')
}

async function startOnce(appDir: string, wsgiModule: string, port: number, options: GunicornOptions): Promise<GunicornServer> {
  const env: EnvOverrides = { ...options.env }
  if (options.settingsModule !== undefined) env.DJANGO_SETTINGS_MODULE = options.settingsModule
  const args = [
    '--chdir',
    appDir,
    '--bind',
    `127.0.0.1:${port}`,
    '--workers',
    String(options.workers ?? 1),
    '--threads',
    String(options.threads ?? 1),
    '--timeout',
    '120',
    '--graceful-timeout',
    '5',
    '--log-level',
    'info',
    ...(options.args ?? []),
    wsgiModule,
  ]
  const child = spawn(GUNICORN, args, { cwd: appDir, env: pythonEnv(env), stdio: ['ignore', 'pipe', 'pipe'], detached: true })
  let log = ''
  const append = (chunk: Buffer) => {
    log += chunk.toString('utf8')
    if (log.length > LOG_CAP) log = log.slice(-LOG_CAP)
  }
  child.stdout.on('data', append)
  child.stderr.on('data', append)
  let exited: { code: number | null; signal: NodeJS.Signals | null } | undefined
  const exit = new Promise<void>((resolve) => {
    child.on('exit', (code, signal) => {
      exited = { code, signal }
      resolve()
    })
    child.on('error', (error) => {
      log += `\n[test support] could not start ${GUNICORN}: ${error.message}\n`
      exited ??= { code: null, signal: null }
      resolve()
    })
  })
  const pid = child.pid ?? -1
  if (pid > 0) await recordProcess(pid, 'gunicorn')

  let stopping: Promise<void> | undefined
  const stop = () =>
    (stopping ??= (async () => {
      if (!exited && pid > 0) {
        signalGroup(pid, 'SIGTERM')
        const killed = await Promise.race([exit.then(() => true), sleep(10_000).then(() => false)])
        if (!killed) signalGroup(pid, 'SIGKILL')
        await Promise.race([exit, sleep(5_000)])
      }
      // Workers are in the same process group; make sure none is left behind.
      if (pid > 0 && isAlive(pid)) signalGroup(pid, 'SIGKILL')
      child.stdout.destroy()
      child.stderr.destroy()
      if (pid > 0) await forgetProcess(pid)
    })())
  const url = `http://127.0.0.1:${port}`
  const server: GunicornServer = { url, port, pid, log: () => log, stop }

  const deadline = Date.now() + (options.startTimeoutMs ?? 60_000)
  const readyUrl = url + (options.readyPath ?? '/')
  for (;;) {
    if (exited) {
      await stop()
      throw new Error(
        `gunicorn ${wsgiModule} (in ${appDir}) exited before answering HTTP ` +
          `(exit code ${exited.code ?? 'none'}${exited.signal ? `, ${exited.signal}` : ''}):\n${log.slice(-8000)}`,
      )
    }
    if (Date.now() > deadline) {
      await stop()
      throw new Error(
        `gunicorn ${wsgiModule} (in ${appDir}) did not answer ${readyUrl} within ${options.startTimeoutMs ?? 60_000} ms:\n${log.slice(-8000)}`,
      )
    }
    try {
      const response = await fetch(readyUrl, { redirect: 'manual', signal: AbortSignal.timeout(5_000) })
      await response.arrayBuffer()
      return server
    } catch {
      await Promise.race([exit, sleep(100)])
    }
  }
}
