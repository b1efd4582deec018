/**
 * When to retry a Netlify request and how long to wait first.
 *
 * Retried: 429, 408, the transient 5xx (502, 503, 504: a proxy or an overloaded server) and network
 * failures (reset, refused, timed out). Not retried: every other 4xx (a 401/404/422 says the
 * request itself is wrong and will be wrong again) and the other 5xx (500, 501 Not Implemented,
 * 505 HTTP Version Not Supported...), which the same request gets again.
 *
 * Rate limits: Netlify (and its js-client) have been seen to send the wait in four forms, all
 * understood here:
 *   Retry-After: 2                               delta seconds
 *   Retry-After: Wed, 21 Oct 2026 07:28:00 GMT   HTTP date
 *   X-RateLimit-Reset: 1792565280                unix seconds
 *   X-RateLimit-Reset: 2026-10-21 07:28:00 UTC   (also seen in Retry-After)
 * Dates are measured against the response's own `Date` header when it has one, so a runner
 * whose clock is off does not wait too long or hammer the API. The wait is capped and jittered
 * (so parallel uploads do not all return in the same millisecond).
 */
export interface RetryPolicy {
  /** Attempts in all, the first included. */
  maxAttempts: number
  /** First backoff without a server hint; doubles each time. */
  baseDelayMs: number
  /** No single wait is longer than this, whatever the server asks. */
  maxDelayMs: number
}

export const DEFAULT_RETRY: RetryPolicy = { maxAttempts: 6, baseDelayMs: 500, maxDelayMs: 60_000 }

const TRANSIENT_STATUS = new Set([408, 429, 502, 503, 504])

export function isRetryableStatus(status: number): boolean {
  return TRANSIENT_STATUS.has(status)
}

/** Milliseconds the server asked us to wait, or undefined when it did not say (or said nonsense). */
export function serverWaitMs(headers: Record<string, string>, localNow: number): number | undefined {
  const serverNow = parseDate(headers.date) ?? localNow
  // The reset time of the rate-limit window matters only once its budget is spent: a 502 or 504
  // with requests left says nothing about waiting for the window to end.
  const remaining = headers['x-ratelimit-remaining']?.trim()
  const budgetSpent = remaining === undefined || remaining === '' || Number(remaining) <= 0
  const reset = budgetSpent ? parseReset(headers['x-ratelimit-reset'], serverNow) : undefined
  const hints = [parseRetryAfter(headers['retry-after'], serverNow), reset].filter(
    (value): value is number => value !== undefined,
  )
  // Both present: honour the later one; waiting a little longer is cheaper than another 429.
  return hints.length ? Math.max(0, ...hints) : undefined
}

function parseRetryAfter(value: string | undefined, now: number): number | undefined {
  if (value === undefined) return undefined
  const text = value.trim()
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text) * 1000
  const at = parseDate(text)
  return at === undefined ? undefined : at - now
}

function parseReset(value: string | undefined, now: number): number | undefined {
  if (value === undefined) return undefined
  const text = value.trim()
  if (/^\d+(\.\d+)?$/.test(text)) {
    const number = Number(text)
    // Epoch seconds are ~1.7e9; a small number can only be a delta (some proxies send that).
    return number > 1e9 ? number * 1000 - now : number * 1000
  }
  const at = parseDate(text)
  return at === undefined ? undefined : at - now
}

/** HTTP dates, ISO dates and Netlify's `YYYY-MM-DD HH:MM:SS UTC`. */
export function parseDate(value: string | undefined): number | undefined {
  if (!value) return undefined
  const netlify = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2}(?:\.\d+)?)\s*(?:UTC|Z|GMT)?$/i.exec(value.trim())
  const parsed = netlify ? Date.parse(`${netlify[1]}T${netlify[2]}Z`) : Date.parse(value)
  return Number.isFinite(parsed) ? parsed : undefined
}

/**
 * The wait before attempt `attempt + 1` (attempt counts from 1). A server hint wins over the
 * exponential backoff; both get up to 20% (at least 100 ms) of random extra.
 */
export function retryDelayMs(
  policy: RetryPolicy,
  attempt: number,
  hintMs: number | undefined,
  random: () => number = Math.random,
): number {
  const base = hintMs !== undefined ? hintMs : policy.baseDelayMs * 2 ** (attempt - 1)
  const jitter = random() * Math.max(100, base * 0.2)
  return Math.min(policy.maxDelayMs, Math.max(0, base) + jitter)
}
