import { spawn, spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { createServer, connect } from 'node:net'

/**
 * The stand-in's compute: Cloud Build's docker build, Cloud Run's job tasks and service instances,
 * as real containers of this machine's Docker (host network: the test bed has no bridge).
 *
 * Every container and image tag carries the label LABEL=<state directory>, so one stand-in's
 * containers are found (and removed) without touching another's.
 */
export const LABEL = 'django-deploy.gcloud-standin'

/** A short, stable name part for a state directory (container names and local image tags). */
export function stateTag(stateDir: string): string {
  return createHash('sha256').update(stateDir).digest('hex').slice(0, 10)
}

export interface Finished {
  exitCode: number
  output: string
  timedOut: boolean
}

/**
 * Run docker with `args`; `env` values reach docker's own environment only (never its argv), so
 * `-e NAME` passes secrets and multi-line values into a container without showing them in `ps`.
 */
export function docker(
  args: string[],
  options: { env?: Record<string, string>; onOutput?: (text: string) => void; timeoutMs?: number } = {},
): Promise<Finished> {
  return new Promise((resolve, reject) => {
    const child = spawn('docker', args, {
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/root', ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let output = ''
    let timedOut = false
    const timer =
      options.timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            timedOut = true
            child.kill('SIGKILL')
          }, options.timeoutMs)
    const take = (chunk: string): void => {
      output += chunk
      options.onOutput?.(chunk)
    }
    child.stdout.setEncoding('utf8').on('data', take)
    child.stderr.setEncoding('utf8').on('data', take)
    child.on('error', reject)
    child.on('close', (code) => {
      if (timer) clearTimeout(timer)
      resolve({ exitCode: code ?? -1, output, timedOut })
    })
  })
}

/** `-e NAME` flags for `env`, whose values travel in docker's environment (see docker()). */
export function envFlags(env: Record<string, string>): string[] {
  return Object.keys(env).flatMap((name) => ['-e', name])
}

/** A TCP port nobody listens on right now (the kernel's pick). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.on('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0))
    })
  })
}

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port })
    socket.once('connect', () => {
      socket.destroy()
      resolve(true)
    })
    socket.once('error', () => resolve(false))
  })
}

/**
 * Cloud Run's default startup probe: a TCP connection to $PORT, for up to `timeoutMs`. A container
 * that exits first has failed to start, whatever it printed.
 */
export async function waitListening(
  container: string,
  port: number,
  timeoutMs: number,
): Promise<{ ready: true } | { ready: false; exited: boolean }> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    if (await listening(port)) {
      // The port may be someone else's if our container died at once: it must still run.
      const state = await docker(['inspect', '-f', '{{.State.Running}}', container])
      if (state.output.trim() === 'true') return { ready: true }
      return { ready: false, exited: true }
    }
    const state = await docker(['inspect', '-f', '{{.State.Running}}', container])
    if (state.exitCode !== 0 || state.output.trim() !== 'true') return { ready: false, exited: true }
    if (Date.now() >= deadline) return { ready: false, exited: false }
    await new Promise((resolve) => setTimeout(resolve, 250))
  }
}

/** Where one stand-in's builds are tagged locally (the registry names are shared by every test). */
export function localRepository(stateDir: string): string {
  return `gcloud-standin/${stateTag(stateDir)}/build`
}

/** The image ID (`sha256:…`) of a local image reference, or undefined. */
export async function imageId(reference: string): Promise<string | undefined> {
  const inspected = await docker(['image', 'inspect', '-f', '{{.Id}}', reference])
  return inspected.exitCode === 0 ? inspected.output.trim() : undefined
}

/**
 * Remove everything one stand-in started: its containers, and its local image tags (untagged with
 * --no-prune, so the layers stay in Docker's build cache for the next identical build).
 */
export function removeAll(stateDir: string): void {
  const containers = spawnSync('docker', ['ps', '-aq', '--filter', `label=${LABEL}=${stateDir}`], { encoding: 'utf8' })
  const ids = (containers.stdout ?? '').split('\n').filter(Boolean)
  if (ids.length) spawnSync('docker', ['rm', '-f', ...ids], { stdio: 'ignore' })
  const images = spawnSync('docker', ['image', 'ls', '--format', '{{.Repository}}:{{.Tag}}', localRepository(stateDir)], {
    encoding: 'utf8',
  })
  const tags = (images.stdout ?? '').split('\n').filter((tag) => tag && !tag.includes('<none>'))
  if (tags.length) spawnSync('docker', ['rmi', '--no-prune', ...tags], { stdio: 'ignore' })
}
