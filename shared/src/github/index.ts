/**
 * GitHub reporting for all three actions: event context, step outputs, job summary, sticky PR
 * comment, Deployments, and the single `setFailed`. Import from '@django-deploy/shared/github'.
 */
export { callGitHub, explainGitHubError, type GitHubCall, type Permission } from './api-errors.js'
export { createGitHubClient, DEFAULT_GITHUB_TIMEOUT_MS, type GitHubClient, type GitHubClientOptions } from './client.js'
export {
  commitUrl,
  noSecretsReason,
  readEventContext,
  secretsAvailable,
  withPullRequest,
  type Env,
  type EventContext,
  type PullRequestInfo,
  type RepoRef,
  type WorkflowRunInfo,
} from './context.js'
export {
  deactivateEnvironment,
  GitHubDeployment,
  previewEnvironment,
  setDeploymentStatus,
  type DeploymentState,
  type DeploymentTarget,
} from './deployments.js'
export { causeChain, failureMessage, runAction, type RunActionOptions } from './entrypoint.js'
export { isAuthoredBy, resolveTokenIdentity, type TokenIdentity } from './identity.js'
export { Outputs, type OutputValue } from './outputs.js'
export {
  commentMarker,
  renderPreviewComment,
  updateStickyComment,
  upsertStickyComment,
  type PreviewCommentContent,
  type StickyCommentOptions,
  type StickyCommentResult,
} from './pr-comment.js'
export { isSecretName, maskConfigValue, SECRET_NAME_PARTS, SECRET_NAME_WORDS, SecretRegistry, urlPassword } from './secrets.js'
export {
  formatDuration,
  renderSummary,
  writeSummary,
  type DeployOutcome,
  type DeploySummary,
  type SummaryWriter,
} from './summary.js'
export { findPullRequestForWorkflowRun, type WorkflowRunPullRequest } from './workflow-run.js'
export { closedPullRequestNumber, decideRun, type EventPolicyOptions, type RunDecision } from './event-policy.js'
export { failureFix, failureReason, reportedRun, type ReportedRunOptions } from './run-report.js'
