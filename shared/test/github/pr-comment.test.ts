import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { ActionError } from '../../src/errors.js'
import { createGitHubClient } from '../../src/github/client.js'
import {
  commentMarker,
  renderPreviewComment,
  updateStickyComment,
  upsertStickyComment,
  type StickyCommentOptions,
} from '../../src/github/pr-comment.js'
import type { GitHubApiStandin } from '../../../test/standins/github-api/server.js'
import { ACTIONS_BOT, sha } from '../../../test/standins/github-api/state.js'
import {
  ACTIONS_TOKEN,
  clientFor,
  FULL_NAME,
  HUMAN,
  OTHER_BOT,
  PERSONAL_TOKEN,
  DEPLOYER,
  quietSecrets,
  REPO,
  startStandin,
} from './support.js'

let github: GitHubApiStandin

beforeEach(async () => {
  github = await startStandin()
  github.state.addPullRequest(FULL_NAME, { number: 12, headSha: sha('pr12'), headRef: 'new-theme' })
})
afterEach(async () => {
  await github.close()
})

function options(body: string, overrides: Partial<StickyCommentOptions> = {}): StickyCommentOptions {
  return {
    client: clientFor(github),
    repo: REPO,
    issueNumber: 12,
    action: 'static',
    key: 'blog',
    body,
    secrets: quietSecrets().secrets,
    ...overrides,
  }
}

const MARKER = '<!-- django-deploy:static:blog -->'

describe('updateStickyComment', () => {
  it('edits our comment when there is one, and starts none when there is not', async () => {
    github.state.addComment(FULL_NAME, 12, 'a human comment', HUMAN)
    expect(await updateStickyComment(options('Preview removed'))).toBeUndefined()
    expect(github.writes()).toEqual([])
    expect(github.state.comments(FULL_NAME, 12)).toHaveLength(1)

    const created = await upsertStickyComment(options('Preview at https://pr-12--blog.example.app'))
    const updated = await updateStickyComment(options('Preview removed'))
    expect(updated).toMatchObject({ outcome: 'updated', id: created.id })
    expect(github.state.comments(FULL_NAME, 12).map((comment) => comment.body)).toEqual([
      'a human comment',
      `${MARKER}\nPreview removed\n`,
    ])
  })
})

describe('upsertStickyComment', () => {
  it('creates the comment once, then edits that same comment on later runs', async () => {
    const first = await upsertStickyComment(options('Preview at https://pr-12--blog.example.app (commit aaaaaaa)'))
    expect(first.outcome).toBe('created')
    const second = await upsertStickyComment(options('Preview at https://pr-12--blog.example.app (commit bbbbbbb)'))
    const third = await upsertStickyComment(options('Preview at https://pr-12--blog.example.app (commit ccccccc)'))
    expect(second).toMatchObject({ outcome: 'updated', id: first.id })
    expect(third).toMatchObject({ outcome: 'updated', id: first.id })

    const comments = github.state.comments(FULL_NAME, 12)
    expect(comments).toHaveLength(1)
    expect(comments[0]?.body).toBe(`${MARKER}\nPreview at https://pr-12--blog.example.app (commit ccccccc)\n`)
    expect(comments[0]?.user.login).toBe(ACTIONS_BOT.login)
    expect(github.writes().map((request) => `${request.method} ${request.path}`)).toEqual([
      'POST /repos/octo/blog/issues/12/comments',
      `PATCH /repos/octo/blog/issues/comments/${first.id}`,
      `PATCH /repos/octo/blog/issues/comments/${first.id}`,
    ])
  })

  it('sends no write at all when the body is unchanged', async () => {
    const first = await upsertStickyComment(options('Same body'))
    const writesBefore = github.writes().length
    const again = await upsertStickyComment(options('Same body'))
    expect(again).toEqual({ outcome: 'unchanged', id: first.id, url: first.url })
    expect(github.writes()).toHaveLength(writesBefore)
  })

  it('finds its comment on page 3 of 250 comments by following every page', async () => {
    for (let index = 0; index < 220; index++)
      github.state.addComment(FULL_NAME, 12, `comment ${index}`, index % 2 ? HUMAN : OTHER_BOT)
    const ours = github.state.addComment(FULL_NAME, 12, `${MARKER}\nold preview`, ACTIONS_BOT)
    for (let index = 0; index < 29; index++) github.state.addComment(FULL_NAME, 12, `later ${index}`, HUMAN)
    expect(github.state.comments(FULL_NAME, 12)).toHaveLength(250)

    const result = await upsertStickyComment(options('new preview'))

    expect(result).toMatchObject({ outcome: 'updated', id: ours.id })
    expect(github.state.comments(FULL_NAME, 12)).toHaveLength(250)
    const listings = github.requests.filter((request) => request.method === 'GET' && request.path.endsWith('/issues/12/comments'))
    expect(listings.map((request) => [request.query.page ?? '1', request.query.per_page])).toEqual([
      ['1', '100'],
      ['2', '100'],
      ['3', '100'],
    ])
  })

  it('never edits a person’s or another bot’s comment that carries a look-alike marker', async () => {
    const quoted = github.state.addComment(FULL_NAME, 12, `${MARKER}\nI copied your marker`, HUMAN)
    const otherBot = github.state.addComment(FULL_NAME, 12, `${MARKER}\nanother app's comment`, OTHER_BOT)
    const otherAction = github.state.addComment(FULL_NAME, 12, '<!-- django-deploy:static:blog-2 -->\nother site', ACTIONS_BOT)
    const mentions = github.state.addComment(FULL_NAME, 12, `see ${MARKER} above`, ACTIONS_BOT)

    const result = await upsertStickyComment(options('preview body'))

    expect(result.outcome).toBe('created')
    expect(github.state.comments(FULL_NAME, 12).find((comment) => comment.id === quoted.id)?.body).toBe(
      `${MARKER}\nI copied your marker`,
    )
    expect(github.state.comments(FULL_NAME, 12).find((comment) => comment.id === otherBot.id)?.body).toContain(
      "another app's comment",
    )
    expect(github.state.comments(FULL_NAME, 12).find((comment) => comment.id === otherAction.id)?.body).toContain('other site')
    expect(github.state.comments(FULL_NAME, 12).find((comment) => comment.id === mentions.id)?.body).toBe(`see ${MARKER} above`)
    expect(github.writes().filter((request) => request.method === 'PATCH')).toEqual([])
  })

  it('with a personal token, matches the token’s own login and not the bot', async () => {
    const botComment = github.state.addComment(FULL_NAME, 12, `${MARKER}\nfrom the bot`, ACTIONS_BOT)
    const mine = github.state.addComment(FULL_NAME, 12, `${MARKER}\nfrom deployer`, DEPLOYER)

    const result = await upsertStickyComment(options('updated by deployer', { client: clientFor(github, PERSONAL_TOKEN) }))

    expect(result).toMatchObject({ outcome: 'updated', id: mine.id })
    expect(github.state.comments(FULL_NAME, 12).find((comment) => comment.id === botComment.id)?.body).toContain('from the bot')
  })

  it('asks GraphQL who the GITHUB_TOKEN is (REST /user refuses installation tokens) and asks only once', async () => {
    const client = clientFor(github)
    await upsertStickyComment(options('one', { client }))
    await upsertStickyComment(options('two', { client }))
    const identityLookups = github.requests.filter((request) => request.path === '/graphql')
    expect(identityLookups).toHaveLength(1)
    expect(identityLookups[0]?.body).toEqual({ query: 'query { viewer { login } }' })
  })

  it('when the identity is unknowable, still edits only bot comments, never a person’s', async () => {
    github.state.graphqlAvailable = false
    const quoted = github.state.addComment(FULL_NAME, 12, `${MARKER}\nI copied your marker`, HUMAN)
    const ours = github.state.addComment(FULL_NAME, 12, `${MARKER}\nold`, ACTIONS_BOT)
    const result = await upsertStickyComment(options('new'))
    expect(result).toMatchObject({ outcome: 'updated', id: ours.id })
    expect(github.state.comments(FULL_NAME, 12).find((comment) => comment.id === quoted.id)?.body).toContain('I copied')
  })

  it('uses an explicitly pinned author login', async () => {
    const other = github.state.addComment(FULL_NAME, 12, `${MARKER}\nother bot`, OTHER_BOT)
    const result = await upsertStickyComment(options('pinned', { commentAuthor: 'netlify[bot]' }))
    expect(result).toMatchObject({ outcome: 'updated', id: other.id })
    expect(github.requests.some((request) => request.path === '/graphql')).toBe(false)
  })

  it('keeps one comment per action and key', async () => {
    await upsertStickyComment(options('blog preview'))
    await upsertStickyComment(options('docs preview', { key: 'docs' }))
    await upsertStickyComment(options('dokku preview', { action: 'dokku' }))
    await upsertStickyComment(options('blog preview v2'))
    const bodies = github.state.comments(FULL_NAME, 12).map((comment) => comment.body.split('\n')[0])
    expect(bodies).toEqual([MARKER, '<!-- django-deploy:static:docs -->', '<!-- django-deploy:dokku:blog -->'])
  })

  it('refuses a body that contains a registered secret, before any request', async () => {
    const { secrets } = quietSecrets()
    secrets.add('nfp_supersecretnetlifytoken')
    const attempt = upsertStickyComment(options('token nfp_supersecretnetlifytoken leaked', { secrets }))
    await expect(attempt).rejects.toThrow(/Refusing to write the comment on pull request #12: it contains the value of a secret/)
    await expect(attempt).rejects.not.toThrow(/nfp_supersecret/)
    expect(github.requests).toEqual([])
  })

  it('names the github-token input when there is no token', () => {
    let caught: unknown
    try {
      createGitHubClient({ token: '', apiUrl: github.url })
    } catch (error) {
      caught = error
    }
    expect(caught).toBeInstanceOf(ActionError)
    expect((caught as ActionError).input).toBe('github-token')
    expect((caught as ActionError).describe()).toMatch(/^Input 'github-token': is empty/)
  })

  it('explains a 403 as a missing `pull-requests: write` permission', async () => {
    github.state.setPermissions(ACTIONS_TOKEN, { pull_requests: 'read', issues: 'read' })
    const attempt = upsertStickyComment(options('body'))
    await expect(attempt).rejects.toBeInstanceOf(ActionError)
    await expect(attempt).rejects.toThrow(
      /GitHub refused to comment on pull request #12 \(403 Resource not accessible by integration\)/,
    )
    const error = (await attempt.catch((caught: unknown) => caught)) as ActionError
    expect(error.hint).toContain('`permissions: pull-requests: write`')
    expect(github.state.comments(FULL_NAME, 12)).toEqual([])
  })

  it('explains a wrong token as a 401 naming the input', async () => {
    const attempt = upsertStickyComment(
      options('body', { client: createGitHubClient({ token: 'ghs_wrong', apiUrl: github.url }) }),
    )
    const error = (await attempt.catch((caught: unknown) => caught)) as ActionError
    expect(error).toBeInstanceOf(ActionError)
    expect(error.input).toBe('github-token')
    expect(error.message).toMatch(/401 Bad credentials/)
  })

  it('gives a 404 hint for a pull request that does not exist', async () => {
    const attempt = upsertStickyComment(options('body', { issueNumber: 999 }))
    await expect(attempt).rejects.toThrow(/GitHub found nothing to read the comments of pull request #999 \(404 Not Found\)/)
  })
})

describe('renderPreviewComment', () => {
  it('shows the URL, commit and facts, escaping what the action passes in', () => {
    const body = renderPreviewComment({
      title: 'Preview of blog is ready',
      url: 'https://pr-12--blog.example.app/',
      commit: {
        sha: '4444444444444444444444444444444444444444',
        url: 'https://github.com/octo/blog/commit/4444444444444444444444444444444444444444',
      },
      facts: [
        ['Pages', '42'],
        ['Site', '<img src=x onerror=alert(1)> | @octo/team'],
      ],
      notes: ['3 links are broken'],
      runUrl: 'https://github.com/octo/blog/actions/runs/7',
    })
    expect(body).toContain('**[https://pr-12--blog.example.app/](https://pr-12--blog.example.app/)**')
    expect(body).toContain(
      '- **Commit:** [`4444444`](https://github.com/octo/blog/commit/4444444444444444444444444444444444444444)',
    )
    expect(body).toContain('- **Pages:** 42')
    expect(body).not.toContain('<img')
    expect(body).toContain('&lt;img src=x onerror=alert(1)&gt; \\| @\u2060octo/team')
    expect(body).toContain('- 3 links are broken')
    expect(body).toContain('[Workflow run](https://github.com/octo/blog/actions/runs/7)')
  })

  it('builds a marker that a key cannot break out of', () => {
    expect(commentMarker('static', 'blog')).toBe('<!-- django-deploy:static:blog -->')
    expect(commentMarker('static', 'a --> <script>')).toBe('<!-- django-deploy:static:a-script -->')
    expect(commentMarker('static', '')).toBe('<!-- django-deploy:static:default -->')
  })
})
