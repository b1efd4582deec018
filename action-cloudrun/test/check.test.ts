import { describe, expect, it } from 'vitest'
import { checkRevision, type Probe } from '../src/check.js'

/** A probe that answers from a script, on a virtual clock that sleeping advances. */
function scripted(answers: Array<number | Error>) {
  let clock = 0
  const calls: Array<{ url: string; headers: Record<string, string>; at: number }> = []
  const probe: Probe = async (url, headers) => {
    calls.push({ url, headers, at: clock })
    const next = answers.length > 1 ? answers.shift() : answers[0]
    if (next instanceof Error) throw next
    return { status: next as number }
  }
  return {
    calls,
    deps: (deadlineMs: number, token?: () => Promise<string | undefined>) => ({
      probe,
      now: () => clock,
      sleep: async (ms: number) => void (clock += ms),
      deadline: deadlineMs,
      token,
    }),
  }
}

const URL = 'https://candidate---blog-abcdef123g-ew.a.run.app'

describe('checkRevision', () => {
  it('answers that prove Django runs: 2xx, 3xx, and login walls or a missing home page', async () => {
    for (const status of [200, 302, 401, 403, 404]) {
      expect(await checkRevision(URL, scripted([status]).deps(60_000))).toEqual({ ok: true, status })
    }
  })

  it('retries while the revision starts (5xx, no answer), then succeeds', async () => {
    const script = scripted([new Error('ECONNRESET'), 503, 200])
    expect(await checkRevision(URL, script.deps(60_000))).toEqual({ ok: true, status: 200 })
    expect(script.calls.map((call) => call.at)).toEqual([0, 2000, 6000])
  })

  it('gives up at the deadline with the last problem', async () => {
    const script = scripted([500])
    const result = await checkRevision(URL, script.deps(30_000))
    expect(result).toMatchObject({ ok: false, status: 500, problem: 'HTTP 500' })
    expect(result.hint).toContain('log-url')
    expect(script.calls.at(-1)?.at).toBeGreaterThanOrEqual(30_000)
    const silent = await checkRevision(URL, scripted([new Error('connect ETIMEDOUT')]).deps(10_000))
    expect(silent).toMatchObject({ ok: false, problem: 'no answer (connect ETIMEDOUT)' })
  })

  it('400 at once: Django refuses the host name, and the fix is ALLOWED_HOSTS', async () => {
    const script = scripted([400])
    expect(await checkRevision(URL, script.deps(60_000))).toMatchObject({
      ok: false,
      status: 400,
      problem: 'HTTP 400 (Django refuses the host name: ALLOWED_HOSTS)',
    })
    expect(script.calls).toHaveLength(1)
  })

  it('sends an identity token to a private service', async () => {
    const script = scripted([200])
    await checkRevision(
      URL,
      script.deps(60_000, async () => 'id-token-value'),
    )
    expect(script.calls[0]?.headers).toEqual({
      'user-agent': 'django-deploy-actions/cloudrun revision check',
      authorization: 'Bearer id-token-value',
    })
    const anonymous = scripted([200])
    await checkRevision(URL, anonymous.deps(60_000))
    expect(anonymous.calls[0]?.headers.authorization).toBeUndefined()
  })
})

describe('checkRevision progress', () => {
  it('says it is still waiting at least every 10 s while the revision does not answer', async () => {
    const script = scripted([503])
    const lines: Array<{ at: number; message: string }> = []
    let clock = 0
    const deps = {
      ...script.deps(180_000),
      now: () => clock,
      sleep: async (ms: number) => void (clock += ms),
      progress: (message: string) => lines.push({ at: clock, message }),
    }
    const result = await checkRevision(URL, deps)
    expect(result).toMatchObject({ ok: false, problem: 'HTTP 503' })
    expect(lines[0]?.message).toBe(`Waiting for the new revision at ${URL}: HTTP 503; waited 0 s, up to 180 s more.`)
    const times = [0, ...lines.map((line) => line.at), 180_000]
    for (let i = 1; i < times.length; i++) expect(times[i]! - times[i - 1]!).toBeLessThanOrEqual(10_000)
    expect(lines.map((line) => line.message).join('\n')).not.toMatch(/undefined/)
  })
})
