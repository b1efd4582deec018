import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { MemoryLogger } from '@django-deploy/shared/runtime'
import { NetlifyApi } from '../../action-static/src/netlify/api.js'
import { fetchTransport, type HttpResponse, type HttpTransport } from '../../action-static/src/netlify/http.js'
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

describe('the client under the rate limit', () => {
  it('waits out a 429 against the stand-in and succeeds, honouring Retry-After', async () => {
    netlify.rateLimit = { limit: 1, windowMs: 1000 }
    const log = new MemoryLogger()
    const sleeps: number[] = []
    const api = new NetlifyApi({
      token: 'tok-a',
      transport: fetchTransport,
      apiUrl: netlify.apiUrl,
      log,
      random: () => 0,
      sleep: async (ms) => {
        sleeps.push(ms)
        await new Promise((resolve) => setTimeout(resolve, ms))
      },
    })
    await api.getSite(siteId)
    const site = await api.getSite(siteId)
    expect(site.id).toBe(siteId)
    expect(netlify.requests.map((request) => request.status)).toEqual([200, 429, 200])
    expect(sleeps).toHaveLength(1)
    expect(sleeps[0]).toBeGreaterThanOrEqual(900)
  })

  it('prints one progress line when requests wait more than 10 s for the limit to reset', async () => {
    let clock = 1_800_000_000_000
    let sent = 0
    const transport: HttpTransport = {
      send: async (): Promise<HttpResponse> => {
        sent++
        if (sent === 1)
          return { status: 429, headers: { 'retry-after': '30', 'x-ratelimit-remaining': '0' }, body: Buffer.from('{}') }
        return { status: 200, headers: {}, body: Buffer.from(JSON.stringify({ id: siteId, name: 'docs' })) }
      },
    }
    const log = new MemoryLogger()
    const api = new NetlifyApi({
      token: 'tok-a',
      transport,
      apiUrl: netlify.apiUrl,
      log,
      random: () => 0,
      now: () => clock,
      sleep: async (ms) => {
        await new Promise((resolve) => setTimeout(resolve, 5))
        clock += ms
      },
    })
    const first = api.getSite(siteId)
    await new Promise((resolve) => setTimeout(resolve, 1))
    // Started while the first waits: these wait for the same pause, announced once.
    const others = Promise.all([api.getSite(siteId), api.getSite(siteId)])
    await Promise.all([first, others])
    const lines = log.entries.map((entry) => entry.message)
    expect(lines.filter((line) => line.includes('retrying in 30.0 s'))).toHaveLength(1)
    expect(lines.filter((line) => line.includes('rate limit reached; waiting 30 s'))).toHaveLength(1)
    expect(sent).toBe(4)
  })
})
