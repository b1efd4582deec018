import { noSecretsReason, type EventContext } from './context.js'

/**
 * What a run does for the event that started it, decided once for the three actions: deploy,
 * remove the preview of a closed pull request, or stop cleanly because GitHub gave this run no
 * secrets (a fork's pull request, Dependabot) and there are no credentials to deploy with.
 * Each action's `run()` asks this before any remote command; action-static turns "skip" into a
 * build without deploy, the others stop with a notice and a skipped summary.
 */
export type RunDecision =
  | { kind: 'deploy'; pullRequest?: number }
  | { kind: 'remove-preview'; pullRequest: number }
  | { kind: 'skip'; operation: 'deploy' | 'remove'; reason: string; notice: string }

export interface EventPolicyOptions {
  /** Whether this run has what it deploys with (a key, a token, ambient credentials). */
  hasCredentials: boolean
  /** The preview a closed pull request would remove, named as the road calls it ("review app blog-pr-7", "preview tag pr-7"). */
  previewOf: (pullRequest: number) => string
  /** What to do instead, after "Not deploying: <why>." */
  skipHint: string
}

/** Events whose `closed` action ends a pull request's preview. */
const PULL_REQUEST_EVENTS = new Set(['pull_request', 'pull_request_target'])

export function closedPullRequestNumber(context: EventContext | undefined): number | undefined {
  if (!context || !PULL_REQUEST_EVENTS.has(context.eventName) || context.action !== 'closed') return undefined
  return context.pullRequest?.number
}

export function decideRun(context: EventContext | undefined, options: EventPolicyOptions): RunDecision {
  const closed = closedPullRequestNumber(context)
  const noSecrets = context && !options.hasCredentials ? noSecretsReason(context) : undefined
  if (noSecrets) {
    return closed === undefined
      ? {
          kind: 'skip',
          operation: 'deploy',
          reason: noSecrets,
          notice: `Not deploying: ${noSecrets} ${options.skipHint}`,
        }
      : {
          kind: 'skip',
          operation: 'remove',
          reason: noSecrets,
          notice: `Not removing the ${options.previewOf(closed)}: ${noSecrets} Such a pull request got no preview from this workflow either, so there is nothing to remove.`,
        }
  }
  if (closed !== undefined) return { kind: 'remove-preview', pullRequest: closed }
  return { kind: 'deploy', pullRequest: context?.pullRequest?.number }
}
