import { cp, mkdir } from 'node:fs/promises'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { renderSummary } from '@django-deploy/shared/github'
import { fixtureRepo, git, type FixtureRepo } from '../support/index.js'
import { startDokkuStandin, type DokkuStandin } from '../standins/dokku/standin.js'
import { startNetlifyStandin, type NetlifyStandin } from '../standins/netlify/server.js'
import type { GeneratedKey } from '../../action-dokku/test/keys.js'
import { authorizedKey, baseInputs, pullRequestContext, runAction } from './dokku-support.js'
import { createBed } from './cloudrun-support.js'
import { harness } from './static-support.js'

/**
 * The tutorial graduate's refused and skipped runs, on every road, end to end against the
 * stand-ins: each one fails (or skips) with words that name the fix, writes a job summary that
 * says so, and leaves the stand-in exactly as it was: no command, no request, nothing created.
 */
const cleanups: Array<() => Promise<void> | void> = []
let dokku: DokkuStandin
let key: GeneratedKey

beforeAll(async () => {
  dokku = await startDokkuStandin({ cleanup: (fn) => cleanups.push(fn) })
  key = await authorizedKey(dokku)
})

afterAll(async () => {
  for (const fn of cleanups.reverse()) await fn()
})

/**
 * Two copies of the tutorial project side by side (polls-a/manage.py, polls-b/manage.py), as in
 * a repository that holds a project and its rewrite: which one to deploy only the user can say.
 */
async function twoProjects(repo: FixtureRepo): Promise<void> {
  const entries = (await git(repo.dir, ['ls-tree', '--name-only', 'HEAD'])).split('\n').filter(Boolean)
  for (const entry of entries) {
    await cp(path.join(repo.dir, entry), path.join(repo.dir, 'polls-b', entry), { recursive: true })
  }
  await mkdir(path.join(repo.dir, 'polls-a'))
  await git(repo.dir, ['mv', ...entries, 'polls-a/'])
  await git(repo.dir, ['add', '-A'])
  await git(repo.dir, ['commit', '-q', '-m', 'Two projects side by side'])
  repo.head = await git(repo.dir, ['rev-parse', 'HEAD'])
}

const AMBIGUOUS = /Found 2 Django projects at the same depth \(polls-a\/manage\.py, polls-b\/manage\.py\)/
const FIX = /Set working-directory to the folder of the project to deploy: one of "polls-a", "polls-b"/

describe('two Django projects in one repository: refused on every road before anything remote', () => {
  it('Dokku: names both and working-directory; a failed summary; the server saw no command', async () => {
    const repo = await fixtureRepo('tutorial')
    await twoProjects(repo)
    const before = (await dokku.commands()).length
    const attempt = await runAction({ repoDir: repo.dir, inputs: { ...baseInputs(dokku, key, 'polls'), postgres: 'true' } })
    expect(attempt.error?.message).toMatch(AMBIGUOUS)
    expect(attempt.visible).toMatch(FIX)
    expect((attempt.error as { input?: string }).input).toBe('working-directory')
    expect(attempt.summary).toMatch(/failed/i)
    expect(attempt.summary).toMatch(AMBIGUOUS)
    expect((await dokku.commands()).slice(before)).toEqual([])
    expect(dokku.app('polls')).toBeUndefined()
    expect(dokku.service('polls')).toBeUndefined()
  })

  it('static: names both and working-directory; a failed summary; Netlify got no request', async () => {
    const netlify: NetlifyStandin = await startNetlifyStandin()
    cleanups.push(() => netlify.close())
    netlify.state.addToken('nf-token-refusals')
    netlify.state.addSite('polls')
    const repo = await fixtureRepo('tutorial')
    await twoProjects(repo)
    const h = harness({
      workspace: repo.dir,
      inputs: { provider: 'netlify', 'netlify-auth-token': 'nf-token-refusals', 'netlify-site-name': 'polls' },
      netlifyApiUrl: netlify.url,
    })
    const error = await h.run().then(
      () => undefined,
      (thrown: unknown) => thrown as Error & { input?: string; hint?: string },
    )
    expect(error?.message).toMatch(AMBIGUOUS)
    expect(error?.hint).toMatch(FIX)
    expect(error?.input).toBe('working-directory')
    const summary = h.summary.join('')
    expect(summary).toMatch(/failed/i)
    expect(summary).toMatch(AMBIGUOUS)
    expect(netlify.requests).toEqual([])
  })

  it('Cloud Run: names both and working-directory; a failed summary; gcloud ran nothing remote', async () => {
    const bed = await createBed('tutorial')
    await twoProjects(bed.repo)
    const attempt = await bed.deploy()
    expect(attempt.error?.message).toMatch(AMBIGUOUS)
    expect((attempt.error as { hint?: string }).hint).toMatch(FIX)
    expect((attempt.error as { input?: string }).input).toBe('working-directory')
    const summary = attempt.summaries.map((entry) => renderSummary(entry)).join('\n')
    expect(summary).toMatch(/failed/i)
    expect(summary).toMatch(AMBIGUOUS)
    // Only gcloud's local commands (its version, the key's activation) may run before detection.
    const remote = attempt.commands.filter(
      (command) => !/^gcloud (version|auth activate-service-account|config get-value)\b/.test(command),
    )
    expect(remote).toEqual([])
  })
})

describe("a fork's pull request: skipped with a summary, nothing touched", () => {
  it('Dokku: no key on a fork is a skip, not an error; the summary says why; no connection', async () => {
    const repo = await fixtureRepo('tutorial')
    const before = (await dokku.commands()).length
    const { 'ssh-private-key': _omitted, ...inputs } = baseInputs(dokku, key, 'polls')
    const attempt = await runAction({ repoDir: repo.dir, inputs, context: pullRequestContext(9, 'synchronize', { fork: true }) })
    expect(attempt.error, attempt.visible).toBeUndefined()
    expect(attempt.result?.outcome).toBe('skipped')
    expect(attempt.visible).toMatch(/Not deploying: Pull request #9 comes from a fork \(stranger\/site\)/)
    expect(attempt.summary).toMatch(/^## Did not deploy polls-pr-9: Pull request #9 comes from a fork \(stranger\/site\)/)
    expect((await dokku.commands()).slice(before)).toEqual([])
    expect(dokku.app('polls-pr-9')).toBeUndefined()
  })
})

describe('Dokku http-check on the tutorial project, whose / is a 404', () => {
  it('fails at the first definite answer, names the path and the fix, and says what is live', async () => {
    const repo = await fixtureRepo('tutorial')
    const attempt = await runAction({
      repoDir: repo.dir,
      inputs: { ...baseInputs(dokku, key, 'tutorial-check'), 'http-check': 'true' },
    })
    expect(attempt.error?.message).toMatch(/the app answered HTTP 404 \(nothing is served at \/\)/)
    expect((attempt.error as { input?: string }).input).toBe('http-check')
    // A definite answer ends the check at once: no retry loop on a 404.
    expect(attempt.log.text()).not.toMatch(/HTTP check: .* retrying/)
    // The summary says it failed, why, and what is live now.
    expect(attempt.summary).toMatch(/^## Deploying tutorial-check failed: The HTTP check of .* answered HTTP 404/)
    expect(attempt.summary).toMatch(/\*\*What now:\*\* The deploy itself succeeded and is live\. Set http-check to a path/)
    const polls = await fetch(`${dokku.url('tutorial-check')}/polls/`)
    expect(polls.status).toBe(200)
  })
})
