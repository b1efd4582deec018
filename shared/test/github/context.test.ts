import { readFileSync } from 'node:fs'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { ActionError } from '../../src/errors.js'
import { noSecretsReason, readEventContext, secretsAvailable, withPullRequest, type Env } from '../../src/github/context.js'
import { findPullRequestForWorkflowRun } from '../../src/github/workflow-run.js'
import type { GitHubApiStandin } from '../../../test/standins/github-api/server.js'
import { sha } from '../../../test/standins/github-api/state.js'
import { clientFor, eventFile, FULL_NAME, startStandin } from './support.js'

/** The variables the runner sets for every step (docs: "Default environment variables"). */
function runnerEnv(eventName: string, event: string, extra: Env = {}): Env {
  return {
    GITHUB_ACTIONS: 'true',
    GITHUB_EVENT_NAME: eventName,
    GITHUB_EVENT_PATH: eventFile(event),
    GITHUB_REPOSITORY: 'octo/blog',
    GITHUB_REPOSITORY_OWNER: 'octo',
    GITHUB_SERVER_URL: 'https://github.com',
    GITHUB_API_URL: 'https://api.github.com',
    GITHUB_RUN_ID: '9001',
    GITHUB_RUN_ATTEMPT: '1',
    GITHUB_ACTOR: 'ada',
    ...extra,
  }
}

describe('readEventContext', () => {
  it('push to the default branch', () => {
    const context = readEventContext(
      runnerEnv('push', 'push', {
        GITHUB_SHA: '2222222222222222222222222222222222222222',
        GITHUB_REF: 'refs/heads/main',
        GITHUB_REF_NAME: 'main',
      }),
    )
    expect(context).toMatchObject({
      eventName: 'push',
      repo: { owner: 'octo', repo: 'blog' },
      repository: 'octo/blog',
      sha: '2222222222222222222222222222222222222222',
      checkoutSha: '2222222222222222222222222222222222222222',
      ref: 'refs/heads/main',
      refName: 'main',
      defaultBranch: 'main',
      onDefaultBranch: true,
      actor: 'ada',
      runUrl: 'https://github.com/octo/blog/actions/runs/9001',
    })
    expect(context.pullRequest).toBeUndefined()
    expect(secretsAvailable(context)).toBe(true)
  })

  it('pull_request from a branch of the same repository: reports on the head commit, checks out the merge commit', () => {
    const context = readEventContext(
      runnerEnv('pull_request', 'pull_request', {
        GITHUB_SHA: 'abababababababababababababababababababab',
        GITHUB_REF: 'refs/pull/12/merge',
        GITHUB_REF_NAME: '12/merge',
        GITHUB_HEAD_REF: 'new-theme',
      }),
    )
    expect(context.sha).toBe('4444444444444444444444444444444444444444')
    expect(context.checkoutSha).toBe('abababababababababababababababababababab')
    expect(context.refName).toBe('new-theme')
    expect(context.onDefaultBranch).toBe(false)
    expect(context.action).toBe('synchronize')
    expect(context.pullRequest).toEqual({
      number: 12,
      headSha: '4444444444444444444444444444444444444444',
      headRef: 'new-theme',
      headRepository: 'octo/blog',
      baseRef: 'main',
      baseRepository: 'octo/blog',
      fromFork: false,
      state: 'open',
      merged: false,
      url: 'https://github.com/octo/blog/pull/12',
    })
    expect(secretsAvailable(context)).toBe(true)
  })

  it('pull_request from a fork: no secrets, with a reason to show', () => {
    const context = readEventContext(
      runnerEnv('pull_request', 'pull_request_fork', { GITHUB_ACTOR: 'stranger', GITHUB_REF: 'refs/pull/31/merge' }),
    )
    expect(context.pullRequest).toMatchObject({
      number: 31,
      fromFork: true,
      headRepository: 'stranger/blog',
      headSha: '5555555555555555555555555555555555555555',
    })
    expect(secretsAvailable(context)).toBe(false)
    expect(noSecretsReason(context)).toBe(
      'Pull request #31 comes from a fork (stranger/blog); GitHub gives such runs no secrets and a read-only token.',
    )
  })

  it('a fork whose repository was deleted still counts as a fork', () => {
    const env = runnerEnv('pull_request', 'pull_request_fork')
    const payload = JSON.parse(JSON.stringify(readJson('pull_request_fork'))) as { pull_request: { head: { repo: unknown } } }
    payload.pull_request.head.repo = null
    const context = readEventContext(env, () => JSON.stringify(payload))
    expect(context.pullRequest).toMatchObject({ fromFork: true, headRepository: '' })
    expect(secretsAvailable(context)).toBe(false)
  })

  it('pull_request_target from a fork runs the base workflow with secrets', () => {
    const context = readEventContext(runnerEnv('pull_request_target', 'pull_request_fork'))
    expect(context.pullRequest?.fromFork).toBe(true)
    expect(secretsAvailable(context)).toBe(true)
  })

  it('Dependabot runs get no Actions secrets', () => {
    const context = readEventContext(runnerEnv('pull_request', 'pull_request', { GITHUB_ACTOR: 'dependabot[bot]' }))
    expect(secretsAvailable(context)).toBe(false)
    expect(noSecretsReason(context)).toMatch(/Dependabot/)
  })

  it('workflow_run: reports on the triggering run’s head commit; the PR is not in the payload for forks', () => {
    const context = readEventContext(
      runnerEnv('workflow_run', 'workflow_run', {
        GITHUB_SHA: '2222222222222222222222222222222222222222',
        GITHUB_REF: 'refs/heads/main',
      }),
    )
    expect(context.sha).toBe('5555555555555555555555555555555555555555')
    expect(context.checkoutSha).toBe('2222222222222222222222222222222222222222')
    expect(context.workflowRun).toEqual({
      id: 7001,
      name: 'preview-build',
      event: 'pull_request',
      conclusion: 'success',
      headSha: '5555555555555555555555555555555555555555',
      headBranch: 'patch-1',
      headRepository: 'stranger/blog',
      pullRequestNumbers: [],
    })
    expect(context.pullRequest).toBeUndefined()
    expect(context.onDefaultBranch).toBe(false)
    expect(secretsAvailable(context)).toBe(true)
  })

  it('workflow_dispatch on the default branch', () => {
    const context = readEventContext(
      runnerEnv('workflow_dispatch', 'workflow_dispatch', {
        GITHUB_SHA: '2222222222222222222222222222222222222222',
        GITHUB_REF: 'refs/heads/main',
        GITHUB_REF_NAME: 'main',
      }),
    )
    expect(context).toMatchObject({
      eventName: 'workflow_dispatch',
      sha: '2222222222222222222222222222222222222222',
      refName: 'main',
      onDefaultBranch: true,
    })
    expect(context.pullRequest).toBeUndefined()
  })

  it('builds the run URL from GITHUB_SERVER_URL (GitHub Enterprise Server)', () => {
    const context = readEventContext(
      runnerEnv('push', 'push', {
        GITHUB_SERVER_URL: 'https://ghe.example.com/',
        GITHUB_API_URL: 'https://ghe.example.com/api/v3',
        GITHUB_RUN_ID: '55',
      }),
    )
    expect(context.runUrl).toBe('https://ghe.example.com/octo/blog/actions/runs/55')
    expect(context.apiUrl).toBe('https://ghe.example.com/api/v3')
  })

  it('refuses to guess outside GitHub Actions', () => {
    expect(() => readEventContext({})).toThrow(ActionError)
    expect(() => readEventContext({})).toThrow(/GITHUB_REPOSITORY is not set/)
  })

  it('says which file is unreadable or not JSON', () => {
    expect(() => readEventContext(runnerEnv('push', 'push'), () => '{oops')).toThrow(
      /The event payload at GITHUB_EVENT_PATH \(.*push\.json\) is not valid JSON/,
    )
  })
})

describe('findPullRequestForWorkflowRun', () => {
  let github: GitHubApiStandin
  const headSha = '5555555555555555555555555555555555555555'
  const workflowRun = (): ReturnType<typeof readEventContext> => readEventContext(runnerEnv('workflow_run', 'workflow_run'))

  beforeEach(async () => {
    github = await startStandin()
    github.state.addPullRequest(FULL_NAME, { number: 12, headSha: sha('same-repo'), headRef: 'new-theme' })
  })
  afterEach(async () => {
    await github.close()
  })

  it('finds the fork PR by head SHA through the API', async () => {
    github.state.addPullRequest(FULL_NAME, {
      number: 30,
      headSha: sha('other-fork'),
      headRef: 'patch-1',
      headRepo: 'someone/blog',
    })
    github.state.addPullRequest(FULL_NAME, { number: 31, headSha, headRef: 'patch-1', headRepo: 'stranger/blog' })

    const found = await findPullRequestForWorkflowRun(clientFor(github), workflowRun())

    expect(found).toMatchObject({
      found: true,
      pullRequest: { number: 31, fromFork: true, headRepository: 'stranger/blog', headSha },
    })
    const lookup = github.requests.find((request) => request.path === '/repos/octo/blog/pulls')
    expect(lookup?.query).toMatchObject({ state: 'open', head: 'stranger:patch-1', per_page: '100' })
    if (found.found) {
      const context = withPullRequest(workflowRun(), found.pullRequest)
      expect(context.pullRequest?.number).toBe(31)
      expect(context.sha).toBe(headSha)
    }
  })

  it('declares the run stale when the PR has moved on to a newer commit', async () => {
    github.state.addPullRequest(FULL_NAME, { number: 31, headSha: sha('newer'), headRef: 'patch-1', headRepo: 'stranger/blog' })
    const found = await findPullRequestForWorkflowRun(clientFor(github), workflowRun())
    expect(found).toMatchObject({ found: false, reason: 'stale' })
  })

  it('finds nothing when the PR was closed', async () => {
    github.state.addPullRequest(FULL_NAME, {
      number: 31,
      headSha,
      headRef: 'patch-1',
      headRepo: 'stranger/blog',
      state: 'closed',
    })
    const found = await findPullRequestForWorkflowRun(clientFor(github), workflowRun())
    expect(found).toMatchObject({ found: false, reason: 'no-open-pull-request' })
  })

  it('ignores a PR from another fork that happens to have the same branch and commit', async () => {
    github.state.addPullRequest(FULL_NAME, { number: 40, headSha, headRef: 'patch-1', headRepo: 'impostor/blog' })
    const found = await findPullRequestForWorkflowRun(clientFor(github), workflowRun())
    expect(found.found).toBe(false)
  })

  it('is not asked for non-PR runs', async () => {
    const context = readEventContext(runnerEnv('push', 'push'))
    expect(await findPullRequestForWorkflowRun(clientFor(github), context)).toMatchObject({
      found: false,
      reason: 'not-a-workflow-run',
    })
    expect(github.requests).toEqual([])
  })
})

function readJson(name: string): unknown {
  return JSON.parse(readFileSync(eventFile(name), 'utf8'))
}
