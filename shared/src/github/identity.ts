import { ActionError } from '../errors.js'
import { explainGitHubError } from './api-errors.js'
import type { GitHubClient } from './client.js'

/**
 * Who the token acts as, so the sticky comment only ever edits comments we wrote.
 *
 * - A personal or user token: `GET /user` answers with the login; we match it exactly.
 * - The workflow's GITHUB_TOKEN or a GitHub App installation token: `GET /user` answers 403
 *   ("Resource not accessible by integration") and the login is not knowable up front (it is
 *   `github-actions[bot]` for GITHUB_TOKEN, `<app>[bot]` for an app). We then accept authors of
 *   type `Bot` only: a person's comment that copies our marker is never edited. Pass the login
 *   explicitly (`commentAuthor`) to pin it.
 */
export type TokenIdentity = { kind: 'login'; login: string } | { kind: 'bot' }

export interface CommentAuthor {
  login?: string
  type?: string
}

const cache = new WeakMap<GitHubClient, Promise<TokenIdentity>>()

export function resolveTokenIdentity(client: GitHubClient, tokenInput = 'github-token'): Promise<TokenIdentity> {
  let identity = cache.get(client)
  if (!identity) {
    identity = lookUp(client, tokenInput)
    cache.set(client, identity)
    // A failed look-up must not be remembered; the next call should try again.
    identity.catch(() => cache.delete(client))
  }
  return identity
}

async function lookUp(client: GitHubClient, tokenInput: string): Promise<TokenIdentity> {
  try {
    const { data } = await client.rest.users.getAuthenticated()
    return { kind: 'login', login: data.login }
  } catch (error) {
    const status = (error as { status?: unknown }).status
    if (status === 403) return { kind: 'bot' }
    const explained = explainGitHubError(error, { what: 'find out who the token belongs to', permission: 'pull-requests: write', tokenInput })
    throw explained instanceof ActionError ? explained : error
  }
}

export function isAuthoredBy(author: CommentAuthor | null | undefined, identity: TokenIdentity): boolean {
  if (!author) return false
  if (identity.kind === 'login') return author.login?.toLowerCase() === identity.login.toLowerCase()
  return author.type === 'Bot'
}
