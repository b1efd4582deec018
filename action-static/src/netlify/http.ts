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
  /** Abort the request after this long (the client then treats it like a dropped connection). */
  timeoutMs: number
}

export interface HttpResponse {
  status: number
  /** Lower-case header names. */
  headers: Record<string, string>
  body: Buffer
}

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
      response = await fetch(request.url, {
        method: request.method,
        headers: request.headers,
        body:
          request.body === undefined ? undefined : typeof request.body === 'string' ? request.body : new Uint8Array(request.body),
        signal: AbortSignal.timeout(request.timeoutMs),
        redirect: 'manual',
      })
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
