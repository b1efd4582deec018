import { callGitHub } from './api-errors.js'
import type { GitHubClient } from './client.js'
import type { EventContext, PullRequestInfo } from './context.js'

/**
 * The pull request a `workflow_run` deploy belongs to: the fork-safe two-workflow pattern builds
 * on `pull_request` (untrusted, no secrets) and deploys on `workflow_run` (trusted, secrets), and
 * the deploy half must find "its" PR to comment on.
 *
 * `workflow_run.pull_requests` in the payload is empty for fork PRs, and a PR number written into
 * the build artifact is attacker-controlled. So the PR is looked up through the API: open PRs
 * whose head branch is `head_repository_owner:head_branch`, keeping the one whose head commit is
 * exactly the run's `head_sha` and whose head repository is the run's. When the PR's head has
 * moved on, this run is stale (a newer build is coming) and must not overwrite the newer preview.
 */
export type WorkflowRunPullRequest =
  | { found: true; pullRequest: PullRequestInfo }
  | { found: false; reason: 'not-a-workflow-run' | 'not-from-a-pull-request' | 'stale' | 'no-open-pull-request'; message: string }

export async function findPullRequestForWorkflowRun(
  client: GitHubClient,
  context: EventContext,
  tokenInput?: string,
): Promise<WorkflowRunPullRequest> {
  const run = context.workflowRun
  if (!run)
    return {
      found: false,
      reason: 'not-a-workflow-run',
      message: `This run was triggered by '${context.eventName}', not 'workflow_run'.`,
    }
  if (run.event !== 'pull_request' && run.event !== 'pull_request_target') {
    return {
      found: false,
      reason: 'not-from-a-pull-request',
      message: `The triggering run (${run.name || run.id}) was started by '${run.event}', not by a pull request.`,
    }
  }
  const headOwner = run.headRepository.split('/')[0] ?? ''
  // With the head repository known, GitHub filters server-side; without it (a deleted fork) every open PR is scanned.
  const filter = headOwner && run.headBranch ? { head: `${headOwner}:${run.headBranch}` } : {}
  const candidates = await callGitHub(
    { what: `find the pull request for commit ${run.headSha.slice(0, 7)}`, permission: 'pull-requests: read', tokenInput },
    () => client.paginate(client.rest.pulls.list, { ...context.repo, state: 'open', per_page: 100, ...filter }),
  )
  const sameRepository = (full: string | undefined): boolean =>
    !run.headRepository || (full ?? '').toLowerCase() === run.headRepository.toLowerCase()
  const match = candidates.find((pr) => pr.head.sha === run.headSha && sameRepository(pr.head.repo?.full_name))
  if (match) {
    const headRepository = match.head.repo?.full_name ?? ''
    return {
      found: true,
      pullRequest: {
        number: match.number,
        headSha: match.head.sha,
        headRef: match.head.ref,
        headRepository,
        baseRef: match.base.ref,
        baseRepository: match.base.repo.full_name,
        fromFork: headRepository === '' || headRepository.toLowerCase() !== match.base.repo.full_name.toLowerCase(),
        state: match.state,
        merged: false,
        url: match.html_url,
      },
    }
  }
  const moved = candidates.find((pr) => sameRepository(pr.head.repo?.full_name) && pr.head.ref === run.headBranch)
  if (moved) {
    return {
      found: false,
      reason: 'stale',
      message: `Pull request #${moved.number} has moved on to ${moved.head.sha.slice(0, 7)} since ${run.headSha.slice(0, 7)} was built; the newer build will report instead.`,
    }
  }
  return {
    found: false,
    reason: 'no-open-pull-request',
    message: `No open pull request has ${run.headSha.slice(0, 7)} as its head commit (closed, or pushed to since).`,
  }
}
