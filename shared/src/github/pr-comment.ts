import { ActionError } from '../errors.js'
import { callGitHub } from './api-errors.js'
import type { GitHubClient } from './client.js'
import type { RepoRef } from './context.js'
import { isAuthoredBy, resolveTokenIdentity, type TokenIdentity } from './identity.js'
import { codeLink, link, text, urlLink } from './markdown.js'
import type { SecretRegistry } from './secrets.js'

/**
 * One sticky comment per pull request, per action and per app/site: created on the first run,
 * edited in place on later runs, left alone when nothing changed. Existing Netlify actions look
 * only at the first page of 30 comments and at anyone's comments, so long PRs got a new comment
 * on every push and a person's quoted marker could be overwritten. Here:
 *  - every page is read (100 per page, following GitHub's `Link` headers) until our comment is found;
 *  - a comment counts only if its body *starts with* our exact marker and its author is the
 *    token's identity (see identity.ts), so we only ever edit our own comments;
 *  - an identical body sends no request, so re-runs do not bump "edited" or notify anyone.
 * Two runs racing on the same PR could both create a comment; workflows should use
 * `concurrency: preview-${{ github.event.pull_request.number }}` (which deploys need anyway).
 */

/** `<!-- django-deploy:<action>:<key> -->`; the key is reduced to [A-Za-z0-9._-] so it cannot end the comment. */
export function commentMarker(action: string, key: string): string {
  const clean = (value: string): string =>
    value
      .replace(/[^A-Za-z0-9._-]+/g, '-')
      .replace(/-{2,}/g, '-')
      .replace(/^-|-$/g, '')
  const actionPart = clean(action)
  if (actionPart === '') throw new Error('commentMarker needs an action name')
  return `<!-- django-deploy:${actionPart}:${clean(key) || 'default'} -->`
}

export interface PreviewCommentContent {
  /** One line, e.g. "Preview of blog is ready" or "Preview of blog failed". Plain text. */
  title: string
  /** The preview URL, shown first and linked. */
  url?: string
  commit: { sha: string; url?: string }
  /** Further facts the action knows (pages, files uploaded, revision, duration). Plain text values. */
  facts?: Array<[label: string, value: string]>
  /** Warnings or findings worth a reviewer's attention. Plain text. */
  notes?: string[]
  /** The workflow run, for "Details". */
  runUrl?: string
}

/** The comment body (without the marker, which `upsertStickyComment` adds). */
export function renderPreviewComment(content: PreviewCommentContent): string {
  const lines = [`### ${text(content.title)}`, '']
  if (content.url) lines.push(`**${urlLink(content.url)}**`, '')
  const facts: Array<[string, string]> = [['Commit', codeLink(content.commit.sha.slice(0, 7), content.commit.url)]]
  for (const [label, value] of content.facts ?? []) facts.push([text(label), text(value)])
  for (const [label, value] of facts) lines.push(`- **${label}:** ${value}`)
  if (content.notes?.length) {
    lines.push('', '**Notes**', '')
    for (const note of content.notes) lines.push(`- ${text(note)}`)
  }
  if (content.runUrl) lines.push('', `<sub>${link('Workflow run', content.runUrl)}</sub>`)
  return lines.join('\n')
}

export interface StickyCommentOptions {
  client: GitHubClient
  repo: RepoRef
  /** The pull request (issue) number. */
  issueNumber: number
  /** Which action writes it, e.g. 'static'. */
  action: string
  /** Which app/site/service within that action, e.g. the Netlify site name. */
  key: string
  /** Markdown body; the marker is put in front of it. */
  body: string
  secrets: SecretRegistry
  /** Pin the author login to match; otherwise it is found out from the token (identity.ts). */
  commentAuthor?: string
  tokenInput?: string
}

export interface StickyCommentResult {
  outcome: 'created' | 'updated' | 'unchanged'
  id: number
  url: string
}

/** GitHub's limit on a comment body. */
const MAX_BODY = 65_536

export async function upsertStickyComment(options: StickyCommentOptions): Promise<StickyCommentResult> {
  return (await writeStickyComment(options, true)) as StickyCommentResult
}

/**
 * Edit the comment if there is one, never start one (undefined then): a note that a preview is
 * gone means nothing on a pull request that never had a preview comment.
 */
export async function updateStickyComment(options: StickyCommentOptions): Promise<StickyCommentResult | undefined> {
  return writeStickyComment(options, false)
}

async function writeStickyComment(options: StickyCommentOptions, create: boolean): Promise<StickyCommentResult | undefined> {
  const { client, repo, issueNumber } = options
  const marker = commentMarker(options.action, options.key)
  const body = `${marker}\n${options.body.trim()}\n`
  // Checked before any request: a refused comment must not half-happen.
  options.secrets.assertClean(body, `the comment on pull request #${issueNumber}`)
  if (body.length > MAX_BODY) {
    throw new ActionError(
      `The comment for pull request #${issueNumber} is ${body.length} characters; GitHub accepts at most ${MAX_BODY}.`,
      { hint: 'This is a bug in the action; please report it.' },
    )
  }
  const tokenInput = options.tokenInput
  const identity: TokenIdentity = options.commentAuthor
    ? { kind: 'login', login: options.commentAuthor }
    : await resolveTokenIdentity(client, tokenInput)

  const existing = await callGitHub(
    { what: `read the comments of pull request #${issueNumber}`, permission: 'pull-requests: read', tokenInput },
    () => findOwnComment(client, repo, issueNumber, marker, identity),
  )
  if (existing && normalise(existing.body) === normalise(body)) {
    return { outcome: 'unchanged', id: existing.id, url: existing.html_url }
  }
  if (existing) {
    const { data } = await callGitHub(
      { what: `update the preview comment on pull request #${issueNumber}`, permission: 'pull-requests: write', tokenInput },
      () => client.rest.issues.updateComment({ ...repo, comment_id: existing.id, body }),
    )
    return { outcome: 'updated', id: data.id, url: data.html_url }
  }
  if (!create) return undefined
  const { data } = await callGitHub(
    { what: `comment on pull request #${issueNumber}`, permission: 'pull-requests: write', tokenInput },
    () => client.rest.issues.createComment({ ...repo, issue_number: issueNumber, body }),
  )
  return { outcome: 'created', id: data.id, url: data.html_url }
}

interface FoundComment {
  id: number
  body: string
  html_url: string
}

async function findOwnComment(
  client: GitHubClient,
  repo: RepoRef,
  issueNumber: number,
  marker: string,
  identity: TokenIdentity,
): Promise<FoundComment | undefined> {
  const pages = client.paginate.iterator(client.rest.issues.listComments, { ...repo, issue_number: issueNumber, per_page: 100 })
  for await (const page of pages) {
    for (const comment of page.data) {
      const body = comment.body ?? ''
      // Oldest first: if an earlier bug left two, keep editing the first one.
      if (body.trimStart().startsWith(marker) && isAuthoredBy(comment.user, identity)) {
        return { id: comment.id, body, html_url: comment.html_url }
      }
    }
  }
  return undefined
}

/** GitHub may hand the body back with CRLF line ends; that is not a change worth an edit. */
function normalise(body: string): string {
  return body.replace(/\r\n/g, '\n').trim()
}
