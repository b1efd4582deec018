import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import type { Readable, Writable } from 'node:stream'
import type { PageFetcher, PageProcesses, PageProcessOptions, PageResponse } from './fetcher.js'
import { assetPath } from '../util/asset-path.js'
import { checkedSeeds, seedsScriptPath, type UrlconfSeeds } from './seeds.js'

/**
 * The in-process renderer: the crawl's pages rendered by the project's own WSGI application,
 * called directly in Python worker processes forked after Django is loaded (render_pool.py). No
 * HTTP server, no sockets, no second Django boot: a request is one JSON line on the worker's
 * pipe, the body a file it streamed to disk. The crawl itself (discovery, links, output) is the
 * same code as with the HTTP server; only the PageFetcher differs, so the output is the same.
 *
 * A hung view is cut off after `requestTimeoutMs` (its worker killed and replaced) and a
 * crashing worker is replaced too; either way the page's request fails with a message naming it,
 * and the crawl reports it like any page that could not be fetched.
 */
export interface RenderPool extends PageFetcher, PageProcesses {
  /** Workers that died or were killed and were replaced. */
  replaced: number
  /**
   * With `listSeeds`: the URLconf's seeds, listed by the loaded project before the workers forked;
   * undefined when that failed (then `seedsError` says why, and the caller lists them on its own).
   */
  seeds?: UrlconfSeeds
  seedsError?: string
  close(): Promise<void>
}

/** Without `wsgiApplication`, the pool uses Django's get_wsgi_application(). */
export interface RenderPoolOptions extends PageProcessOptions {
  /** The Host header the pages are rendered for (the public host, so absolute URLs are right). */
  host: string
  forwardedProto?: string
  requestTimeoutMs: number
  /** Where bodies are streamed to (a private folder is made inside it). */
  scratchDir?: string
  /** List the URLconf's seeds (seeds.ts) in the loaded project, saving the crawl a Django boot for them. */
  listSeeds?: boolean
}

const PROGRESS_EVERY_MS = 10_000

/** The Python side (util/asset-path.ts: a URL here, a path string in the bundle). */
const SCRIPT: URL | string = new URL('./render_pool.py', import.meta.url)

interface Pending {
  id: number
  path: string
  resolve: (response: PageResponse) => void
  reject: (error: Error) => void
}

interface Slot {
  index: number
  pid?: number
  channel: Readable & Writable
  busy?: Pending & { timer: NodeJS.Timeout }
  buffered: string
}

/** Why the pool could not start (the caller then falls back to the HTTP crawl and says why). */
export class RenderPoolStartError extends Error {}

export async function startRenderPool(options: RenderPoolOptions): Promise<RenderPool> {
  const bodies = await mkdtemp(path.join(options.scratchDir ?? tmpdir(), 'render-'))
  const stdio: Array<'pipe' | 'ignore'> = [
    'ignore',
    'pipe',
    'pipe',
    ...Array.from({ length: options.workers }, () => 'pipe' as const),
  ]
  const child = spawn(
    options.python,
    [
      assetPath(SCRIPT),
      String(options.workers),
      bodies,
      options.host,
      options.forwardedProto ?? '',
      options.wsgiApplication ?? '',
      options.listSeeds ? seedsScriptPath() : '',
    ],
    { cwd: options.appDir, env: { ...process.env, ...options.env }, stdio, detached: true },
  )
  const errors: string[] = []
  child.stderr?.on('data', (chunk: Buffer) => {
    errors.push(chunk.toString('utf8'))
    if (errors.length > 200) errors.splice(0, errors.length - 200)
  })
  const slots: Slot[] = Array.from({ length: options.workers }, (_, index) => ({
    index,
    channel: child.stdio[3 + index] as Readable & Writable,
    buffered: '',
  }))
  const queue: Pending[] = []
  let nextId = 1
  let closed = false
  const pool: RenderPool = {
    workers: options.workers,
    pid: child.pid,
    replaced: 0,
    get(pathAndQuery) {
      return new Promise<PageResponse>((resolve, reject) => {
        if (closed) return reject(new Error(`the renderer is closed; ${pathAndQuery} was not rendered`))
        queue.push({ id: nextId++, path: pathAndQuery, resolve, reject })
        dispatch()
      })
    },
    close: async () => {
      closed = true
      for (const pending of queue.splice(0)) pending.reject(new Error(`the renderer stopped before ${pending.path}`))
      await stop(child)
      await rm(bodies, { recursive: true, force: true })
    },
  }

  const fail = (slot: Slot, message: string): void => {
    const busy = slot.busy
    if (!busy) return
    clearTimeout(busy.timer)
    slot.busy = undefined
    busy.reject(new Error(message))
  }
  const dispatch = (): void => {
    for (const slot of slots) {
      if (queue.length === 0) return
      if (slot.busy || slot.pid === undefined) continue
      // Newest first, as the crawl takes its URLs: the page a chain of pagination links just
      // revealed goes before the pages queued earlier, so the chain never waits behind them.
      const next = queue.pop() as Pending
      const timer = setTimeout(() => {
        // A hung view: kill its worker (the supervisor forks a replacement on the same pipe).
        fail(
          slot,
          `no answer for ${next.path} within ${Math.round(options.requestTimeoutMs / 1000)} s (its render worker was stopped)`,
        )
        if (slot.pid !== undefined) kill(slot.pid, 'SIGKILL')
        slot.pid = undefined
      }, options.requestTimeoutMs)
      slot.busy = { ...next, timer }
      slot.channel.write(`${JSON.stringify({ id: next.id, path: next.path })}\n`)
    }
  }

  for (const slot of slots) {
    slot.channel.setEncoding('utf8')
    slot.channel.on('data', (chunk: string) => {
      slot.buffered += chunk
      let newline: number
      while ((newline = slot.buffered.indexOf('\n')) >= 0) {
        const line = slot.buffered.slice(0, newline)
        slot.buffered = slot.buffered.slice(newline + 1)
        answered(slot, line)
      }
    })
    slot.channel.on('error', () => undefined)
  }
  const answered = (slot: Slot, line: string): void => {
    const answer = parseAnswer(line)
    if (!answer) return
    const busy = slot.busy
    if (!busy || busy.id !== answer.id) return // the answer of a request that already timed out
    clearTimeout(busy.timer)
    slot.busy = undefined
    void (async () => {
      try {
        const body = await readFile(answer.body)
        await rm(answer.body, { force: true })
        busy.resolve({ status: answer.status, headers: flattenHeaders(answer.headers), body })
      } catch (error) {
        busy.reject(error as Error)
      }
    })()
    // The worker is free as soon as it has answered; its body is read meanwhile.
    dispatch()
  }

  // The supervisor's reports: worker pids, deaths (and the replacement that follows), readiness.
  let ready: () => void = () => undefined
  const started = new Promise<void>((resolve) => (ready = resolve))
  let reports = ''
  child.stdout?.setEncoding('utf8')
  child.stdout?.on('data', (chunk: string) => {
    reports += chunk
    let newline: number
    while ((newline = reports.indexOf('\n')) >= 0) {
      const line = reports.slice(0, newline)
      reports = reports.slice(newline + 1)
      // The project's own prints may reach stdout too: only our JSON reports count.
      let report: {
        worker?: number
        pid?: number
        died?: number
        how?: string
        ready?: number
        seeds?: UrlconfSeeds
        seedsError?: string
      }
      try {
        report = JSON.parse(line) as typeof report
      } catch {
        continue
      }
      if (report.ready !== undefined) {
        if (report.seeds) pool.seeds = checkedSeeds(report.seeds)
        pool.seedsError = report.seedsError
        ready()
      } else if (report.died !== undefined) {
        const slot = slots[report.died]
        if (slot && slot.pid === report.pid) {
          slot.pid = undefined
          if (slot.busy) fail(slot, `the render worker crashed (${report.how}) while rendering ${slot.busy.path}`)
        }
        if (!closed) pool.replaced++
      } else if (report.worker !== undefined) {
        const slot = slots[report.worker]
        if (slot) {
          slot.pid = report.pid
          slot.buffered = ''
          dispatch()
        }
      }
    }
  })

  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  let timer: NodeJS.Timeout | undefined
  // No silent wait: a project that takes long to load says so every 10 s.
  const loadStarted = Date.now()
  const progress = setInterval(
    () => options.progress?.(`Still loading the project in-process (${Math.round((Date.now() - loadStarted) / 1000)} s) …`),
    PROGRESS_EVERY_MS,
  )
  const outcome = await Promise.race([
    started.then(() => 'ready' as const),
    exited.then(() => 'exited' as const),
    new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), options.startTimeoutMs))),
  ])
  clearTimeout(timer)
  clearInterval(progress)
  if (outcome !== 'ready') {
    await stop(child)
    await rm(bodies, { recursive: true, force: true })
    const output = errors.join('').trim().split('\n').slice(-25).join('\n')
    throw new RenderPoolStartError(
      outcome === 'exited'
        ? `the project could not be loaded in-process:\n${output}`
        : `loading the project in-process took more than ${Math.round(options.startTimeoutMs / 1000)} s`,
    )
  }
  child.once('exit', () => {
    for (const slot of slots) fail(slot, `the renderer exited while rendering ${slot.busy?.path ?? ''}`)
    closed = true
    for (const pending of queue.splice(0)) pending.reject(new Error(`the renderer exited before ${pending.path}`))
  })
  return pool
}

interface Answer {
  id: number
  status: number
  headers: Array<[string, string]>
  body: string
}

/**
 * One answer line. A worker killed mid-write can leave a partial line that the next worker's
 * first answer then follows on the same pipe: the answer is the last `{"id"` object in the line.
 */
function parseAnswer(line: string): Answer | undefined {
  for (const start of [0, line.lastIndexOf('{"id"')]) {
    if (start < 0) continue
    try {
      return JSON.parse(line.slice(start)) as Answer
    } catch {
      /* try the next start */
    }
  }
  return undefined
}

/** WSGI headers as the HTTP fetcher reports them: lower-case names, repeated ones joined. */
function flattenHeaders(headers: Array<[string, string]>): Record<string, string> {
  const flat: Record<string, string> = {}
  for (const [name, value] of headers) {
    const key = name.toLowerCase()
    flat[key] = flat[key] === undefined ? value : `${flat[key]}, ${value}`
  }
  return flat
}

function kill(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal)
  } catch {
    /* already gone */
  }
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return
  const pid = child.pid
  const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  // The supervisor kills its workers on SIGTERM; the group kill catches any it missed.
  kill(pid, 'SIGTERM')
  const timer = setTimeout(() => kill(-pid, 'SIGKILL'), 5000)
  await gone
  clearTimeout(timer)
  kill(-pid, 'SIGKILL')
}
