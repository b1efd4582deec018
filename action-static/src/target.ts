import { ActionError } from '@django-deploy/shared/errors'
import { previewEnvironment } from '@django-deploy/shared/github'
import type { EventContext, PullRequestInfo } from '@django-deploy/shared/github'
import { sanitizeAlias } from './netlify/alias.js'
import type { DeployTarget } from './netlify/deploy.js'
import type { Inputs } from './inputs.js'

/**
 * Where a deploy goes (a production deploy or a Netlify alias), from `production`, `alias` and the event:
 *
 * | event                                   | production: auto      | false                 |
 * |-----------------------------------------|-----------------------|-----------------------|
 * | push / dispatch on the default branch   | production            | alias <branch>        |
 * | pull_request, or workflow_run of one    | alias pr-<N>          | alias pr-<N>          |
 * | push to another branch                  | alias <branch>        | alias <branch>        |
 * | nothing known (a local run)             | draft                 | draft                 |
 *
 * `alias` replaces the automatic alias; `production: true` always means production, except for a
 * `workflow_run` that deploys a pull request's build: an artifact built from PR code is never
 * published to production.
 */
export interface TargetDecision {
  target: DeployTarget
  /** GitHub Deployment environment name. */
  environment: string
  preview: boolean
  reason: string
}

export function decideTarget(
  inputs: Pick<Inputs, 'production' | 'alias'>,
  context: EventContext | undefined,
  pullRequest: PullRequestInfo | undefined,
): TargetDecision {
  const fromPullRequest =
    pullRequest !== undefined ||
    context?.pullRequest !== undefined ||
    (context?.workflowRun !== undefined && /^pull_request/.test(context.workflowRun.event))
  const pr = pullRequest ?? context?.pullRequest
  if (inputs.production === 'true') {
    if (context?.workflowRun && fromPullRequest) {
      throw new ActionError(
        "production: true is refused for a workflow_run that deploys a pull request's build: code from a pull request is never published to production.",
        {
          input: 'production',
          hint: 'Leave production on auto here; the pull request gets its own preview alias.',
        },
      )
    }
    return { target: { kind: 'production' }, environment: 'production', preview: false, reason: 'production: true' }
  }
  const alias = (name: string, reason: string): TargetDecision => ({
    target: { kind: 'alias', alias: name },
    environment: pr && name === `pr-${pr.number}` ? previewEnvironment(pr.number) : `preview (${name})`,
    preview: true,
    reason,
  })
  if (inputs.alias) return alias(inputs.alias, 'the alias input')
  if (pr) return alias(`pr-${pr.number}`, `pull request #${pr.number}`)
  if (inputs.production === 'auto' && context?.onDefaultBranch && !fromPullRequest) {
    return {
      target: { kind: 'production' },
      environment: 'production',
      preview: false,
      reason: `a ${context.eventName} on the default branch (${context.defaultBranch ?? context.refName})`,
    }
  }
  const branch = context?.refName
  if (branch && !fromPullRequest) return alias(sanitizeAlias(branch, 'alias'), `branch ${branch}`)
  return {
    target: { kind: 'draft' },
    environment: 'preview',
    preview: true,
    reason: 'no branch or pull request to name an alias after',
  }
}

/**
 * The pull request whose closing this run answers, or undefined. With `production: auto`, a
 * `pull_request` or `pull_request_target` event with action `closed` removes the preview the
 * pull request's runs deployed (its alias is what `decideTarget` gives for the same event) and
 * builds nothing. `production: true`/`false` keep their meaning: deploy as told.
 */
export function closedPullRequest(
  inputs: Pick<Inputs, 'production'>,
  context: EventContext | undefined,
): PullRequestInfo | undefined {
  if (inputs.production !== 'auto' || !context?.pullRequest || context.action !== 'closed') return undefined
  return context.eventName === 'pull_request' || context.eventName === 'pull_request_target' ? context.pullRequest : undefined
}
