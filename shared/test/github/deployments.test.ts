import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { ActionError } from '../../src/errors.js'
import {
  deactivateEnvironment,
  GitHubDeployment,
  previewEnvironment,
  setDeploymentStatus,
  type DeploymentTarget,
} from '../../src/github/deployments.js'
import type { GitHubApiStandin } from '../../../test/standins/github-api/server.js'
import { sha } from '../../../test/standins/github-api/state.js'
import { ACTIONS_TOKEN, clientFor, FULL_NAME, REPO, startStandin } from './support.js'

let github: GitHubApiStandin
const RUN_URL = 'https://github.com/octo/blog/actions/runs/7'

beforeEach(async () => {
  github = await startStandin()
  github.state.addPullRequest(FULL_NAME, { number: 12, headSha: sha('pr12-a'), headRef: 'new-theme' })
})
afterEach(async () => {
  await github.close()
})

function preview(commit: string, overrides: Partial<DeploymentTarget> = {}): DeploymentTarget {
  github.state.repo(FULL_NAME).knownShas.add(commit)
  return {
    client: clientFor(github),
    repo: REPO,
    sha: commit,
    environment: previewEnvironment(12),
    preview: true,
    description: 'Preview of blog',
    ...overrides,
  }
}

const states = (id: number): string[] =>
  github.state
    .statusesOf(FULL_NAME, id)
    .map((status) => status.state)
    .reverse()

describe('GitHubDeployment', () => {
  it('creates a transient, non-production deployment that GitHub will not auto-merge or gate', async () => {
    const deployment = await GitHubDeployment.start(preview(sha('pr12-a')), RUN_URL)
    const create = github.requests.find((request) => request.method === 'POST' && request.path === '/repos/octo/blog/deployments')
    expect(create?.body).toEqual({
      ref: sha('pr12-a'),
      environment: 'pr-12 preview',
      description: 'Preview of blog',
      auto_merge: false,
      required_contexts: [],
      transient_environment: true,
      production_environment: false,
    })
    expect(states(deployment.id)).toEqual(['in_progress'])
    expect(github.state.statusesOf(FULL_NAME, deployment.id)[0]?.log_url).toBe(RUN_URL)
  })

  it('goes in_progress → success with the environment and log URLs', async () => {
    const deployment = await GitHubDeployment.start(preview(sha('pr12-a')), RUN_URL)
    await deployment.succeed({
      environmentUrl: 'https://pr-12--blog.example.app',
      logUrl: RUN_URL,
      description: 'Deployed 42 pages',
    })
    expect(states(deployment.id)).toEqual(['in_progress', 'success'])
    const success = github.state.statusesOf(FULL_NAME, deployment.id)[0]
    expect(success).toMatchObject({
      environment_url: 'https://pr-12--blog.example.app/',
      log_url: RUN_URL,
      target_url: RUN_URL,
      description: 'Deployed 42 pages',
    })
  })

  it('goes in_progress → failure', async () => {
    const deployment = await GitHubDeployment.start(preview(sha('pr12-a')), RUN_URL)
    await deployment.fail({ logUrl: RUN_URL, description: 'Upload to Netlify failed' })
    expect(states(deployment.id)).toEqual(['in_progress', 'failure'])
  })

  it('marks older previews of the same environment inactive (auto_inactive does not cover transient ones)', async () => {
    const first = await GitHubDeployment.start(preview(sha('pr12-a')))
    await first.succeed({ environmentUrl: 'https://pr-12--blog.example.app' })
    const failed = await GitHubDeployment.start(preview(sha('pr12-b')))
    await failed.fail()
    const otherPr = await GitHubDeployment.start(preview(sha('pr13-a'), { environment: previewEnvironment(13) }))
    await otherPr.succeed({ environmentUrl: 'https://pr-13--blog.example.app' })

    const second = await GitHubDeployment.start(preview(sha('pr12-c')))
    const result = await second.succeed({ environmentUrl: 'https://pr-12--blog.example.app' })

    expect(result.deactivated).toEqual([first.id])
    expect(states(first.id)).toEqual(['in_progress', 'success', 'inactive'])
    expect(states(failed.id)).toEqual(['in_progress', 'failure'])
    expect(states(otherPr.id)).toEqual(['in_progress', 'success'])
    expect(states(second.id)).toEqual(['in_progress', 'success'])
  })

  it('stops at the first already-inactive deployment, so long histories stay cheap', async () => {
    for (const label of ['a', 'b', 'c']) {
      const deployment = await GitHubDeployment.start(preview(sha(`pr12-${label}`)))
      await deployment.succeed({})
    }
    const before = github.requests.length
    const latest = await GitHubDeployment.start(preview(sha('pr12-d')))
    await latest.succeed({})
    const statusReads = github.requests
      .slice(before)
      .filter((request) => request.method === 'GET' && request.path.endsWith('/statuses'))
    // c (success → deactivated) and b (already inactive: stop); a is never read.
    expect(statusReads).toHaveLength(2)
  })

  it('records production as a production, non-transient environment', async () => {
    const deployment = await GitHubDeployment.start(preview(sha('main-1'), { environment: 'production', preview: false }))
    await deployment.succeed({ environmentUrl: 'https://blog.example.com' })
    expect(github.state.repo(FULL_NAME).deployments.find((entry) => entry.id === deployment.id)).toMatchObject({
      environment: 'production',
      production_environment: true,
      transient_environment: false,
    })
  })

  it('deactivates a whole preview environment when its pull request closes', async () => {
    const a = await GitHubDeployment.start(preview(sha('pr12-a')))
    await a.succeed({})
    const b = await GitHubDeployment.start(preview(sha('pr12-b')))
    await b.succeed({})
    const stuck = await GitHubDeployment.start(preview(sha('pr12-c'))) // a cancelled run left it in_progress

    const deactivated = await deactivateEnvironment({
      client: clientFor(github),
      repo: REPO,
      environment: previewEnvironment(12),
    })

    expect(deactivated.sort()).toEqual([b.id, stuck.id].sort())
    for (const deployment of [a, b, stuck]) expect(github.state.latestState(FULL_NAME, deployment.id)).toBe('inactive')
  })

  it('explains a 403 as a missing `deployments: write` permission', async () => {
    github.state.setPermissions(ACTIONS_TOKEN, { deployments: 'read' })
    const error = (await GitHubDeployment.start(preview(sha('pr12-a'))).catch((caught: unknown) => caught)) as ActionError
    expect(error).toBeInstanceOf(ActionError)
    expect(error.message).toBe(
      "GitHub refused to create a deployment for environment 'pr-12 preview' (403 Resource not accessible by integration). GitHub accepts: deployments=write.",
    )
    expect(error.hint).toContain('`permissions: deployments: write`')
  })

  it('truncates a status description to the 140 characters GitHub accepts', async () => {
    const deployment = await GitHubDeployment.start(preview(sha('pr12-a')))
    await deployment.fail({ description: 'x'.repeat(300) })
    expect(github.state.statusesOf(FULL_NAME, deployment.id)[0]?.description).toHaveLength(140)
  })
})

describe('the stand-in rejects what GitHub rejects', () => {
  it('422 for a deployment status with an unknown state, reported as an ActionError', async () => {
    const deployment = await GitHubDeployment.start(preview(sha('pr12-a')))
    const attempt = setDeploymentStatus(
      { client: clientFor(github), repo: REPO, environment: 'pr-12 preview' },
      deployment.id,
      'done' as never,
    )
    await expect(attempt).rejects.toThrow(/422 Validation Failed; state is not included in the list/)
  })

  it('409 when required_contexts is omitted while checks are pending', async () => {
    github.state.repo(FULL_NAME).pendingContexts.push('ci/build')
    const client = clientFor(github)
    const error = (await client.rest.repos.createDeployment({ ...REPO, ref: 'main' }).catch((caught: unknown) => caught)) as {
      status: number
    }
    expect(error.status).toBe(409)
    // ...and our deployment, which passes required_contexts: [], is not held up.
    await expect(GitHubDeployment.start(preview(sha('pr12-a')))).resolves.toBeInstanceOf(GitHubDeployment)
  })

  it('422 for a ref GitHub does not know', async () => {
    const error = (await GitHubDeployment.start({ ...preview(sha('pr12-a')), sha: sha('never-pushed') }).catch(
      (caught: unknown) => caught,
    )) as ActionError
    expect(error.message).toMatch(/422 No ref found for: /)
  })

  it('401 with no token at all', async () => {
    const response = await fetch(`${github.url}/repos/octo/blog/deployments`)
    expect(response.status).toBe(401)
    expect(await response.json()).toMatchObject({ message: 'Requires authentication' })
  })
})
