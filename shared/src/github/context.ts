import { readFileSync } from 'node:fs'
import { ActionError } from '../errors.js'

/**
 * What triggered this run, read from the runner's environment and the event payload at
 * `GITHUB_EVENT_PATH`. The logic takes an `env` object (tests pass their own) instead of the
 * `@actions/github` `context` singleton, which reads `process.env` once at import time.
 *
 * Which commit is which (the distinction matters on pull requests):
 *  - `sha` is the commit we *report on*: deployments, PR comments and summaries name it. On
 *    `pull_request` it is the PR's head commit (what the author pushed, what the PR page shows);
 *    on `workflow_run` it is the head commit of the run that built the artifact.
 *  - `checkoutSha` is `GITHUB_SHA`, the commit `actions/checkout` checks out by default. On
 *    `pull_request` that is GitHub's temporary merge commit (head merged into base), which
 *    appears nowhere on the PR page and is gone after the next push; on `workflow_run` it is the
 *    tip of the default branch, not the code that was built.
 */
export type Env = Readonly<Record<string, string | undefined>>

export interface RepoRef {
  owner: string
  repo: string
}

export interface PullRequestInfo {
  number: number
  headSha: string
  headRef: string
  /** `owner/name` of the repository the PR's branch lives in; '' when that fork was deleted. */
  headRepository: string
  baseRef: string
  baseRepository: string
  /** The head branch lives in another repository (a fork), or its repository was deleted. */
  fromFork: boolean
  /** 'open' or 'closed' as the payload says; `merged` is only known for closed PRs. */
  state: string
  merged: boolean
  url?: string
}

/** The triggering run, on `workflow_run` events (the deploy half of the fork-safe pattern). */
export interface WorkflowRunInfo {
  id: number
  name: string
  /** The event that triggered the *triggering* run, e.g. 'pull_request' or 'push'. */
  event: string
  conclusion: string | null
  headSha: string
  headBranch: string
  /** `owner/name` the head commit came from (a fork for fork PRs). */
  headRepository: string
  /** PR numbers GitHub attached to the run. Empty for fork PRs, so never rely on it alone. */
  pullRequestNumbers: number[]
}

export interface EventContext {
  eventName: string
  /** The `action` field of the payload ('opened', 'synchronize', 'closed', 'completed', ...). */
  action?: string
  repo: RepoRef
  /** `owner/name`. */
  repository: string
  /** The commit to report on (see the module comment). */
  sha: string
  /** `GITHUB_SHA`: what `actions/checkout` checks out by default (see the module comment). */
  checkoutSha: string
  /** `GITHUB_REF`, e.g. `refs/heads/main`, `refs/pull/12/merge`, `refs/tags/v1`. */
  ref: string
  /** The branch or tag the run is about: the PR's head branch on PRs, else `GITHUB_REF_NAME`. */
  refName: string
  defaultBranch?: string
  /** The run is about the default branch (a push to it, a dispatch on it). False on PRs. */
  onDefaultBranch: boolean
  /** The PR this run reports to. Absent on `workflow_run` until `findPullRequestForWorkflowRun`. */
  pullRequest?: PullRequestInfo
  workflowRun?: WorkflowRunInfo
  actor: string
  runId: string
  runAttempt: string
  runUrl: string
  serverUrl: string
  apiUrl: string
}

const PULL_REQUEST_EVENTS = new Set(['pull_request', 'pull_request_target', 'pull_request_review', 'pull_request_review_comment'])

/**
 * Read the context from `env` (default `process.env`). Throws an ActionError outside GitHub
 * Actions, because every report would otherwise point at the wrong repository or commit.
 */
export function readEventContext(
  env: Env = process.env,
  readFile: (path: string) => string = (path) => readFileSync(path, 'utf8'),
): EventContext {
  const repository = required(env, 'GITHUB_REPOSITORY')
  const eventName = required(env, 'GITHUB_EVENT_NAME')
  const [owner, repo] = repository.split('/')
  if (!owner || !repo) throw new ActionError(`GITHUB_REPOSITORY is '${repository}', expected 'owner/name'.`)
  const payload = readPayload(env, readFile)
  const serverUrl = (env.GITHUB_SERVER_URL || 'https://github.com').replace(/\/+$/, '')
  const runId = env.GITHUB_RUN_ID ?? ''
  const checkoutSha = env.GITHUB_SHA ?? ''
  const ref = env.GITHUB_REF ?? ''
  const defaultBranch = str(obj(payload.repository).default_branch)

  const pullRequest = PULL_REQUEST_EVENTS.has(eventName) ? parsePullRequest(obj(payload.pull_request), repository) : undefined
  const workflowRun = eventName === 'workflow_run' ? parseWorkflowRun(obj(payload.workflow_run)) : undefined

  const sha = pullRequest?.headSha || workflowRun?.headSha || checkoutSha
  const refName =
    pullRequest?.headRef || workflowRun?.headBranch || env.GITHUB_REF_NAME || ref.replace(/^refs\/(heads|tags)\//, '')
  const onDefaultBranch =
    pullRequest === undefined &&
    defaultBranch !== undefined &&
    (workflowRun
      ? workflowRun.event !== 'pull_request' && workflowRun.headBranch === defaultBranch
      : ref === `refs/heads/${defaultBranch}`)

  return {
    eventName,
    action: str(payload.action),
    repo: { owner, repo },
    repository,
    sha,
    checkoutSha,
    ref,
    refName,
    defaultBranch,
    onDefaultBranch,
    pullRequest,
    workflowRun,
    actor: env.GITHUB_ACTOR ?? str(obj(payload.sender).login) ?? '',
    runId,
    runAttempt: env.GITHUB_RUN_ATTEMPT ?? '1',
    runUrl: runId ? `${serverUrl}/${repository}/actions/runs/${runId}` : `${serverUrl}/${repository}/actions`,
    serverUrl,
    apiUrl: (env.GITHUB_API_URL || 'https://api.github.com').replace(/\/+$/, ''),
  }
}

/**
 * Whether this run gets the repository's Actions secrets (and a token that can write).
 *
 * False for pull requests from forks: GitHub never passes secrets to `pull_request` runs from a
 * fork, and their GITHUB_TOKEN is read-only, so such a run cannot deploy. Actions must then build
 * (and check) only, say so in the summary, and leave deploying to a `workflow_run` workflow that
 * runs the base repository's code with secrets and deploys the uploaded build (action-static's README shows one).
 * Also false for runs Dependabot triggers, which GitHub treats like fork runs (they get Dependabot
 * secrets, not Actions secrets).
 *
 * True for `pull_request_target` and `workflow_run`: they run with secrets *because* they run the
 * base repository's workflow. Checking out and running the PR's code there is the "pwn request"
 * hole; that is the caller's responsibility, not something this function can see.
 */
export function secretsAvailable(context: EventContext): boolean {
  return noSecretsReason(context) === undefined
}

/** Why `secretsAvailable` is false, as a sentence for the summary and log; undefined when true. */
export function noSecretsReason(context: EventContext): string | undefined {
  const prEvent =
    context.eventName === 'pull_request' ||
    context.eventName === 'pull_request_review' ||
    context.eventName === 'pull_request_review_comment'
  if (prEvent && context.pullRequest?.fromFork) {
    return `Pull request #${context.pullRequest.number} comes from a fork (${context.pullRequest.headRepository || 'a deleted repository'}); GitHub gives such runs no secrets and a read-only token.`
  }
  const dependabotEvents = [
    'pull_request',
    'pull_request_review',
    'pull_request_review_comment',
    'push',
    'create',
    'deployment',
    'deployment_status',
  ]
  if (context.actor === 'dependabot[bot]' && dependabotEvents.includes(context.eventName)) {
    return 'This run was triggered by Dependabot; GitHub gives such runs no Actions secrets and a read-only token.'
  }
  return undefined
}

/** A copy of `context` reporting to `pullRequest` (used once a workflow_run's PR is found). */
export function withPullRequest(context: EventContext, pullRequest: PullRequestInfo): EventContext {
  return {
    ...context,
    pullRequest,
    sha: context.workflowRun?.headSha || pullRequest.headSha,
    refName: pullRequest.headRef,
    onDefaultBranch: false,
  }
}

/** The commit's page on GitHub (`sha` defaults to the commit we report on). */
export function commitUrl(context: EventContext, sha: string = context.sha): string {
  return `${context.serverUrl}/${context.repository}/commit/${sha}`
}

function parsePullRequest(pr: Record<string, unknown>, repository: string): PullRequestInfo {
  const head = obj(pr.head)
  const base = obj(pr.base)
  const headRepository = str(obj(head.repo).full_name) ?? ''
  const baseRepository = str(obj(base.repo).full_name) ?? repository
  const number = Number(pr.number)
  if (!Number.isInteger(number) || number <= 0) {
    throw new ActionError('The pull request event payload has no pull request number.', {
      hint: 'Is GITHUB_EVENT_PATH the payload of this run?',
    })
  }
  return {
    number,
    headSha: str(head.sha) ?? '',
    headRef: str(head.ref) ?? '',
    headRepository,
    baseRef: str(base.ref) ?? '',
    baseRepository,
    // A deleted fork leaves `head.repo` null: still not ours, so still a fork.
    fromFork: headRepository === '' || headRepository.toLowerCase() !== baseRepository.toLowerCase(),
    state: str(pr.state) ?? 'open',
    merged: pr.merged === true,
    url: str(pr.html_url),
  }
}

function parseWorkflowRun(run: Record<string, unknown>): WorkflowRunInfo {
  const pulls = Array.isArray(run.pull_requests) ? run.pull_requests : []
  return {
    id: Number(run.id) || 0,
    name: str(run.name) ?? '',
    event: str(run.event) ?? '',
    conclusion: str(run.conclusion) ?? null,
    headSha: str(run.head_sha) ?? '',
    headBranch: str(run.head_branch) ?? '',
    headRepository: str(obj(run.head_repository).full_name) ?? '',
    pullRequestNumbers: pulls.map((pull) => Number(obj(pull).number)).filter((n) => Number.isInteger(n) && n > 0),
  }
}

function readPayload(env: Env, readFile: (path: string) => string): Record<string, unknown> {
  const path = env.GITHUB_EVENT_PATH
  if (!path) return {}
  let raw: string
  try {
    raw = readFile(path)
  } catch (error) {
    throw new ActionError(`Cannot read the event payload at GITHUB_EVENT_PATH (${path}).`, { cause: error })
  }
  try {
    return obj(JSON.parse(raw))
  } catch (error) {
    throw new ActionError(`The event payload at GITHUB_EVENT_PATH (${path}) is not valid JSON.`, { cause: error })
  }
}

function required(env: Env, name: string): string {
  const value = env[name]?.trim()
  if (!value) {
    throw new ActionError(`${name} is not set, so this does not look like a GitHub Actions run.`, {
      hint: 'Run the action from a workflow; to try it locally, set GITHUB_REPOSITORY, GITHUB_EVENT_NAME and GITHUB_EVENT_PATH.',
    })
  }
  return value
}

function obj(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {}
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined
}
