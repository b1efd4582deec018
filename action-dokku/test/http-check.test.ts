import { describe, expect, it } from 'vitest'
import { ActionError } from '@django-deploy/shared/errors'
import { checkUrl } from '../src/http-check.js'

/** A clock that moves only when the check sleeps (or a fetch takes time), and a scripted fetch. */
function harness(answers: Array<number | Error>, fetchMs = 0) {
  let now = 0
  const progress: string[] = []
  let calls = 0
  const fetchFn = (async () => {
    const answer = answers[Math.min(calls++, answers.length - 1)]
    now += fetchMs
    if (answer instanceof Error) throw new TypeError('fetch failed', { cause: answer })
    return new Response('body', { status: answer })
  }) as unknown as typeof fetch
  const options = {
    fetch: fetchFn,
    withinMs: 60_000,
    now: () => now,
    sleep: async (ms: number) => {
      now += ms
    },
    progress: (message: string) => progress.push(message),
  }
  return { options, progress, calls: () => calls, elapsed: () => now }
}

async function failure(promise: Promise<unknown>): Promise<ActionError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  )
  expect(error).toBeInstanceOf(ActionError)
  return error as ActionError
}

describe('checkUrl', () => {
  it('passes on 2xx/3xx after transient failures', async () => {
    const h = harness([new Error('connect ECONNREFUSED 127.0.0.1:80'), 502, 503, 301])
    await expect(checkUrl('http://blog.example.com/healthz', h.options)).resolves.toMatchObject({ status: 301 })
    expect(h.calls()).toBe(4)
  })

  it('a 404 ends the check at once and names the path and the input to fix', async () => {
    const h = harness([404])
    const error = await failure(checkUrl('http://blog.example.com/healthz', h.options))
    expect(h.calls()).toBe(1)
    expect(h.elapsed()).toBe(0)
    expect(error.message).toBe(
      'The HTTP check of http://blog.example.com/healthz failed: the app answered HTTP 404 (nothing is served at /healthz).',
    )
    expect(error.hint).toContain('http-check: /healthz')
    expect(error.hint).toContain('deploy itself succeeded and is live')
  })

  it('a 400 ends the check at once and points at ALLOWED_HOSTS', async () => {
    const h = harness([503, 400])
    const error = await failure(checkUrl('http://blog.example.com/', h.options))
    expect(h.calls()).toBe(2)
    expect(error.message).toContain('HTTP 400')
    expect(error.hint).toContain('ALLOWED_HOSTS')
  })

  it('retries 429 and connection errors; says how long it waited when it gives up, with progress at least every 10 s', async () => {
    const h = harness([new Error('connect ECONNREFUSED 127.0.0.1:80'), 429, 503], 2500)
    const error = await failure(checkUrl('http://blog.example.com/', { ...h.options, withinMs: 45_000 }))
    expect(error.message).toMatch(
      /^The HTTP check of http:\/\/blog\.example\.com\/ failed: still HTTP 503 after waiting 4\d s \(\d+ attempts\)\.$/,
    )
    expect(error.input).toBe('http-check')
    expect(h.progress[0]).toContain('ECONNREFUSED')
    expect(h.progress.length).toBeGreaterThanOrEqual(4)
    // the waited times the progress lines name never jump by more than 10 s (+ one attempt)
    const waited = h.progress.map((line) => Number(/waited (\d+) s/.exec(line)?.[1]))
    for (let i = 1; i < waited.length; i++) expect(waited[i]! - waited[i - 1]!).toBeLessThanOrEqual(14)
    expect(45 - waited.at(-1)!).toBeLessThanOrEqual(14)
  })
})
