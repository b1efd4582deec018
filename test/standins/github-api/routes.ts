import { paginate } from './pagination.js'
import { commentJson, deploymentJson, pullJson, statusJson } from './shapes.js'
import type { Deployment, Level, PermissionName, Repo, State, Token } from './state.js'

/**
 * The endpoints our GitHub reporting uses, and only those, each with the validation GitHub
 * applies. Anything else answers 404 like GitHub does for an unknown route.
 */
export interface Reply {
  status: number
  body?: unknown
  headers?: Record<string, string>
}

export interface RouteContext {
  state: State
  token: Token
  /** The full request URL (the stand-in's own origin), for building Link headers. */
  url: URL
  /** The stand-in's base URL, for URLs inside JSON. */
  api: string
  params: Record<string, string>
  body: unknown
  repo: Repo
}

export interface Route {
  method: 'GET' | 'POST' | 'PATCH'
  pattern: RegExp
  /** Any one of these names at `level` or higher is enough (PR comments accept issues or pull_requests). */
  permission?: { names: PermissionName[]; level: Exclude<Level, 'none'> }
  handle(context: RouteContext): Reply
}

const DOCS = 'https://docs.github.com/rest'
const DEPLOYMENT_STATES = ['error', 'failure', 'inactive', 'in_progress', 'queued', 'pending', 'success']
const MAX_COMMENT = 65_536

export function error(
  status: number,
  message: string,
  extra: Record<string, unknown> = {},
  headers?: Record<string, string>,
): Reply {
  return { status, body: { message, documentation_url: DOCS, status: String(status), ...extra }, headers }
}

/** 422 "Validation Failed" with GitHub's `errors` array. */
function invalid(resource: string, field: string, code: string, message?: string): Reply {
  return error(422, 'Validation Failed', { errors: [{ resource, field, code, ...(message ? { message } : {}) }] })
}

function list<T>(items: readonly T[], url: URL, toJson: (item: T) => object): Reply {
  const page = paginate(items, url)
  return { status: 200, body: page.items.map(toJson), headers: page.link ? { link: page.link } : undefined }
}

function object(body: unknown): Record<string, unknown> | undefined {
  return typeof body === 'object' && body !== null && !Array.isArray(body) ? (body as Record<string, unknown>) : undefined
}

const REPO = '/repos/(?<owner>[^/]+)/(?<name>[^/]+)'

export const routes: Route[] = [
  // Answered in server.ts: it depends on the token, not on a repository.
  { method: 'POST', pattern: /^\/graphql$/, handle: () => ({ status: 500 }) },
  {
    method: 'GET',
    pattern: new RegExp(`^${REPO}/issues/(?<number>\\d+)/comments$`),
    permission: { names: ['issues', 'pull_requests'], level: 'read' },
    handle: ({ repo, params, url, api }) => {
      const number = Number(params.number)
      const comments = repo.comments.get(number)
      if (!comments) return error(404, 'Not Found')
      return list(comments, url, (comment) => commentJson(repo, number, comment, api))
    },
  },
  {
    method: 'POST',
    pattern: new RegExp(`^${REPO}/issues/(?<number>\\d+)/comments$`),
    permission: { names: ['issues', 'pull_requests'], level: 'write' },
    handle: ({ state, repo, params, body, token, api }) => {
      const number = Number(params.number)
      if (!repo.comments.has(number)) return error(404, 'Not Found')
      const text = checkCommentBody(body)
      if (typeof text !== 'string') return text
      const comment = state.addComment(repo.fullName, number, text, token.user)
      return { status: 201, body: commentJson(repo, number, comment, api) }
    },
  },
  {
    method: 'PATCH',
    pattern: new RegExp(`^${REPO}/issues/comments/(?<id>\\d+)$`),
    permission: { names: ['issues', 'pull_requests'], level: 'write' },
    handle: ({ state, repo, params, body, api }) => {
      const id = Number(params.id)
      for (const [number, comments] of repo.comments) {
        const comment = comments.find((entry) => entry.id === id)
        if (!comment) continue
        const text = checkCommentBody(body)
        if (typeof text !== 'string') return text
        // Like GitHub, a token with write access may edit anyone's comment: not editing other
        // people's comments is the client's job, and the tests check that it does not.
        comment.body = text
        comment.updated_at = state.now()
        return { status: 200, body: commentJson(repo, number, comment, api) }
      }
      return error(404, 'Not Found')
    },
  },
  {
    method: 'GET',
    pattern: new RegExp(`^${REPO}/pulls$`),
    permission: { names: ['pull_requests'], level: 'read' },
    handle: ({ repo, url, api }) => {
      const stateFilter = url.searchParams.get('state') ?? 'open'
      if (!['open', 'closed', 'all'].includes(stateFilter)) return invalid('PullRequest', 'state', 'invalid')
      const head = url.searchParams.get('head')
      const base = url.searchParams.get('base')
      const pulls = repo.pulls
        .filter((pr) => stateFilter === 'all' || pr.state === stateFilter)
        .filter((pr) => {
          if (!head) return true
          const [owner, ref] = head.includes(':') ? head.split(':', 2) : [head, undefined]
          const headOwner = pr.headRepo?.split('/')[0] ?? ''
          return headOwner.toLowerCase() === owner?.toLowerCase() && (ref === undefined || pr.headRef === ref)
        })
        .filter((pr) => !base || pr.baseRef === base)
        .sort((a, b) => b.number - a.number)
      return list(pulls, url, (pr) => pullJson(repo, pr, api))
    },
  },
  {
    method: 'POST',
    pattern: new RegExp(`^${REPO}/deployments$`),
    permission: { names: ['deployments'], level: 'write' },
    handle: ({ state, repo, body, token, api }) => {
      const input = object(body)
      if (!input) return error(400, 'Problems parsing JSON')
      if (typeof input.ref !== 'string' || input.ref === '') return invalid('Deployment', 'ref', 'missing_field')
      const sha = resolveRef(repo, input.ref)
      if (!sha) return error(422, `No ref found for: ${input.ref}`)
      for (const field of ['task', 'environment'] as const) {
        if (input[field] !== undefined && typeof input[field] !== 'string')
          return error(422, `Invalid request.\n\nFor 'properties/${field}', ${JSON.stringify(input[field])} is not a string.`)
      }
      for (const field of ['auto_merge', 'transient_environment', 'production_environment'] as const) {
        if (input[field] !== undefined && typeof input[field] !== 'boolean')
          return error(422, `Invalid request.\n\nFor 'properties/${field}', ${JSON.stringify(input[field])} is not a boolean.`)
      }
      if (input.description !== undefined && input.description !== null && typeof input.description !== 'string')
        return error(
          422,
          `Invalid request.\n\nFor 'properties/description', ${JSON.stringify(input.description)} is not a string or null.`,
        )
      const contexts = input.required_contexts
      if (contexts !== undefined && (!Array.isArray(contexts) || contexts.some((entry) => typeof entry !== 'string'))) {
        return error(
          422,
          `Invalid request.\n\nFor 'properties/required_contexts', ${JSON.stringify(contexts)} is not an array of strings.`,
        )
      }
      // Omitted required_contexts means "all contexts must be green": GitHub refuses while any is pending.
      const required =
        contexts === undefined
          ? repo.pendingContexts
          : (contexts as string[]).filter((name) => repo.pendingContexts.includes(name))
      if (required.length > 0)
        return error(409, `Conflict: Commit status checks failed for ${input.ref}.`, {
          errors: required.map((context) => ({
            contexts: [{ context, state: 'pending' }],
            resource: 'Deployment',
            field: 'required_contexts',
            code: 'invalid',
          })),
        })
      const environment = (input.environment as string | undefined) ?? 'production'
      const deployment: Deployment = {
        id: state.id(),
        sha,
        ref: input.ref,
        task: (input.task as string | undefined) ?? 'deploy',
        environment,
        description: (input.description as string | null | undefined) ?? null,
        transient_environment: (input.transient_environment as boolean | undefined) ?? false,
        production_environment: (input.production_environment as boolean | undefined) ?? environment === 'production',
        payload: input.payload ?? {},
        creator: token.user,
        created_at: state.now(),
      }
      repo.deployments.push(deployment)
      return { status: 201, body: deploymentJson(repo, deployment, api) }
    },
  },
  {
    method: 'GET',
    pattern: new RegExp(`^${REPO}/deployments$`),
    permission: { names: ['deployments'], level: 'read' },
    handle: ({ repo, url, api }) => {
      const filters = ['sha', 'ref', 'task', 'environment'] as const
      const deployments = repo.deployments
        .filter((deployment) =>
          filters.every((name) => !url.searchParams.has(name) || deployment[name] === url.searchParams.get(name)),
        )
        .sort((a, b) => b.id - a.id)
      return list(deployments, url, (deployment) => deploymentJson(repo, deployment, api))
    },
  },
  {
    method: 'POST',
    pattern: new RegExp(`^${REPO}/deployments/(?<id>\\d+)/statuses$`),
    permission: { names: ['deployments'], level: 'write' },
    handle: (context) => createStatus(context),
  },
  {
    method: 'GET',
    pattern: new RegExp(`^${REPO}/deployments/(?<id>\\d+)/statuses$`),
    permission: { names: ['deployments'], level: 'read' },
    handle: ({ state, repo, params, url, api }) => {
      const id = Number(params.id)
      if (!repo.deployments.some((deployment) => deployment.id === id)) return error(404, 'Not Found')
      return list(state.statusesOf(repo.fullName, id), url, (status) => statusJson(repo, status, api))
    },
  },
]

/**
 * GraphQL: only `viewer { login }`, which works for every kind of token (REST `/user` does not).
 * Unknown queries get GraphQL's 200-with-`errors` answer, as GitHub gives for an unknown field.
 */
export function graphqlReply(state: State, token: Token, body: unknown): Reply {
  if (!state.graphqlAvailable) return error(404, 'Not Found')
  const query = object(body)?.query
  if (typeof query !== 'string') return error(400, 'Problems parsing JSON')
  if (/^\s*(query\s*)?\{\s*viewer\s*\{\s*login\s*\}\s*\}\s*$/.test(query))
    return { status: 200, body: { data: { viewer: { login: token.user.login } } } }
  return { status: 200, body: { errors: [{ message: 'The stand-in answers only `query { viewer { login } }`.' }] } }
}

function checkCommentBody(body: unknown): string | Reply {
  const input = object(body)
  if (!input) return error(400, 'Problems parsing JSON')
  if (input.body === undefined || input.body === null || input.body === '')
    return invalid('IssueComment', 'body', 'missing_field')
  if (typeof input.body !== 'string')
    return error(422, `Invalid request.\n\nFor 'properties/body', ${JSON.stringify(input.body)} is not a string.`)
  if (input.body.length > MAX_COMMENT)
    return invalid('IssueComment', 'body', 'custom', `body is too long (maximum is ${MAX_COMMENT} characters)`)
  return input.body
}

function resolveRef(repo: Repo, ref: string): string | undefined {
  const branch = repo.branches.get(ref.replace(/^refs\/heads\//, ''))
  if (branch) return branch
  if (/^[0-9a-f]{40}$/.test(ref) && repo.knownShas.has(ref)) return ref
  return undefined
}

function createStatus({ state, repo, params, body, token, api }: RouteContext): Reply {
  const id = Number(params.id)
  const deployment = repo.deployments.find((entry) => entry.id === id)
  if (!deployment) return error(404, 'Not Found')
  const input = object(body)
  if (!input) return error(400, 'Problems parsing JSON')
  if (input.state === undefined) return invalid('DeploymentStatus', 'state', 'missing_field')
  if (typeof input.state !== 'string' || !DEPLOYMENT_STATES.includes(input.state)) {
    return invalid('DeploymentStatus', 'state', 'custom', 'state is not included in the list')
  }
  for (const field of ['description', 'environment', 'environment_url', 'log_url', 'target_url'] as const) {
    if (input[field] !== undefined && typeof input[field] !== 'string')
      return error(422, `Invalid request.\n\nFor 'properties/${field}', ${JSON.stringify(input[field])} is not a string.`)
  }
  if (input.auto_inactive !== undefined && typeof input.auto_inactive !== 'boolean')
    return error(
      422,
      `Invalid request.\n\nFor 'properties/auto_inactive', ${JSON.stringify(input.auto_inactive)} is not a boolean.`,
    )
  const description = (input.description as string | undefined) ?? ''
  if (description.length > 140)
    return invalid('DeploymentStatus', 'description', 'custom', 'description is too long (maximum is 140 characters)')
  const logUrl = (input.log_url as string | undefined) ?? (input.target_url as string | undefined) ?? ''
  const environment = (input.environment as string | undefined) ?? deployment.environment
  const status = {
    id: state.id(),
    deployment_id: id,
    state: input.state,
    description,
    environment,
    environment_url: (input.environment_url as string | undefined) ?? '',
    log_url: logUrl,
    target_url: logUrl,
    creator: token.user,
    created_at: state.now(),
  }
  repo.statuses.push(status)
  if (input.state === 'success' && input.auto_inactive !== false) autoInactivate(state, repo, deployment, token)
  return {
    status: 201,
    body: statusJson(repo, status, api),
    headers: { location: `${api}/repos/${repo.fullName}/deployments/${id}/statuses/${status.id}` },
  }
}

/**
 * `auto_inactive` as documented: an inactive status for every *prior*, *non-transient,
 * non-production* deployment of the same environment whose state is `success`. Previews
 * (transient) and production are deliberately not covered, exactly as on GitHub.
 */
function autoInactivate(state: State, repo: Repo, current: Deployment, token: Token): void {
  for (const deployment of repo.deployments) {
    if (deployment.id >= current.id || deployment.environment !== current.environment) continue
    if (deployment.transient_environment || deployment.production_environment) continue
    if (state.latestState(repo.fullName, deployment.id) !== 'success') continue
    repo.statuses.push({
      id: state.id(),
      deployment_id: deployment.id,
      state: 'inactive',
      description: '',
      environment: deployment.environment,
      environment_url: '',
      log_url: '',
      target_url: '',
      creator: token.user,
      created_at: state.now(),
    })
  }
}
