import { Agent, request } from 'node:http'
import type { HttpResponse } from '../util/http-response.js'

export type PageResponse = HttpResponse

/** What the crawl asks pages of: the HTTP fetcher below, or the in-process render pool. */
export interface PageFetcher {
  get(pathAndQuery: string): Promise<PageResponse>
}

/** The Python processes that answer the crawl: the HTTP app server, or the in-process render pool. */
export interface PageProcesses {
  workers: number
  /** The pid of the process that leads their process group (its workers are in it; CPU accounting). */
  pid?: number
}

/** How those processes run the project. */
export interface PageProcessOptions {
  python: string
  appDir: string
  env: Record<string, string>
  /** `mysite.wsgi.application`. */
  wsgiApplication?: string
  workers: number
  startTimeoutMs: number
  /** A line every 10 s while the project loads. */
  progress?: (message: string) => void
}

/**
 * Requests to the Django app the crawler runs locally. Plain HTTP/1.1 with keep-alive to the
 * loopback address, sending the public `Host` (and `X-Forwarded-Proto`), so the app builds
 * absolute URLs — canonical links, sitemaps, feeds — for the public site, not for 127.0.0.1.
 */
export function httpFetcher(options: {
  port: number
  host: string
  forwardedProto?: string
  concurrency: number
  timeoutMs?: number
}): PageFetcher & { close(): void } {
  const agent = new Agent({ keepAlive: true, maxSockets: options.concurrency })
  return {
    get(pathAndQuery) {
      return new Promise((resolve, reject) => {
        const headers: Record<string, string> = {
          host: options.host,
          'user-agent': 'django-deploy-actions static crawler',
          accept: '*/*',
        }
        if (options.forwardedProto) headers['x-forwarded-proto'] = options.forwardedProto
        const req = request(
          {
            host: '127.0.0.1',
            port: options.port,
            path: pathAndQuery,
            method: 'GET',
            headers,
            agent,
            timeout: options.timeoutMs ?? 120_000,
          },
          (res) => {
            const chunks: Buffer[] = []
            res.on('data', (chunk: Buffer) => chunks.push(chunk))
            res.on('end', () => {
              const flat: Record<string, string> = {}
              for (const [name, value] of Object.entries(res.headers))
                if (value !== undefined) flat[name] = Array.isArray(value) ? value.join(', ') : value
              resolve({ status: res.statusCode ?? 0, headers: flat, body: Buffer.concat(chunks) })
            })
            res.on('error', reject)
          },
        )
        req.on('timeout', () =>
          req.destroy(new Error(`no answer for ${pathAndQuery} within ${Math.round((options.timeoutMs ?? 120_000) / 1000)} s`)),
        )
        req.on('error', reject)
        req.end()
      })
    },
    close() {
      agent.destroy()
    },
  }
}
