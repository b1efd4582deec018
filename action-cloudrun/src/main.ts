import type { Plan } from '@django-deploy/shared/plan'
import { decideRun } from '@django-deploy/shared/github'
import { deploy } from './deploy.js'
import type { CloudRunInputs } from './inputs.js'
import { previewRemoval } from './plan.js'
import { removePreview } from './remove-preview.js'
import { ACTION, type Deps, type RunResult } from './types.js'

export type { Deps, OutputName, RunResult } from './types.js'
export { deployEnvironment } from './deploy.js'

/** Variables through which gcloud finds credentials without credentials-json (google-github-actions/auth sets them). */
const AMBIENT_CREDENTIALS = ['CLOUDSDK_AUTH_CREDENTIAL_FILE_OVERRIDE', 'GOOGLE_APPLICATION_CREDENTIALS', 'GOOGLE_GHA_CREDS_PATH']

/**
 * One run of action-cloudrun, for the event that started it: deploy (deploy.ts), remove a closed
 * pull request's preview tag (remove-preview.ts), or stop cleanly when GitHub gave the run no
 * secrets and there are no credentials (a fork's pull request: nothing to sign in to Google with).
 */
export async function run(inputs: CloudRunInputs, deps: Deps): Promise<RunResult> {
  const decision = decideRun(deps.context, {
    hasCredentials: Boolean(inputs.credentials) || AMBIENT_CREDENTIALS.some((name) => deps.env[name]),
    previewOf: (pullRequest) => `preview tag ${inputs.tag ?? `pr-${pullRequest}`}`,
    skipHint: 'Preview revisions need a pull request from a branch of this repository.',
  })
  if (decision.kind === 'skip') {
    deps.log.notice(decision.notice)
    await deps.writeSummary({
      action: ACTION,
      outcome: 'skipped',
      operation: decision.operation,
      target: { kind: 'service', name: inputs.service },
      reason: decision.reason,
      runUrl: deps.context?.runUrl,
    })
    const plan = { action: ACTION, summary: [['Skipped', decision.reason]], files: [], steps: [] } satisfies Plan
    return { outcome: 'skipped', urls: [], plan }
  }
  const removal =
    decision.kind === 'remove-preview'
      ? previewRemoval(
          inputs,
          deps.context && {
            eventName: deps.context.eventName,
            action: deps.context.action,
            pullRequest: decision.pullRequest,
          },
        )
      : undefined
  if (removal) return removePreview(inputs, removal, deps)
  return deploy(inputs, deps)
}
