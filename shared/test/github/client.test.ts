import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { ActionError, TimeoutError } from '../../src/errors.js'
import { callGitHub } from '../../src/github/api-errors.js'
import { createGitHubClient } from '../../src/github/client.js'
import { GitHubDeployment } from '../../src/github/deployments.js'
import { upsertStickyComment } from '../../src/github/pr-comment.js'
import type { GitHubApiStandin } from '../../../test/standins/github-api/server.js'
import { sha } from '../../../test/standins/github-api/state.js'
import { ACTIONS_TOKEN, clientFor, FULL_NAME, quietSecrets, REPO, startStandin } from './support.js'

let github: GitHubApiStandin

beforeEach(async () => {
  github = await startStandin()
  github.state.addPullRequest(FULL_NAME, { number: 12, headSha: sha('pr12'), headRef: 'new-theme' })
})
afterEach(async () => {
  await github.close()
})

const comment = (client = clientFor(github)) =>
  upsertStickyComment({
    client,
    repo: REPO,
    issueNumber: 12,
    action: 'static',
    key: 'blog',
    body: 'hello',
    secrets: quietSecrets().secrets,
    commentAuthor: 'github-actions[bot]',
  })

describe('createGitHubClient', () => {
  it('takes the API URL from GITHUB_API_URL in the env it is given (GHES, the stand-in)', async () => {
    const client = createGitHubClient({ token: ACTIONS_TOKEN, env: { GITHUB_API_URL: `${github.url}/` } })
    await expect(comment(client)).resolves.toMatchObject({ outcome: 'created' })
    expect(github.requests[0]?.token).toBe(ACTIONS_TOKEN)
  })

  it('gives up on a request that hangs, with a TimeoutError', async () => {
    github.inject({ method: 'GET', path: /\/comments$/, reply: 'hang' })
    const attempt = comment(clientFor(github, ACTIONS_TOKEN, 200))
    await expect(attempt).rejects.toBeInstanceOf(TimeoutError)
    await expect(attempt).rejects.toThrow(
      /GitHub API request GET .*\/repos\/octo\/blog\/issues\/12\/comments.* did not finish within 0.2 s/,
    )
  })

  it('gives each request its own time budget (an expired one does not poison the client)', async () => {
    const client = clientFor(github, ACTIONS_TOKEN, 300)
    github.inject({ method: 'GET', path: /\/comments$/, reply: 'hang', times: 1 })
    await expect(comment(client)).rejects.toBeInstanceOf(TimeoutError)
    await new Promise((resolve) => setTimeout(resolve, 400))
    await expect(comment(client)).resolves.toMatchObject({ outcome: 'created' })
  })

  it('says GitHub could not be reached when the connection fails', async () => {
    const closed = createServer()
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve))
    const port = (closed.address() as AddressInfo).port
    await new Promise<void>((resolve) => closed.close(() => resolve()))
    const attempt = comment(createGitHubClient({ token: ACTIONS_TOKEN, apiUrl: `http://127.0.0.1:${port}` }))
    await expect(attempt).rejects.toThrow(/^Could not reach the GitHub API to read the comments of pull request #12/)
  })

  it('calls a 502 GitHub’s problem and suggests a re-run', async () => {
    github.inject({ method: 'POST', path: /\/deployments$/, reply: { status: 502, body: { message: 'Server Error' } }, times: 1 })
    github.state.repo(FULL_NAME).knownShas.add(sha('x'))
    const error = (await GitHubDeployment.start({
      client: clientFor(github),
      repo: REPO,
      sha: sha('x'),
      environment: 'production',
      preview: false,
    }).catch((caught: unknown) => caught)) as ActionError
    expect(error.message).toBe(
      "GitHub had an internal error (502) while trying to create a deployment for environment 'production'.",
    )
    expect(error.hint).toMatch(/re-run the job/)
  })

  it('recognises a rate limit instead of blaming permissions', async () => {
    github.inject({
      method: 'GET',
      path: /\/comments$/,
      reply: {
        status: 403,
        body: { message: 'API rate limit exceeded for installation ID 1.' },
        headers: { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': '1767225600' },
      },
    })
    const error = (await comment().catch((caught: unknown) => caught)) as ActionError
    expect(error.message).toBe(
      "GitHub's API rate limit was hit while trying to read the comments of pull request #12. It resets at 2026-01-01T00:00:00.000Z.",
    )
    expect(error.hint).not.toMatch(/permissions/)
  })

  it('passes our own errors through unchanged', async () => {
    const own = new ActionError('mine')
    await expect(callGitHub({ what: 'x', permission: 'deployments: write' }, () => Promise.reject(own))).rejects.toBe(own)
  })
})
