import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { ActionError } from '@django-deploy/shared/errors'
import { readEventContext } from '@django-deploy/shared/github'
import { Outputs } from '@django-deploy/shared/github'
import { SecretRegistry } from '@django-deploy/shared/github'
import type { DeploySummary } from '@django-deploy/shared/github'
import { inputSourceFrom } from '@django-deploy/shared/inputs'
import { MemoryLogger } from '@django-deploy/shared/runtime'
import { readInputs } from '../src/inputs.js'
import { run } from '../src/main.js'
import { OUTPUT_NAMES, type Deps } from '../src/types.js'
import { sshKeygen } from './keys.js'

const key = sshKeygen('ed25519')
const hostKey = sshKeygen('ed25519').publicKey

/** A run's deps where every side effect is refused unless a test allows it; summaries are collected. */
function bed(options: { fork?: boolean; closed?: boolean; connect?: Deps['connect']; workspace?: string } = {}) {
  const summaries: DeploySummary[] = []
  const calls: string[] = []
  const log = new MemoryLogger()
  const payload = {
    action: options.closed ? 'closed' : 'synchronize',
    number: 7,
    pull_request: {
      number: 7,
      head: { sha: 'd'.repeat(40), ref: 'feature', repo: { full_name: options.fork ? 'stranger/site' : 'octo/site' } },
      base: { ref: 'main', repo: { full_name: 'octo/site' } },
    },
  }
  const env = {
    GITHUB_REPOSITORY: 'octo/site',
    GITHUB_EVENT_NAME: 'pull_request',
    GITHUB_EVENT_PATH: '/event.json',
    GITHUB_SHA: 'c'.repeat(40),
    GITHUB_REF: 'refs/pull/7/merge',
    GITHUB_RUN_ID: '9',
    GITHUB_WORKSPACE: options.workspace ?? '/nonexistent',
  }
  const refuse = (what: string) => () => {
    calls.push(what)
    return Promise.reject(new Error(`must not ${what}`))
  }
  const deps: Deps = {
    log,
    runner: { run: refuse('run a program') },
    connect:
      options.connect ??
      (() => {
        calls.push('connect')
        return Promise.reject(new Error('must not connect'))
      }),
    env,
    context: readEventContext(env, () => JSON.stringify(payload)),
    outputs: new Outputs(OUTPUT_NAMES, new SecretRegistry(() => undefined), () => undefined),
    writeSummary: async (summary) => void summaries.push(summary),
    fetch: refuse('fetch') as unknown as typeof fetch,
    now: () => 0,
    sleep: refuse('sleep'),
    saveState: () => undefined,
  }
  return { deps, summaries, calls, log }
}

function inputsOf(values: Record<string, string>) {
  return readInputs(
    inputSourceFrom({ host: 'dokku.example.com', app: 'blog', 'ssh-host-key': `dokku.example.com ${hostKey}`, ...values }),
    () => undefined,
  )
}

describe('every outcome writes a job summary', () => {
  it("a fork's pull request without the key: a notice and a skipped summary, nothing connected", async () => {
    const { deps, summaries, calls, log } = bed({ fork: true })
    const result = await run(inputsOf({ 'review-apps': 'auto' }), deps)
    expect(result.outcome).toBe('skipped')
    expect(calls).toEqual([])
    expect(summaries).toEqual([
      expect.objectContaining({
        outcome: 'skipped',
        operation: 'deploy',
        target: { kind: 'app', name: 'blog-pr-7' },
        reason: expect.stringContaining('comes from a fork (stranger/site)'),
      }),
    ])
    expect(log.text()).toMatch(/notice: Not deploying: Pull request #7 comes from a fork/)
  })

  it('a closed fork pull request: the removal is skipped, saying there is nothing to remove', async () => {
    const { deps, summaries, log } = bed({ fork: true, closed: true })
    await run(inputsOf({ 'review-apps': 'auto' }), deps)
    expect(summaries).toEqual([expect.objectContaining({ outcome: 'skipped', operation: 'remove' })])
    expect(log.text()).toMatch(/Not removing the review app blog-pr-7: .* there is nothing to remove\./)
  })

  it('no key on a branch of this repository is an input error (a secret is missing, not a skip)', async () => {
    const { deps, summaries } = bed()
    await expect(run(inputsOf({}), deps)).rejects.toMatchObject({ input: 'ssh-private-key', message: 'is required.' })
    expect(summaries).toEqual([])
  })

  it('a failure (the server cannot be reached) writes a failed summary with the reason and the phases', async () => {
    // A project to find: manage.py is located before the server is contacted.
    const workspace = mkdtempSync(path.join(tmpdir(), 'outcomes-'))
    writeFileSync(path.join(workspace, 'manage.py'), 'import django\n')
    const { deps, summaries } = bed({
      workspace,
      connect: () => Promise.reject(new ActionError('Could not connect to dokku.example.com:22: connection refused.')),
    })
    await expect(run(inputsOf({ 'ssh-private-key': key.privateKey }), deps)).rejects.toThrow(/connection refused/)
    expect(summaries).toEqual([
      expect.objectContaining({
        outcome: 'failed',
        operation: 'deploy',
        target: { kind: 'app', name: 'blog-pr-7' },
        reason: 'Could not connect to dokku.example.com:22: connection refused.',
        phases: [expect.objectContaining({ name: 'Find the project' }), expect.objectContaining({ name: 'Connect' })],
      }),
    ])
    rmSync(workspace, { recursive: true, force: true })
  })

  it('a project that cannot be found fails before the server is contacted, with a failed summary', async () => {
    const { deps, summaries, calls } = bed()
    await expect(run(inputsOf({ 'ssh-private-key': key.privateKey }), deps)).rejects.toMatchObject({
      input: 'working-directory',
      message: expect.stringMatching(/^No manage\.py found/),
    })
    expect(calls).toEqual([])
    expect(summaries).toEqual([
      expect.objectContaining({ outcome: 'failed', reason: expect.stringMatching(/^No manage\.py found/) }),
    ])
  })
})
