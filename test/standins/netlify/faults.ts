/**
 * Fault injection for the Netlify stand-in: what real clients meet on a bad day.
 * A rule matches by operation id and/or method + path, applies to the next `times` matching
 * requests (default 1), and answers instead of the handler — or delays it, or drops the socket.
 *
 * 429s come in the four header forms seen from Netlify and its js-client:
 *   retry-after-seconds   Retry-After: 2
 *   retry-after-date      Retry-After: Wed, 21 Oct 2026 07:28:00 GMT   (HTTP date)
 *   reset-epoch           X-RateLimit-Reset: 1792565280                 (unix seconds)
 *   reset-utc             X-RateLimit-Reset: 2026-10-21 07:28:00 UTC   (also sent as Retry-After)
 */
export type RateLimitForm = 'retry-after-seconds' | 'retry-after-date' | 'reset-epoch' | 'reset-utc'

export type FaultAction =
  | { kind: 'status'; status: number; message?: string; headers?: Record<string, string> }
  | { kind: 'rate-limit'; form: RateLimitForm; waitSeconds: number }
  /** Wait, then let the request through to the handler. */
  | { kind: 'delay'; ms: number }
  /** Destroy the connection without an answer (the client sees ECONNRESET / "socket hang up"). */
  | { kind: 'drop' }
  /** Let the handler run (the change happens), then drop the connection before the answer. */
  | { kind: 'drop-after' }

export interface Fault {
  /** e.g. 'uploadDeployFile'. */
  operation?: string
  method?: string
  path?: RegExp
  action: FaultAction
  /** How many matching requests it applies to (default 1; Infinity for all). */
  times?: number
  /** Skip this many matching requests before applying (e.g. fail the 3rd upload). */
  after?: number
}

export interface ArmedFault extends Fault {
  remaining: number
  skip: number
  hits: number
}

export function arm(fault: Fault): ArmedFault {
  return { ...fault, remaining: fault.times ?? 1, skip: fault.after ?? 0, hits: 0 }
}

/** The first armed fault that applies to this request (consuming one use of it). */
export function takeFault(
  faults: ArmedFault[],
  operation: string | undefined,
  method: string,
  path: string,
): FaultAction | undefined {
  for (const fault of faults) {
    if (fault.remaining <= 0) continue
    if (fault.operation !== undefined && fault.operation !== operation) continue
    if (fault.method !== undefined && fault.method !== method) continue
    if (fault.path !== undefined && !fault.path.test(path)) continue
    if (fault.skip > 0) {
      fault.skip--
      continue
    }
    fault.remaining--
    fault.hits++
    return fault.action
  }
  return undefined
}

/** Headers of a 429 in the given form, telling the client to wait `waitSeconds` from `now`. */
export function rateLimitHeaders(form: RateLimitForm, waitSeconds: number, now = Date.now()): Record<string, string> {
  const at = new Date(now + waitSeconds * 1000)
  const base = { 'x-ratelimit-limit': '500', 'x-ratelimit-remaining': '0' }
  switch (form) {
    case 'retry-after-seconds':
      return { ...base, 'retry-after': String(waitSeconds) }
    case 'retry-after-date':
      return { ...base, 'retry-after': at.toUTCString() }
    case 'reset-epoch':
      return { ...base, 'x-ratelimit-reset': String(Math.ceil(at.getTime() / 1000)) }
    case 'reset-utc': {
      const utc = `${at.toISOString().slice(0, 19).replace('T', ' ')} UTC`
      return { ...base, 'x-ratelimit-reset': utc, 'retry-after': utc }
    }
  }
}
