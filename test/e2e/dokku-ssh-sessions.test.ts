import { afterAll, describe, expect, it } from 'vitest'
import { fixtureRepo } from '../support/index.js'
import { startDokkuStandin } from '../standins/dokku/standin.js'
import { MAX_SESSIONS, type SshdProfile } from '../standins/dokku/sshd.js'
import { authorizedKey, baseInputs, runAction } from './dokku-support.js'

/**
 * action-dokku runs Dokku commands in parallel over one SSH connection. Against OpenSSH as shipped
 * (MaxSessions 10) and hardened (2, 1), consecutive runs must never fail because the server refused
 * a channel: the first round deploys the flat fixture, the others are reruns of the same commit
 * (up to date: every read, no build), which is where the parallel commands are.
 * DOKKU_SSH_ROUNDS changes the number of rounds (default 20).
 */
const ROUNDS = Number(process.env.DOKKU_SSH_ROUNDS ?? 20)
const cleanups: Array<() => Promise<void> | void> = []
const timings: string[] = []

afterAll(async () => {
  for (const fn of cleanups.reverse()) await fn()
  console.info(`dokku-ssh-sessions, ${ROUNDS} rounds: ${timings.join('; ')}`)
})

describe.each<SshdProfile>(['stock', 'max-sessions-2', 'max-sessions-1'])('sshd %s', (profile) => {
  it(`${ROUNDS} consecutive deploy/rerun rounds without a failure`, async () => {
    const dokku = await startDokkuStandin({ sshd: profile, cleanup: (fn) => cleanups.push(fn) })
    const key = await authorizedKey(dokku)
    const repo = await fixtureRepo('flat')
    const app = `sessions-${MAX_SESSIONS[profile]}`
    const started = Date.now()
    const outcomes: string[] = []
    let firstMs = 0
    let handled = 0
    for (let round = 0; round < ROUNDS; round++) {
      if (round === 1) firstMs = Date.now() - started
      const action = await runAction({ repoDir: repo.dir, inputs: baseInputs(dokku, key, app) })
      expect(action.error, `round ${round + 1}:\n${action.visible}`).toBeUndefined()
      // A refusal the action handled is not shown as a problem.
      const problems = action.log.entries.filter(
        (entry) => entry.level === 'error' || (entry.level === 'warning' && /ssh|channel|session/i.test(entry.message)),
      )
      expect(problems).toEqual([])
      expect(action.visible).not.toMatch(/open failed|Channel open failure/)
      outcomes.push(action.result?.outcome ?? 'none')
      handled += action.log.entries.filter((entry) => entry.level === 'debug' && /refused a channel/.test(entry.message)).length
    }
    const elapsed = Date.now() - started
    const rerunMs = (elapsed - firstMs) / Math.max(1, ROUNDS - 1)
    timings.push(
      `${profile}: ${(elapsed / 1000).toFixed(1)} s (deploy ${(firstMs / 1000).toFixed(1)} s, rerun ${(rerunMs / 1000).toFixed(2)} s each)`,
    )
    expect(outcomes[0]).toBe('deployed')
    expect(outcomes.slice(1)).toEqual(Array.from({ length: ROUNDS - 1 }, () => 'up-to-date'))
    const log = await dokku.sshdLog()
    const refused = log.match(/no more sessions/g)?.length ?? 0
    timings.push(`${profile}: ${handled} refusals handled (sshd logged "no more sessions" ${refused} times)`)
    // The hardened servers really refused channels, so the rounds above went through the retry.
    if (profile !== 'stock') expect(handled).toBeGreaterThan(0)
    expect(dokku.url(app)).toBeDefined()
  }, 600_000)
})
