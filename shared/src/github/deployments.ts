import { ActionError } from '../errors.js'
import { callGitHub } from './api-errors.js'
import type { GitHubClient } from './client.js'
import type { RepoRef } from './context.js'
import { safeUrl } from './markdown.js'

/**
 * GitHub Deployments: the "Deployments" box on a PR and the environments page. A run creates a
 * deployment for an environment (`production`, or `pr-12 preview`), moves it to `in_progress`,
 * then to `success` (with the URL and the run's log) or `failure`.
 *
 * What we rely on, and what we do not:
 *  - `auto_merge: false` and `required_contexts: []`: GitHub would otherwise merge the default
 *    branch into the ref, or refuse (409) while this very run's checks are still pending.
 *  - We do NOT rely on `auto_inactive`. GitHub documents it as marking prior deployments inactive
 *    only for "non-transient, non-production" environments, so it never covers previews
 *    (transient) or production; after a success we mark older `success` deployments of the same
 *    environment `inactive` ourselves (a transient one then shows as "destroyed").
 *  - GitHub lists deployments and statuses newest first; `statuses[0]` is a deployment's state.
 */
export type DeploymentState = 'error' | 'failure' | 'inactive' | 'in_progress' | 'queued' | 'pending' | 'success'

export interface DeploymentTarget {
  client: GitHubClient
  repo: RepoRef
  /** The commit deployed (the event context's `sha`: a PR's head commit, not the merge commit). */
  sha: string
  /** `production`, or a preview name from `previewEnvironment`. */
  environment: string
  /** A per-PR environment that goes away: transient, not production. */
  preview: boolean
  description?: string
  tokenInput?: string
}

/** `pr-12 preview`; with a key (several sites or apps per PR) `pr-12 preview (docs)`. */
export function previewEnvironment(pullRequestNumber: number, key?: string): string {
  return key ? `pr-${pullRequestNumber} preview (${key})` : `pr-${pullRequestNumber} preview`
}

export class GitHubDeployment {
  private constructor(
    private readonly target: DeploymentTarget,
    readonly id: number,
  ) {}

  get environment(): string {
    return this.target.environment
  }

  /** Create the deployment and set it `in_progress`. */
  static async start(target: DeploymentTarget, logUrl?: string): Promise<GitHubDeployment> {
    const { client, repo } = target
    const { data } = await callGitHub(permission(target, `create a deployment for environment '${target.environment}'`), () =>
      client.rest.repos.createDeployment({
        ...repo,
        ref: target.sha,
        environment: target.environment,
        description: truncate(target.description ?? '', 140),
        auto_merge: false,
        required_contexts: [],
        transient_environment: target.preview,
        production_environment: !target.preview,
      }),
    )
    if (!('id' in data) || typeof data.id !== 'number') {
      // 202 "auto-merged" cannot happen with auto_merge: false; if GitHub answers it anyway, say so.
      throw new ActionError(
        `GitHub did not create a deployment for '${target.environment}': ${'message' in data ? String(data.message) : 'no deployment in the answer'}.`,
      )
    }
    const deployment = new GitHubDeployment(target, data.id)
    await deployment.setStatus('in_progress', { logUrl })
    return deployment
  }

  /** Mark it `success` with where to reach it, then make older deployments of the environment inactive. */
  async succeed(details: { environmentUrl?: string; logUrl?: string; description?: string }): Promise<{ deactivated: number[] }> {
    await this.setStatus('success', { ...details, autoInactive: true })
    const deactivated = await deactivateDeployments({ ...this.target, olderThan: this.id, onlySuccessful: true })
    return { deactivated }
  }

  async fail(details: { logUrl?: string; description?: string } = {}): Promise<void> {
    await this.setStatus('failure', details)
  }

  async setStatus(
    state: DeploymentState,
    details: { environmentUrl?: string; logUrl?: string; description?: string; autoInactive?: boolean } = {},
  ): Promise<void> {
    await setDeploymentStatus(this.target, this.id, state, details)
  }
}

export async function setDeploymentStatus(
  target: Pick<DeploymentTarget, 'client' | 'repo' | 'environment' | 'tokenInput'>,
  deploymentId: number,
  state: DeploymentState,
  details: { environmentUrl?: string; logUrl?: string; description?: string; autoInactive?: boolean } = {},
): Promise<void> {
  const environmentUrl = details.environmentUrl === undefined ? undefined : safeUrl(details.environmentUrl)
  const logUrl = details.logUrl === undefined ? undefined : safeUrl(details.logUrl)
  await callGitHub(permission(target, `set deployment ${deploymentId} of '${target.environment}' to '${state}'`), () =>
    target.client.rest.repos.createDeploymentStatus({
      ...target.repo,
      deployment_id: deploymentId,
      state,
      ...(environmentUrl === undefined ? {} : { environment_url: environmentUrl }),
      ...(logUrl === undefined ? {} : { log_url: logUrl }),
      ...(details.description ? { description: truncate(details.description, 140) } : {}),
      ...(details.autoInactive === undefined ? {} : { auto_inactive: details.autoInactive }),
    }),
  )
}

/**
 * Mark every deployment of a preview environment inactive, e.g. when its pull request closes
 * (`on: pull_request: types: [closed]`). GitHub then shows the transient environment as destroyed.
 * Deleting the environment itself needs admin rights the workflow token never has, so it stays.
 */
export async function deactivateEnvironment(
  target: Pick<DeploymentTarget, 'client' | 'repo' | 'environment' | 'tokenInput'>,
): Promise<number[]> {
  return deactivateDeployments({ ...target, onlySuccessful: false })
}

interface DeactivateOptions extends Pick<DeploymentTarget, 'client' | 'repo' | 'environment' | 'tokenInput'> {
  /** Only deployments created before this one (ids grow with time). */
  olderThan?: number
  /** Only those whose latest status is `success` (the active ones); otherwise all not yet inactive. */
  onlySuccessful: boolean
}

async function deactivateDeployments(options: DeactivateOptions): Promise<number[]> {
  const { client, repo, environment } = options
  const deployments = await callGitHub(readPermission(options, `list the deployments of '${environment}'`), () =>
    client.paginate(client.rest.repos.listDeployments, { ...repo, environment, per_page: 100 }),
  )
  const older = deployments
    .filter((deployment) => options.olderThan === undefined || deployment.id < options.olderThan)
    .sort((a, b) => b.id - a.id)
  const deactivated: number[] = []
  for (const deployment of older) {
    const { data: statuses } = await callGitHub(readPermission(options, `read the status of deployment ${deployment.id}`), () =>
      client.rest.repos.listDeploymentStatuses({ ...repo, deployment_id: deployment.id, per_page: 1 }),
    )
    const latest = statuses[0]?.state
    // After a success we stop at the first inactive one: every run deactivates all older ones,
    // so what lies beyond was handled already, and a busy production environment stays cheap.
    if (latest === 'inactive' && options.onlySuccessful) break
    if (latest === 'inactive' || latest === undefined) continue
    if (options.onlySuccessful && latest !== 'success') continue
    await setDeploymentStatus(options, deployment.id, 'inactive', { description: 'Superseded or removed' })
    deactivated.push(deployment.id)
  }
  return deactivated
}

function permission(target: { tokenInput?: string }, what: string) {
  return { what, permission: 'deployments: write' as const, tokenInput: target.tokenInput }
}

function readPermission(target: { tokenInput?: string }, what: string) {
  return { what, permission: 'deployments: read' as const, tokenInput: target.tokenInput }
}

function truncate(value: string, max: number): string {
  return value.length <= max ? value : `${value.slice(0, max - 1)}…`
}
