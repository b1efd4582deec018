/**
 * The data behind the GitHub API stand-in: repositories, tokens, pull requests, issue comments,
 * deployments and deployment statuses, shaped as GitHub's REST API returns them (the fields our
 * code reads, plus the usual identifying ones). Tests seed it and inspect it; the HTTP side lives
 * in routes.ts / server.ts.
 */
export type Level = 'none' | 'read' | 'write'
/** Permission names as GitHub spells them in `X-Accepted-GitHub-Permissions`. */
export type PermissionName = 'issues' | 'pull_requests' | 'deployments' | 'contents'

export interface User {
  login: string
  id: number
  type: 'User' | 'Bot'
}

export interface Token {
  user: User
  /** GITHUB_TOKEN / app installation tokens (their 403s say "by integration"). */
  installation: boolean
  permissions: Record<PermissionName, Level>
}

export interface Comment {
  id: number
  body: string
  user: User
  created_at: string
  updated_at: string
}

export interface PullRequest {
  number: number
  state: 'open' | 'closed'
  title: string
  headRef: string
  headSha: string
  /** `owner/name`, or null for a deleted fork. */
  headRepo: string | null
  baseRef: string
  user: User
  created_at: string
}

export interface Deployment {
  id: number
  sha: string
  ref: string
  task: string
  environment: string
  description: string | null
  transient_environment: boolean
  production_environment: boolean
  payload: unknown
  creator: User
  created_at: string
}

export interface DeploymentStatus {
  id: number
  deployment_id: number
  state: string
  description: string
  environment: string
  environment_url: string
  log_url: string
  target_url: string
  creator: User
  created_at: string
}

export interface Repo {
  fullName: string
  defaultBranch: string
  /** Branch name → head SHA; deployments accept these names or any known SHA. */
  branches: Map<string, string>
  knownShas: Set<string>
  /** Status contexts not yet green: a deployment without `required_contexts: []` gets 409. */
  pendingContexts: string[]
  pulls: PullRequest[]
  /** Issue/PR number → its comments, oldest first. */
  comments: Map<number, Comment[]>
  deployments: Deployment[]
  statuses: DeploymentStatus[]
}

export const SERVER_URL = 'https://github.com'

export const ACTIONS_BOT: User = { login: 'github-actions[bot]', id: 41898282, type: 'Bot' }

const ALL_WRITE: Record<PermissionName, Level> = {
  issues: 'write',
  pull_requests: 'write',
  deployments: 'write',
  contents: 'write',
}

export class State {
  readonly repos = new Map<string, Repo>()
  readonly tokens = new Map<string, Token>()
  /** Set false to act like a server without GraphQL (identity then falls back to "any bot"). */
  graphqlAvailable = true
  private nextId = 1000
  private clock = Date.parse('2026-01-01T00:00:00Z')

  addRepo(fullName: string, options: { defaultBranch?: string; branches?: Record<string, string> } = {}): Repo {
    const defaultBranch = options.defaultBranch ?? 'main'
    const branches = new Map(Object.entries(options.branches ?? { [defaultBranch]: sha('default-branch-tip') }))
    const repo: Repo = {
      fullName,
      defaultBranch,
      branches,
      knownShas: new Set(branches.values()),
      pendingContexts: [],
      pulls: [],
      comments: new Map(),
      deployments: [],
      statuses: [],
    }
    this.repos.set(fullName.toLowerCase(), repo)
    return repo
  }

  repo(fullName: string): Repo {
    const repo = this.repos.get(fullName.toLowerCase())
    if (!repo) throw new Error(`stand-in: no repository ${fullName}`)
    return repo
  }

  addToken(
    token: string,
    options: { user: User; installation?: boolean; permissions?: Partial<Record<PermissionName, Level>> },
  ): void {
    this.tokens.set(token, {
      user: options.user,
      installation: options.installation ?? false,
      permissions: { ...ALL_WRITE, ...options.permissions },
    })
  }

  /** Change what an existing token may do (e.g. to provoke a 403). */
  setPermissions(token: string, permissions: Partial<Record<PermissionName, Level>>): void {
    const entry = this.tokens.get(token)
    if (!entry) throw new Error(`stand-in: no token ${token}`)
    entry.permissions = { ...entry.permissions, ...permissions }
  }

  addPullRequest(
    fullName: string,
    pr: {
      number: number
      headSha: string
      headRef: string
      headRepo?: string | null
      baseRef?: string
      state?: 'open' | 'closed'
      user?: User
    },
  ): PullRequest {
    const repo = this.repo(fullName)
    const entry: PullRequest = {
      number: pr.number,
      state: pr.state ?? 'open',
      title: `PR ${pr.number}`,
      headRef: pr.headRef,
      headSha: pr.headSha,
      headRepo: pr.headRepo === undefined ? repo.fullName : pr.headRepo,
      baseRef: pr.baseRef ?? repo.defaultBranch,
      user: pr.user ?? { login: 'contributor', id: 7, type: 'User' },
      created_at: this.now(),
    }
    repo.pulls.push(entry)
    // The head commit of a PR is reachable in the base repository (refs/pull/N/head), also from forks.
    repo.knownShas.add(pr.headSha)
    if (!repo.comments.has(pr.number)) repo.comments.set(pr.number, [])
    return entry
  }

  addComment(fullName: string, issueNumber: number, body: string, user: User): Comment {
    const repo = this.repo(fullName)
    const list = repo.comments.get(issueNumber)
    if (!list) throw new Error(`stand-in: no issue #${issueNumber} in ${fullName}`)
    const now = this.now()
    const comment: Comment = { id: this.id(), body, user, created_at: now, updated_at: now }
    list.push(comment)
    return comment
  }

  comments(fullName: string, issueNumber: number): Comment[] {
    return this.repo(fullName).comments.get(issueNumber) ?? []
  }

  /** Statuses of one deployment, newest first (as GitHub lists them). */
  statusesOf(fullName: string, deploymentId: number): DeploymentStatus[] {
    return this.repo(fullName)
      .statuses.filter((status) => status.deployment_id === deploymentId)
      .sort((a, b) => b.id - a.id)
  }

  /** The current state of a deployment: its newest status, or 'pending' with none (GitHub's UI). */
  latestState(fullName: string, deploymentId: number): string | undefined {
    return this.statusesOf(fullName, deploymentId)[0]?.state
  }

  id(): number {
    return this.nextId++
  }

  now(): string {
    this.clock += 1000
    return new Date(this.clock).toISOString().replace(/\.\d{3}Z$/, 'Z')
  }
}

/** A deterministic 40-hex SHA for a label, for seeding. */
export function sha(label: string): string {
  let hash = 0x811c9dc5
  let out = ''
  for (let round = 0; out.length < 40; round++) {
    for (const char of `${label}:${round}`) hash = Math.imul(hash ^ char.charCodeAt(0), 0x01000193) >>> 0
    out += hash.toString(16).padStart(8, '0')
  }
  return out.slice(0, 40)
}
