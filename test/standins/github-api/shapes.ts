import {
  SERVER_URL,
  type Comment,
  type Deployment,
  type DeploymentStatus,
  type PullRequest,
  type Repo,
  type User,
} from './state.js'

/**
 * JSON as GitHub's REST API returns it (docs.github.com/rest, "Response schema"), trimmed to the
 * identifying fields plus what clients read. `api` is the stand-in's base URL.
 */
export function userJson(user: User, api: string): object {
  return {
    login: user.login,
    id: user.id,
    node_id: `U_${user.id}`,
    type: user.type,
    site_admin: false,
    url: `${api}/users/${encodeURIComponent(user.login)}`,
    html_url: `${SERVER_URL}/${user.type === 'Bot' ? `apps/${user.login.replace(/\[bot\]$/, '')}` : user.login}`,
  }
}

export function repoJson(fullName: string, api: string): object {
  const [owner = '', name = ''] = fullName.split('/')
  return {
    id: stableId(fullName),
    name,
    full_name: fullName,
    owner: { login: owner, id: stableId(owner), type: 'User' },
    private: false,
    html_url: `${SERVER_URL}/${fullName}`,
    url: `${api}/repos/${fullName}`,
  }
}

export function commentJson(repo: Repo, issueNumber: number, comment: Comment, api: string): object {
  return {
    id: comment.id,
    node_id: `IC_${comment.id}`,
    url: `${api}/repos/${repo.fullName}/issues/comments/${comment.id}`,
    html_url: `${SERVER_URL}/${repo.fullName}/pull/${issueNumber}#issuecomment-${comment.id}`,
    issue_url: `${api}/repos/${repo.fullName}/issues/${issueNumber}`,
    body: comment.body,
    user: userJson(comment.user, api),
    created_at: comment.created_at,
    updated_at: comment.updated_at,
    author_association: comment.user.type === 'Bot' ? 'NONE' : 'CONTRIBUTOR',
    performed_via_github_app: null,
  }
}

export function pullJson(repo: Repo, pr: PullRequest, api: string): object {
  const headOwner = pr.headRepo?.split('/')[0] ?? pr.user.login
  return {
    id: stableId(`${repo.fullName}#${pr.number}`),
    number: pr.number,
    state: pr.state,
    title: pr.title,
    user: userJson(pr.user, api),
    html_url: `${SERVER_URL}/${repo.fullName}/pull/${pr.number}`,
    url: `${api}/repos/${repo.fullName}/pulls/${pr.number}`,
    created_at: pr.created_at,
    draft: false,
    merged_at: null,
    head: {
      label: `${headOwner}:${pr.headRef}`,
      ref: pr.headRef,
      sha: pr.headSha,
      repo: pr.headRepo ? repoJson(pr.headRepo, api) : null,
    },
    base: {
      label: `${repo.fullName.split('/')[0]}:${pr.baseRef}`,
      ref: pr.baseRef,
      sha: repo.branches.get(pr.baseRef) ?? '',
      repo: repoJson(repo.fullName, api),
    },
  }
}

export function deploymentJson(repo: Repo, deployment: Deployment, api: string): object {
  const url = `${api}/repos/${repo.fullName}/deployments/${deployment.id}`
  return {
    url,
    id: deployment.id,
    node_id: `DE_${deployment.id}`,
    sha: deployment.sha,
    ref: deployment.ref,
    task: deployment.task,
    payload: deployment.payload,
    original_environment: deployment.environment,
    environment: deployment.environment,
    description: deployment.description,
    creator: userJson(deployment.creator, api),
    created_at: deployment.created_at,
    updated_at: deployment.created_at,
    statuses_url: `${url}/statuses`,
    repository_url: `${api}/repos/${repo.fullName}`,
    transient_environment: deployment.transient_environment,
    production_environment: deployment.production_environment,
  }
}

export function statusJson(repo: Repo, status: DeploymentStatus, api: string): object {
  const deploymentUrl = `${api}/repos/${repo.fullName}/deployments/${status.deployment_id}`
  return {
    url: `${deploymentUrl}/statuses/${status.id}`,
    id: status.id,
    node_id: `DES_${status.id}`,
    state: status.state,
    creator: userJson(status.creator, api),
    description: status.description,
    environment: status.environment,
    target_url: status.target_url,
    log_url: status.log_url,
    environment_url: status.environment_url,
    created_at: status.created_at,
    updated_at: status.created_at,
    deployment_url: deploymentUrl,
    repository_url: `${api}/repos/${repo.fullName}`,
  }
}

function stableId(text: string): number {
  let hash = 7
  for (const char of text) hash = (Math.imul(hash, 31) + char.charCodeAt(0)) >>> 0
  return hash % 1_000_000_000
}
