import { spawn, type ChildProcess } from 'node:child_process'
import { createServer } from 'node:net'
import { request } from 'node:http'
import { ActionError } from '@django-deploy/shared/errors'
import { assetPath } from '../util/asset-path.js'
import type { PageProcesses, PageProcessOptions } from './fetcher.js'

/** gunicorn's settings for the crawl (util/asset-path.ts: a URL here, a path string in the bundle). */
const GUNICORN_CONF: URL | string = new URL('./gunicorn_conf.py', import.meta.url)

/**
 * The Django app, served on a loopback port for the crawler: gunicorn when the project's Python
 * has it (several worker processes, so pages render in parallel on every core), otherwise
 * `manage.py runserver --insecure` (threaded; `--insecure` only makes it serve static files with
 * DEBUG off, the crawler reads those from STATIC_ROOT anyway).
 */
export interface AppServer extends PageProcesses {
  port: number
  kind: 'gunicorn' | 'runserver'
  stop(): Promise<void>
}

/** gunicorn needs `wsgiApplication`; without it the server is runserver. */
export interface StartOptions extends PageProcessOptions {
  useGunicorn: boolean
  managePy: string
}

export async function startAppServer(options: StartOptions): Promise<AppServer> {
  const port = await freePort()
  const wsgi = options.wsgiApplication ? wsgiTarget(options.wsgiApplication) : undefined
  const gunicorn = options.useGunicorn && wsgi !== undefined
  const args = gunicorn
    ? [
        '-m',
        'gunicorn',
        // Workers keep their database connection and freeze what Django loaded (gunicorn_conf.py).
        '--config',
        assetPath(GUNICORN_CONF),
        '--bind',
        `127.0.0.1:${port}`,
        '--workers',
        String(options.workers),
        '--timeout',
        '120',
        '--graceful-timeout',
        '5',
        '--log-level',
        'warning',
        wsgi,
      ]
    : [options.managePy, 'runserver', '--insecure', '--noreload', `127.0.0.1:${port}`]
  const child = spawn(options.python, args, {
    cwd: options.appDir,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  })
  const log: string[] = []
  const keep = (chunk: Buffer): void => {
    log.push(chunk.toString('utf8'))
    if (log.length > 200) log.splice(0, log.length - 200)
  }
  child.stdout?.on('data', keep)
  child.stderr?.on('data', keep)
  let exited = false
  child.on('exit', () => {
    exited = true
  })

  const server: AppServer = {
    port,
    kind: gunicorn ? 'gunicorn' : 'runserver',
    workers: gunicorn ? options.workers : 1,
    pid: child.pid,
    stop: () => stop(child),
  }
  const deadline = Date.now() + options.startTimeoutMs
  // No silent wait: an app that takes long to start says so every 10 s.
  let nextProgress = Date.now() + 10_000
  while (Date.now() < deadline) {
    if (Date.now() >= nextProgress) {
      options.progress?.(`Still waiting for the Django app to answer on 127.0.0.1:${port} (${server.kind}) …`)
      nextProgress += 10_000
    }
    if (exited) {
      throw new ActionError(
        `The Django app did not start (${server.kind} exited):\n${log.join('').trim().split('\n').slice(-25).join('\n')}`,
        {
          hint: 'Fix the error above; the app runs with your settings plus the production overlay (DEBUG off).',
        },
      )
    }
    if (await answers(port)) return server
    await new Promise((resolve) => setTimeout(resolve, 150))
  }
  await stop(child)
  throw new ActionError(
    `The Django app did not answer on 127.0.0.1:${port} within ${Math.round(options.startTimeoutMs / 1000)} s.`,
    { hint: `Its output:\n${log.join('').slice(-3000)}` },
  )
}

/** `mysite.wsgi.application` → `mysite.wsgi:application`. */
export function wsgiTarget(application: string): string {
  const dot = application.lastIndexOf('.')
  return dot < 0 ? application : `${application.slice(0, dot)}:${application.slice(dot + 1)}`
}

function answers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path: '/', method: 'HEAD', timeout: 2000 }, (res) => {
      res.resume()
      resolve(true)
    })
    req.on('error', () => resolve(false))
    req.on('timeout', () => {
      req.destroy()
      resolve(false)
    })
    req.end()
  })
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.pid === undefined) return
  const pid = child.pid
  const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  // The server leads its own process group (detached), so gunicorn's workers go with it.
  const signal = (name: NodeJS.Signals): void => {
    try {
      process.kill(-pid, name)
    } catch {
      /* already gone */
    }
  }
  signal('SIGTERM')
  const timer = setTimeout(() => signal('SIGKILL'), 8000)
  await gone
  clearTimeout(timer)
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer()
    probe.on('error', reject)
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address()
      const port = typeof address === 'object' && address ? address.port : 0
      probe.close(() => resolve(port))
    })
  })
}
