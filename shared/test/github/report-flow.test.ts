import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import {
  commitUrl,
  createGitHubClient,
  findPullRequestForWorkflowRun,
  GitHubDeployment,
  noSecretsReason,
  Outputs,
  previewEnvironment,
  readEventContext,
  renderPreviewComment,
  secretsAvailable,
  upsertStickyComment,
  withPullRequest,
  writeSummary,
  type Env,
  type EventContext,
} from '../../src/github/index.js'
import type { GitHubApiStandin } from '../../../test/standins/github-api/server.js'
import { ACTIONS_TOKEN, eventFile, FULL_NAME, quietSecrets, startStandin } from './support.js'

/**
 * The reporting an action does at the end of a deploy, end to end against the stand-in and real
 * @actions/core files: the same sequence as the usage example in the report.
 */
let github: GitHubApiStandin
let dir: string

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'github-flow-'))
  process.env.GITHUB_OUTPUT = join(dir, 'output')
  process.env.GITHUB_STEP_SUMMARY = join(dir, 'summary.md')
})
beforeEach(async () => {
  writeFileSync(join(dir, 'output'), '')
  writeFileSync(join(dir, 'summary.md'), '')
  github = await startStandin()
})
afterEach(async () => {
  await github.close()
})
afterAll(() => {
  delete process.env.GITHUB_OUTPUT
  delete process.env.GITHUB_STEP_SUMMARY
  rmSync(dir, { recursive: true, force: true })
})

function env(eventName: string, event: string, extra: Env = {}): Env {
  return {
    GITHUB_EVENT_NAME: eventName,
    GITHUB_EVENT_PATH: eventFile(event),
    GITHUB_REPOSITORY: FULL_NAME,
    GITHUB_SERVER_URL: 'https://github.com',
    GITHUB_API_URL: github.url,
    GITHUB_RUN_ID: '9001',
    GITHUB_ACTOR: 'ada',
    ...extra,
  }
}

/** What an action's main.ts does after its own deploy work returned `url`. */
async function reportDeploy(context: EventContext, site: string, url: string): Promise<void> {
  const { secrets } = quietSecrets()
  const client = createGitHubClient({ token: ACTIONS_TOKEN, env: { GITHUB_API_URL: context.apiUrl } })
  const outputs = new Outputs(['url', 'deployment-id'] as const, secrets)
  const pr = context.pullRequest
  const deployment = await GitHubDeployment.start(
    {
      client,
      repo: context.repo,
      sha: context.sha,
      environment: pr ? previewEnvironment(pr.number) : 'production',
      preview: pr !== undefined,
    },
    context.runUrl,
  )
  await deployment.succeed({ environmentUrl: url, logUrl: context.runUrl })
  outputs.setAll({ url, 'deployment-id': deployment.id })
  const commit = { sha: context.sha, url: commitUrl(context) }
  await writeSummary(
    {
      action: 'action-static',
      outcome: 'deployed',
      target: { kind: 'site', name: site },
      url,
      commit,
      environment: deployment.environment,
      phases: [{ name: 'Upload', ms: 1200 }],
      runUrl: context.runUrl,
    },
    secrets,
  )
  if (pr) {
    const body = renderPreviewComment({ title: `Preview of ${site} is ready`, url, commit, runUrl: context.runUrl })
    await upsertStickyComment({ client, repo: context.repo, issueNumber: pr.number, action: 'static', key: site, body, secrets })
  }
}

describe('reporting at the end of a deploy', () => {
  it('same-repository pull request: preview deployment, outputs, summary, one sticky comment across pushes', async () => {
    const context = readEventContext(env('pull_request', 'pull_request'))
    github.state.addPullRequest(FULL_NAME, { number: 12, headSha: context.sha, headRef: 'new-theme' })
    expect(secretsAvailable(context)).toBe(true)

    await reportDeploy(context, 'blog', 'https://pr-12--blog.example.app')
    await reportDeploy(context, 'blog', 'https://pr-12--blog.example.app')

    const comments = github.state.comments(FULL_NAME, 12)
    expect(comments).toHaveLength(1)
    expect(comments[0]?.body).toContain('https://pr-12--blog.example.app')
    const deployments = github.state.repo(FULL_NAME).deployments
    expect(deployments.map((deployment) => [deployment.environment, deployment.sha, deployment.transient_environment])).toEqual([
      ['pr-12 preview', context.sha, true],
      ['pr-12 preview', context.sha, true],
    ])
    expect(deployments.map((deployment) => github.state.latestState(FULL_NAME, deployment.id))).toEqual(['inactive', 'success'])
    expect(readFileSync(join(dir, 'output'), 'utf8')).toMatch(/^url<<ghadelimiter_[\s\S]*https:\/\/pr-12--blog\.example\.app/)
    expect(readFileSync(join(dir, 'summary.md'), 'utf8')).toContain(
      '## Deployed blog to [https://pr-12--blog.example.app](https://pr-12--blog.example.app/)',
    )
  })

  it('fork pull request: no secrets, so the action builds only and reports that without touching the API', async () => {
    const context = readEventContext(env('pull_request', 'pull_request_fork'))
    expect(secretsAvailable(context)).toBe(false)
    const { secrets } = quietSecrets()
    await writeSummary(
      {
        action: 'action-static',
        outcome: 'skipped',
        target: { kind: 'site', name: 'blog' },
        reason: noSecretsReason(context),
        commit: { sha: context.sha },
      },
      secrets,
    )
    expect(readFileSync(join(dir, 'summary.md'), 'utf8')).toContain(
      '## Did not deploy blog: Pull request #31 comes from a fork (stranger/blog)',
    )
    expect(github.requests).toEqual([])
  })

  it('workflow_run after a fork build: finds the PR by head SHA, then reports to it', async () => {
    const built = readEventContext(env('workflow_run', 'workflow_run'))
    github.state.addPullRequest(FULL_NAME, { number: 31, headSha: built.sha, headRef: 'patch-1', headRepo: 'stranger/blog' })
    const client = createGitHubClient({ token: ACTIONS_TOKEN, apiUrl: github.url })

    const found = await findPullRequestForWorkflowRun(client, built)
    if (!found.found) throw new Error(found.message)
    const context = withPullRequest(built, found.pullRequest)
    await reportDeploy(context, 'blog', 'https://pr-31--blog.example.app')

    expect(github.state.comments(FULL_NAME, 31)).toHaveLength(1)
    expect(github.state.repo(FULL_NAME).deployments[0]).toMatchObject({
      environment: 'pr-31 preview',
      sha: '5555555555555555555555555555555555555555',
    })
  })

  it('push to the default branch: a production deployment and no comment', async () => {
    const context = readEventContext(
      env('push', 'push', { GITHUB_SHA: '2222222222222222222222222222222222222222', GITHUB_REF: 'refs/heads/main' }),
    )
    github.state.repo(FULL_NAME).knownShas.add(context.sha)
    await reportDeploy(context, 'blog', 'https://blog.example.com')
    expect(github.state.repo(FULL_NAME).deployments[0]).toMatchObject({ environment: 'production', production_environment: true })
    expect(github.requests.some((request) => request.path.includes('/comments'))).toBe(false)
  })
})
