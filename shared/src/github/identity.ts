import { ActionError } from '../errors.js'
import { explainGitHubError } from './api-errors.js'
import type { GitHubClient } from './client.js'

/**
 * Who the token acts as, so the sticky comment only ever edits comments we wrote.
 *
 * GraphQL `viewer { login }` answers for every kind of token: a person's login for a personal
 * token, `github-actions[bot]` for the workflow's GITHUB_TOKEN, `<app>[bot]` for an app's
 * installation token (REST `GET /user` refuses the last two with 403). If the query is not
 * available (an old GitHub Enterprise Server, a proxy that blocks it), the identity is not
 * knowable and we accept authors of type `Bot` only: a person's comment that copies our marker
 * is still never edited. Pass the login explicitly (`commentAuthor`) to pin it.
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
    const result = await client.graphql<{ viewer?: { login?: unknown } }>('query { viewer { login } }')
    const login = result.viewer?.login
    return typeof login === 'string' && login !== '' ? { kind: 'login', login } : { kind: 'bot' }
  } catch (error) {
    const status = (error as { status?: unknown }).status
    // A bad token fails here first; say so now rather than after listing comments.
    if (status === 401) {
      const explained = explainGitHubError(error, {
        what: 'find out who the token belongs to',
        permission: 'pull-requests: write',
        tokenInput,
      })
      throw explained instanceof ActionError ? explained : error
    }
    return { kind: 'bot' }
  }
}

export function isAuthoredBy(author: CommentAuthor | null | undefined, identity: TokenIdentity): boolean {
  if (!author) return false
  if (identity.kind === 'login') return author.login?.toLowerCase() === identity.login.toLowerCase()
  return author.type === 'Bot'
}
