import { ActionError } from '../errors.js'

/**
 * Turning GitHub API failures into errors a user can act on. A bare "HttpError: Resource not
 * accessible by integration" tells nobody that the workflow lacks `permissions: deployments: write`;
 * each call site says what it was doing and which permission it needs, and this maps the status.
 */

/** A `permissions:` entry a workflow can grant, as written in YAML. */
export type Permission = 'pull-requests: write' | 'pull-requests: read' | 'deployments: write' | 'deployments: read'

export interface GitHubCall {
  /** What we were doing, as the end of "GitHub refused to ...": "update the preview comment on #12". */
  what: string
  permission: Permission
  /** The token's input, named on 401. */
  tokenInput?: string
}

/** Run `fn`, translating an Octokit RequestError into an ActionError (timeouts pass through). */
export async function callGitHub<T>(call: GitHubCall, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn()
  } catch (error) {
    throw explainGitHubError(error, call)
  }
}

interface RequestErrorLike {
  status: number
  message: string
  response?: { headers?: Record<string, string | number | undefined>; data?: unknown }
}

export function explainGitHubError(error: unknown, call: GitHubCall): unknown {
  if (error instanceof ActionError || !isRequestError(error)) return error
  const status = error.status
  const message = apiMessage(error)
  const headers = error.response?.headers ?? {}
  const tokenInput = call.tokenInput ?? 'github-token'
  if (error.response === undefined) {
    // Octokit reports a failed connection as status 500 with no response; it is not GitHub's 500.
    return new ActionError(`Could not reach the GitHub API to ${call.what}: ${error.message}.`, {
      hint: "Check GITHUB_API_URL and the runner's network or proxy settings, then re-run the job.",
      cause: error,
    })
  }
  if (status === 401) {
    return new ActionError(`GitHub rejected the token (401 ${message}) while trying to ${call.what}.`, {
      input: tokenInput,
      hint: `The token is wrong or expired. The default \${{ github.token }} always works within its own repository; a personal or app token must be current.`,
      cause: error,
    })
  }
  if ((status === 403 || status === 429) && (String(headers['x-ratelimit-remaining']) === '0' || /rate limit/i.test(message))) {
    const reset = Number(headers['x-ratelimit-reset'])
    const when = Number.isFinite(reset) && reset > 0 ? ` It resets at ${new Date(reset * 1000).toISOString()}.` : ''
    return new ActionError(`GitHub's API rate limit was hit while trying to ${call.what}.${when}`, {
      hint: 'Re-run the job later, or use a token with its own rate limit.',
      cause: error,
    })
  }
  if (status === 403) {
    const accepted = headers['x-accepted-github-permissions']
    return new ActionError(
      `GitHub refused to ${call.what} (403 ${message}).${accepted ? ` GitHub accepts: ${String(accepted)}.` : ''}`,
      {
        hint:
          `The workflow needs \`permissions: ${call.permission}\` (add it under \`permissions:\` of the job or workflow). ` +
          'Pull requests from forks always get a read-only token: deploy them from a `workflow_run` workflow instead.',
        cause: error,
      },
    )
  }
  if (status === 404) {
    return new ActionError(`GitHub found nothing to ${call.what} (404 ${message}).`, {
      hint: `Check the repository and number. GitHub also answers 404 when the token cannot see the repository: a token from another repository needs access to this one, and \`permissions: ${call.permission}\` must be granted.`,
      cause: error,
    })
  }
  if (status === 422) {
    return new ActionError(`GitHub rejected the request to ${call.what} (422 ${message}).`, {
      hint: 'This is most likely a bug in the action; please report it with this message.',
      cause: error,
    })
  }
  if (status >= 500) {
    return new ActionError(`GitHub had an internal error (${status}) while trying to ${call.what}.`, {
      hint: 'This is usually temporary (see https://www.githubstatus.com); re-run the job.',
      cause: error,
    })
  }
  return new ActionError(`GitHub answered ${status} (${message}) while trying to ${call.what}.`, { cause: error })
}

function isRequestError(error: unknown): error is RequestErrorLike {
  return error instanceof Error && typeof (error as Partial<RequestErrorLike>).status === 'number'
}

/** GitHub's own `message` (plus validation `errors`), without Octokit's appended docs URL. */
function apiMessage(error: RequestErrorLike): string {
  const data = error.response?.data
  if (typeof data === 'object' && data !== null && 'message' in data) {
    const body = data as { message: unknown; errors?: unknown }
    const details = Array.isArray(body.errors)
      ? body.errors.map((item) =>
          typeof item === 'object' && item !== null && 'message' in item ? String(item.message) : JSON.stringify(item),
        )
      : []
    return [String(body.message), ...details].join('; ')
  }
  return error.message
}
