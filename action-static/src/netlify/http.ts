import { createReadStream } from 'node:fs'
import { Readable } from 'node:stream'
import type { HttpResponse } from '../util/http-response.js'
/**
 * The one side effect of the Netlify client: sending an HTTP request. Behind this interface so the
 * deploy logic is tested against the local stand-in (real HTTP) or a scripted transport, never by
 * patching `fetch`.
 */
export interface HttpRequest {
  method: string
  url: string
  headers: Record<string, string>
  body?: Buffer | string
  /**
   * A body read from this file as it is sent (a site zip can be larger than we want in memory);
   * each send opens the file again, so a retry sends it whole.
   */
  bodyFile?: { path: string; size: number }
  /** Abort the request after this long (the client then treats it like a dropped connection). */
  timeoutMs: number
}

export type { HttpResponse }

export interface HttpTransport {
  send(request: HttpRequest): Promise<HttpResponse>
}

/** A failure before any answer: refused, reset, DNS, timeout. Always worth a retry. */
export class NetworkError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'NetworkError'
  }
}

/** The real transport: Node's fetch. */
export const fetchTransport: HttpTransport = {
  async send(request) {
    let response: Response
    try {
      const file = request.bodyFile
      const body = file
        ? (Readable.toWeb(createReadStream(file.path)) as ReadableStream<Uint8Array>)
        : request.body === undefined
          ? undefined
          : typeof request.body === 'string'
            ? request.body
            : new Uint8Array(request.body)
      response = await fetch(request.url, {
        method: request.method,
        // A streamed body would go chunked; the length lets the server refuse an oversized upload at once.
        headers: file ? { ...request.headers, 'content-length': String(file.size) } : request.headers,
        body,
        // Required by fetch for a stream body: the answer may start before the upload ends.
        ...(file ? { duplex: 'half' } : {}),
        signal: AbortSignal.timeout(request.timeoutMs),
        redirect: 'manual',
      } as RequestInit)
    } catch (error) {
      throw new NetworkError(describeFetchError(error, request.timeoutMs), { cause: error })
    }
    let body: Buffer
    try {
      body = Buffer.from(await response.arrayBuffer())
    } catch (error) {
      throw new NetworkError(`the connection broke while reading the answer: ${describeFetchError(error, request.timeoutMs)}`, {
        cause: error,
      })
    }
    const headers: Record<string, string> = {}
    response.headers.forEach((value, name) => {
      headers[name.toLowerCase()] = value
    })
    return { status: response.status, headers, body }
  },
}

function describeFetchError(error: unknown, timeoutMs: number): string {
  if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError'))
    return `no answer within ${Math.round(timeoutMs / 1000)} s`
  const cause = error instanceof Error ? (error.cause as { code?: string; message?: string } | undefined) : undefined
  if (cause?.code) return `${cause.code}${cause.message ? ` (${cause.message})` : ''}`
  return error instanceof Error ? error.message : String(error)
}
