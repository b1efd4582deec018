import { getOctokit } from '@actions/github'
import { ActionError, TimeoutError } from '../errors.js'
import type { Env } from './context.js'

/**
 * The one way to talk to the GitHub API: an Octokit from `@actions/github` (which honours the
 * runner's proxy settings), pointed at `GITHUB_API_URL` so GitHub Enterprise Server and the test
 * stand-in work, with a per-request timeout so a hung connection cannot eat the job's time.
 */
export type GitHubClient = ReturnType<typeof getOctokit>

export interface GitHubClientOptions {
  /** Usually the `github-token` input (default `${{ github.token }}`). */
  token: string | undefined
  /** The input the token came from, named in the error when it is missing. */
  tokenInput?: string
  /** API base URL; default `env.GITHUB_API_URL`, then https://api.github.com. */
  apiUrl?: string
  env?: Env
  /** Per request, including each page of a paginated listing. Default 30 s. */
  timeoutMs?: number
}

export const DEFAULT_GITHUB_TIMEOUT_MS = 30_000

export function createGitHubClient(options: GitHubClientOptions): GitHubClient {
  const tokenInput = options.tokenInput ?? 'github-token'
  const token = options.token?.trim()
  if (!token) {
    // Reporting is part of the job: silently skipping it would leave a green run with no
    // comment, deployment or status, so a missing token is an error, not a shrug.
    throw new ActionError('is empty, so the action cannot comment on the pull request or record the deployment on GitHub.', {
      input: tokenInput,
      hint: `Leave '${tokenInput}' unset to use the default \${{ github.token }}, or pass a token with the permissions this action needs.`,
    })
  }
  const env = options.env ?? process.env
  const baseUrl = (options.apiUrl || env.GITHUB_API_URL || 'https://api.github.com').replace(/\/+$/, '')
  // Only `baseUrl` is passed: passing `request` would replace @actions/github's proxy-aware fetch.
  const octokit = getOctokit(token, { baseUrl, userAgent: 'django-deploy-actions' })
  const timeoutMs = options.timeoutMs ?? DEFAULT_GITHUB_TIMEOUT_MS
  octokit.hook.wrap('request', async (request, requestOptions) => {
    const timeout = AbortSignal.timeout(timeoutMs)
    const callerSignal = requestOptions.request?.signal as AbortSignal | undefined
    const signal = callerSignal ? AbortSignal.any([callerSignal, timeout]) : timeout
    // Set on this very object: inner hooks (the auth hook) were bound to it and ignore the
    // argument passed to `request`. `request` itself is replaced, not mutated, because it may be
    // the client-wide defaults object shared by every later request.
    requestOptions.request = { ...requestOptions.request, signal }
    try {
      return await request(requestOptions)
    } catch (error) {
      if (timeout.aborted) {
        throw new TimeoutError(
          `GitHub API request ${requestOptions.method} ${requestOptions.url}`,
          timeoutMs / 1000,
          'GitHub may be slow or unreachable from this runner; re-run the job.',
        )
      }
      throw error
    }
  })
  return octokit
}
