import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { startNetlifyStandin, type NetlifyStandin } from '../standins/netlify/server.js'

/**
 * The stand-in's rate limit, as Netlify's: a budget of requests per token per window, the budget
 * shown on every response, and 429 with Retry-After once it is spent (until the window ends).
 */
let netlify: NetlifyStandin
let siteId = ''

beforeEach(async () => {
  netlify = await startNetlifyStandin()
  netlify.state.addToken('tok-a')
  netlify.state.addToken('tok-b')
  siteId = netlify.state.addSite('docs').id
})

afterEach(async () => {
  await netlify.close()
})

async function getSite(token: string) {
  const response = await fetch(`${netlify.apiUrl}/sites/${siteId}`, { headers: { authorization: `Bearer ${token}` } })
  await response.text()
  return response
}

describe('Netlify stand-in rate limit', () => {
  it('defaults to 500 requests per minute, as Netlify', async () => {
    expect(netlify.rateLimit).toEqual({ limit: 500, windowMs: 60_000 })
    const response = await getSite('tok-a')
    expect(response.status).toBe(200)
    expect(response.headers.get('x-ratelimit-limit')).toBe('500')
    expect(response.headers.get('x-ratelimit-remaining')).toBe('499')
    const reset = Number(response.headers.get('x-ratelimit-reset'))
    expect(reset * 1000).toBeGreaterThan(Date.now() + 55_000)
    expect(reset * 1000).toBeLessThanOrEqual(Date.now() + 61_000)
  })

  it('answers 429 with Retry-After once the budget is spent, per token, until the window ends', async () => {
    netlify.rateLimit = { limit: 3, windowMs: 1500 }
    const remaining: string[] = []
    for (let i = 0; i < 3; i++) {
      const response = await getSite('tok-a')
      expect(response.status).toBe(200)
      remaining.push(response.headers.get('x-ratelimit-remaining') ?? '')
    }
    expect(remaining).toEqual(['2', '1', '0'])
    const limited = await getSite('tok-a')
    expect(limited.status).toBe(429)
    expect(limited.headers.get('x-ratelimit-remaining')).toBe('0')
    const retryAfter = Number(limited.headers.get('retry-after'))
    expect(retryAfter).toBeGreaterThanOrEqual(1)
    expect(retryAfter).toBeLessThanOrEqual(2)
    // Refused requests still count: hammering does not make the wait shorter or the budget larger.
    expect((await getSite('tok-a')).status).toBe(429)
    // Another token has its own budget.
    expect((await getSite('tok-b')).status).toBe(200)
    // A new window restores the budget.
    await new Promise((resolve) => setTimeout(resolve, 1600))
    const again = await getSite('tok-a')
    expect(again.status).toBe(200)
    expect(again.headers.get('x-ratelimit-remaining')).toBe('2')
    expect(netlify.requests.filter((request) => request.status === 429)).toHaveLength(2)
  })

  it('counts unauthenticated requests too (and still answers them 401 with the headers)', async () => {
    netlify.rateLimit = { limit: 1, windowMs: 60_000 }
    const first = await fetch(`${netlify.apiUrl}/sites/${siteId}`)
    expect(first.status).toBe(401)
    expect(first.headers.get('x-ratelimit-remaining')).toBe('0')
    expect((await fetch(`${netlify.apiUrl}/sites/${siteId}`)).status).toBe(429)
  })
})
