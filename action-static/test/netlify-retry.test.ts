import { describe, expect, it } from 'vitest'
import { sanitizeAlias } from '../src/netlify/alias.js'
import { isRetryableStatus, parseDate, retryDelayMs, serverWaitMs } from '../src/netlify/retry.js'

const NOW = Date.parse('2026-10-21T07:28:00Z')

describe('serverWaitMs', () => {
  it('reads Retry-After as delta seconds and as an HTTP date', () => {
    expect(serverWaitMs({ 'retry-after': '7' }, NOW)).toBe(7000)
    expect(serverWaitMs({ 'retry-after': 'Wed, 21 Oct 2026 07:28:09 GMT' }, NOW)).toBe(9000)
  })

  it('reads X-RateLimit-Reset as unix seconds and as Netlify\'s "YYYY-MM-DD HH:MM:SS UTC"', () => {
    expect(serverWaitMs({ 'x-ratelimit-reset': String(NOW / 1000 + 12) }, NOW)).toBe(12_000)
    expect(serverWaitMs({ 'x-ratelimit-reset': '2026-10-21 07:28:05 UTC' }, NOW)).toBe(5000)
    expect(serverWaitMs({ 'retry-after': '2026-10-21 07:28:03 UTC' }, NOW)).toBe(3000)
  })

  it("measures dates against the response's Date header, not the runner's clock", () => {
    const serverClock = 'Wed, 21 Oct 2026 07:30:00 GMT' // the runner is 2 minutes behind
    expect(serverWaitMs({ date: serverClock, 'x-ratelimit-reset': '2026-10-21 07:30:04 UTC' }, NOW)).toBe(4000)
  })

  it('takes the later of two hints, never a negative wait, and nothing from nonsense', () => {
    expect(serverWaitMs({ 'retry-after': '2', 'x-ratelimit-reset': '2026-10-21 07:28:06 UTC' }, NOW)).toBe(6000)
    expect(serverWaitMs({ 'retry-after': 'Wed, 21 Oct 2026 07:27:00 GMT' }, NOW)).toBe(0)
    expect(serverWaitMs({ 'retry-after': 'soon' }, NOW)).toBeUndefined()
    expect(serverWaitMs({}, NOW)).toBeUndefined()
    expect(parseDate('not a date')).toBeUndefined()
  })
})

describe('retry policy', () => {
  const policy = { maxAttempts: 5, baseDelayMs: 500, maxDelayMs: 30_000 }
  it('retries 408, 429 and 5xx only', () => {
    expect([408, 429, 502, 503, 504].every(isRetryableStatus)).toBe(true)
    expect([400, 401, 403, 404, 409, 422].some(isRetryableStatus)).toBe(false)
    // Errors the same request gets again are not transient.
    expect([500, 501, 505, 507, 511].some(isRetryableStatus)).toBe(false)
  })

  it('backs off exponentially with jitter, follows server hints, and caps every wait', () => {
    expect(retryDelayMs(policy, 1, undefined, () => 0)).toBe(500)
    expect(retryDelayMs(policy, 3, undefined, () => 0)).toBe(2000)
    expect(retryDelayMs(policy, 1, undefined, () => 1)).toBe(600) // + max(100, 20 %)
    expect(retryDelayMs(policy, 1, 10_000, () => 0.5)).toBe(11_000)
    expect(retryDelayMs(policy, 1, 3_600_000, () => 0)).toBe(30_000)
  })
})

describe('sanitizeAlias', () => {
  it('makes a host-name label Netlify serves: lower case, [a-z0-9-], no "--", at most 37 characters', () => {
    expect(sanitizeAlias('Feature/Login_Page')).toBe('feature-login-page')
    expect(sanitizeAlias('dependabot/npm_and_yarn/@types/node-24.1.0')).toBe('dependabot-npm-and-yarn-types-node-24')
    expect(sanitizeAlias('pr--12')).toBe('pr-12')
    expect(sanitizeAlias('Ünïcödé branch')).toBe('unicode-branch')
    expect(sanitizeAlias('x'.repeat(50))).toHaveLength(37)
    expect(sanitizeAlias(`${'a'.repeat(36)}-b`)).toBe('a'.repeat(36))
  })

  it('refuses what has no letters or digits, naming the input', () => {
    expect(() => sanitizeAlias('///')).toThrow(expect.objectContaining({ input: 'alias' }))
  })
})
