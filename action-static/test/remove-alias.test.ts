import { describe, expect, it } from 'vitest'
import type { EventContext, PullRequestInfo } from '@django-deploy/shared/github'
import { renderPlan } from '@django-deploy/shared/plan'
import { inputSourceFrom } from '@django-deploy/shared/inputs'
import { readInputs } from '../src/inputs.js'
import { selectAliasDeploys } from '../src/netlify/remove-alias.js'
import type { NetlifyDeploy } from '../src/netlify/types.js'
import { buildRemovalPlan } from '../src/plan.js'
import { closedPullRequest, decideTarget } from '../src/target.js'

const deploy = (id: string, fields: Partial<NetlifyDeploy> = {}): NetlifyDeploy => ({
  id,
  state: 'ready',
  branch: 'pr-7',
  context: 'branch-deploy',
  created_at: '2026-01-01T00:00:00Z',
  ...fields,
})

describe('selectAliasDeploys: which deploys a closed pull request removes', () => {
  const site = { published_deploy: { id: 'prod-live' } }

  it('takes every deploy of the alias, whatever its state, oldest first', () => {
    const deploys = [
      deploy('third', { created_at: '2026-01-03T00:00:00Z' }),
      deploy('failed', { state: 'error', created_at: '2026-01-02T12:00:00Z' }),
      deploy('first', { created_at: '2026-01-01T00:00:00Z' }),
      deploy('second', { created_at: '2026-01-02T00:00:00Z' }),
    ]
    const selection = selectAliasDeploys(deploys, 'pr-7', site)
    expect(selection.remove.map((entry) => entry.id)).toEqual(['first', 'second', 'failed', 'third'])
    expect(selection.keep).toEqual([])
  })

  it('leaves other branches, production and drafts alone, even when the server ignored the branch filter', () => {
    const deploys = [
      deploy('mine'),
      deploy('other-pr', { branch: 'pr-70' }),
      deploy('prefix', { branch: 'pr-7-docs' }),
      deploy('upper', { branch: 'PR-7' }),
      deploy('production', { branch: null, context: 'production' }),
      deploy('draft', { branch: null, context: 'deploy-preview', draft: true }),
      deploy('no-branch-field', { branch: undefined }),
    ]
    expect(selectAliasDeploys(deploys, 'pr-7', site).remove.map((entry) => entry.id)).toEqual(['mine'])
  })

  it("keeps the site's published deploy and production-context deploys of the same branch name, saying why", () => {
    const deploys = [
      deploy('prod-live', { context: 'production' }),
      deploy('rollback', { context: 'production' }),
      deploy('published-alias'),
      deploy('preview'),
    ]
    const selection = selectAliasDeploys(deploys, 'pr-7', { published_deploy: { id: 'published-alias' } })
    expect(selection.remove.map((entry) => entry.id)).toEqual(['preview'])
    expect(selection.keep.map(({ deploy: kept, reason }) => [kept.id, reason])).toEqual([
      ['prod-live', expect.stringMatching(/production deploy/)],
      ['rollback', expect.stringMatching(/production deploy/)],
      ['published-alias', expect.stringMatching(/published production deploy/)],
    ])
  })

  it('counts a deploy once when pages overlap, and handles a site that never published', () => {
    const selection = selectAliasDeploys([deploy('a'), deploy('b'), deploy('a')], 'pr-7', { published_deploy: null })
    expect(selection.remove.map((entry) => entry.id)).toEqual(['a', 'b'])
    expect(selectAliasDeploys([], 'pr-7', site)).toEqual({ remove: [], keep: [] })
  })
})

function context(eventName: string, action: string | undefined, pullRequest?: Partial<PullRequestInfo>): EventContext {
  return {
    eventName,
    action,
    repo: { owner: 'octo', repo: 'blog' },
    repository: 'octo/blog',
    sha: 'a'.repeat(40),
    checkoutSha: 'b'.repeat(40),
    ref: 'refs/pull/7/merge',
    refName: 'new-theme',
    defaultBranch: 'main',
    onDefaultBranch: false,
    pullRequest: pullRequest
      ? {
          number: 7,
          headSha: 'a'.repeat(40),
          headRef: 'new-theme',
          headRepository: 'octo/blog',
          baseRef: 'main',
          baseRepository: 'octo/blog',
          fromFork: false,
          state: 'closed',
          merged: true,
          ...pullRequest,
        }
      : undefined,
    actor: 'octocat',
    runId: '1',
    runAttempt: '1',
    runUrl: 'https://github.com/octo/blog/actions/runs/1',
    serverUrl: 'https://github.com',
    apiUrl: 'https://api.github.com',
  }
}

const inputs = (values: Record<string, string> = {}) =>
  readInputs(
    inputSourceFrom({ provider: 'netlify', 'netlify-auth-token': 'nfp_x12345', 'netlify-site-name': 'blog', ...values }),
    () => {},
  )

describe('closedPullRequest: when a run removes the preview instead of building', () => {
  it('is the pull request on pull_request and pull_request_target with action closed and production auto', () => {
    expect(closedPullRequest(inputs(), context('pull_request', 'closed', {}))?.number).toBe(7)
    expect(closedPullRequest(inputs(), context('pull_request_target', 'closed', {}))?.number).toBe(7)
  })

  it('is nothing for other actions, other events, or an explicit production input', () => {
    expect(closedPullRequest(inputs(), context('pull_request', 'synchronize', {}))).toBeUndefined()
    expect(closedPullRequest(inputs(), context('pull_request_review', 'closed', {}))).toBeUndefined()
    expect(closedPullRequest(inputs(), context('push', undefined))).toBeUndefined()
    expect(closedPullRequest(inputs({ production: 'false' }), context('pull_request', 'closed', {}))).toBeUndefined()
    expect(closedPullRequest(inputs(), undefined)).toBeUndefined()
  })

  it('removes the alias the previews were deployed to: pr-N, or the sanitised alias input', () => {
    expect(decideTarget(inputs(), context('pull_request_target', 'closed', {}), undefined)).toMatchObject({
      target: { kind: 'alias', alias: 'pr-7' },
      environment: 'pr-7 preview',
    })
    expect(decideTarget(inputs({ alias: 'Docs/PR 7' }), context('pull_request_target', 'closed', {}), undefined)).toMatchObject({
      target: { kind: 'alias', alias: 'docs-pr-7' },
      environment: 'preview (docs-pr-7)',
    })
  })
})

describe('buildRemovalPlan', () => {
  const decision = {
    target: { kind: 'alias' as const, alias: 'pr-7' },
    environment: 'pr-7 preview',
    preview: true,
    reason: 'pull request #7',
  }
  const pullRequest = context('pull_request_target', 'closed', {}).pullRequest as PullRequestInfo

  it('lists every request a real run would make, and no build', () => {
    const text = renderPlan(buildRemovalPlan({ inputs: inputs(), decision, pullRequest, site: { name: 'blog' } }))
    expect(text).toContain('pull request #7 closed (merged)')
    expect(text).toContain('GET https://api.netlify.com/api/v1/sites?name=blog&filter=all')
    expect(text).toContain('GET /api/v1/sites/{site_id}/deploys?branch=pr-7&page=1&per_page=100')
    expect(text).toContain('DELETE /api/v1/sites/{site_id}/deploys/{deploy_id}')
    expect(text).toContain("Mark the GitHub deployments of 'pr-7 preview' inactive")
    expect(text).toContain('preview comment on pull request #7')
    expect(text).not.toMatch(/collectstatic|manage\.py|POST \/api\/v1\/sites\/\{site_id\}\/deploys/)
  })

  it('leaves out the GitHub steps that are turned off', () => {
    const text = renderPlan(
      buildRemovalPlan({
        inputs: inputs({ 'github-deployment': 'false', 'pr-comment': 'false' }),
        decision,
        pullRequest,
        site: { id: 'site-123' },
      }),
    )
    expect(text).toContain('GET https://api.netlify.com/api/v1/sites/site-123')
    expect(text).not.toMatch(/GitHub deployments|comment/)
  })
})
