import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { GitHubApiStandin } from '../../../test/standins/github-api/server.js'
import { sha } from '../../../test/standins/github-api/state.js'
import { ACTIONS_TOKEN, FULL_NAME, HUMAN, startStandin } from './support.js'

/**
 * The GitHub API stand-in is only worth something if it refuses what GitHub refuses; these pin
 * that behaviour with plain `fetch`, independent of our client code.
 */
let github: GitHubApiStandin

beforeEach(async () => {
  github = await startStandin()
  github.state.addPullRequest(FULL_NAME, { number: 12, headSha: sha('pr12'), headRef: 'new-theme' })
})
afterEach(async () => {
  await github.close()
})

/** `token: ''` sends no Authorization header. */
function call(method: string, path: string, body?: unknown, token = ACTIONS_TOKEN): Promise<Response> {
  const headers: Record<string, string> = { accept: 'application/vnd.github+json' }
  if (token) headers.authorization = `token ${token}`
  if (body !== undefined) headers['content-type'] = 'application/json'
  return fetch(`${github.url}${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  })
}

describe('GitHub API stand-in', () => {
  it('401 without a token and with a wrong one', async () => {
    expect((await call('GET', '/repos/octo/blog/issues/12/comments', undefined, '')).status).toBe(401)
    const wrong = await call('GET', '/repos/octo/blog/issues/12/comments', undefined, 'ghs_nope')
    expect(wrong.status).toBe(401)
    expect(await wrong.json()).toMatchObject({ message: 'Bad credentials' })
  })

  it('404 for an unknown repository, issue or route', async () => {
    expect((await call('GET', '/repos/octo/nope/issues/12/comments')).status).toBe(404)
    expect((await call('GET', '/repos/octo/blog/issues/99/comments')).status).toBe(404)
    expect((await call('DELETE', '/repos/octo/blog/issues/comments/1')).status).toBe(404)
  })

  it('403 with X-Accepted-GitHub-Permissions when the token lacks the permission', async () => {
    github.state.setPermissions(ACTIONS_TOKEN, { deployments: 'read' })
    const response = await call('POST', '/repos/octo/blog/deployments', { ref: 'main', required_contexts: [] })
    expect(response.status).toBe(403)
    expect(response.headers.get('x-accepted-github-permissions')).toBe('deployments=write')
    expect(await response.json()).toMatchObject({ message: 'Resource not accessible by integration' })
  })

  it('paginates with Link headers and caps per_page at 100', async () => {
    for (let index = 0; index < 150; index++) github.state.addComment(FULL_NAME, 12, `c${index}`, HUMAN)
    const first = await call('GET', '/repos/octo/blog/issues/12/comments?per_page=500')
    expect(((await first.json()) as unknown[]).length).toBe(100)
    expect(first.headers.get('link')).toBe(
      `<${github.url}/repos/octo/blog/issues/12/comments?per_page=100&page=2>; rel="next", <${github.url}/repos/octo/blog/issues/12/comments?per_page=100&page=2>; rel="last"`,
    )
    const fallback = await call('GET', '/repos/octo/blog/issues/12/comments')
    expect(((await fallback.json()) as unknown[]).length).toBe(30)
    const last = await call('GET', '/repos/octo/blog/issues/12/comments?per_page=100&page=2')
    expect(((await last.json()) as Array<{ body: string }>).map((comment) => comment.body)[49]).toBe('c149')
    expect(last.headers.get('link')).toContain('rel="prev"')
    expect(last.headers.get('link')).not.toContain('rel="next"')
  })

  it('422 for a missing or oversized comment body, 400 for broken JSON', async () => {
    expect((await call('POST', '/repos/octo/blog/issues/12/comments', {})).status).toBe(422)
    expect((await call('POST', '/repos/octo/blog/issues/12/comments', { body: 'x'.repeat(65_537) })).status).toBe(422)
    expect((await call('POST', '/repos/octo/blog/issues/12/comments', '{"body": ')).status).toBe(400)
    expect(github.state.comments(FULL_NAME, 12)).toEqual([])
  })

  it('422 for deployment and status bodies GitHub rejects', async () => {
    expect((await call('POST', '/repos/octo/blog/deployments', { environment: 'production' })).status).toBe(422)
    expect((await call('POST', '/repos/octo/blog/deployments', { ref: 'main', transient_environment: 'yes' })).status).toBe(422)
    const created = await call('POST', '/repos/octo/blog/deployments', { ref: 'main', required_contexts: [] })
    expect(created.status).toBe(201)
    const { id } = (await created.json()) as { id: number }
    const unknownState = await call('POST', `/repos/octo/blog/deployments/${id}/statuses`, { state: 'done' })
    expect(unknownState.status).toBe(422)
    expect(await unknownState.json()).toMatchObject({
      message: 'Validation Failed',
      errors: [{ resource: 'DeploymentStatus', field: 'state', message: 'state is not included in the list' }],
    })
    expect(
      (await call('POST', `/repos/octo/blog/deployments/${id}/statuses`, { state: 'success', description: 'x'.repeat(141) }))
        .status,
    ).toBe(422)
    expect((await call('POST', `/repos/octo/blog/deployments/${id + 999}/statuses`, { state: 'success' })).status).toBe(404)
  })

  it('applies auto_inactive only as documented: prior, non-transient, non-production, successful', async () => {
    const deploy = async (environment: string, transient: boolean): Promise<number> => {
      const response = await call('POST', '/repos/octo/blog/deployments', {
        ref: 'main',
        environment,
        required_contexts: [],
        transient_environment: transient,
        production_environment: false,
      })
      const { id } = (await response.json()) as { id: number }
      await call('POST', `/repos/octo/blog/deployments/${id}/statuses`, { state: 'success' })
      return id
    }
    const staging1 = await deploy('staging', false)
    await deploy('staging', false)
    const preview1 = await deploy('pr-1 preview', true)
    await deploy('pr-1 preview', true)
    expect(github.state.latestState(FULL_NAME, staging1)).toBe('inactive')
    expect(github.state.latestState(FULL_NAME, preview1)).toBe('success')
  })
})
