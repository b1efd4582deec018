import { ActionError } from '@django-deploy/shared/errors'
import { decideRun } from '@django-deploy/shared/github'
import { writeSummary } from '@django-deploy/shared/github'
import { deploy, siteLabel } from './deploy.js'
import type { Inputs } from './inputs.js'
import { removePreview } from './remove-preview.js'
import { closedPullRequest } from './target.js'
import { ACTION, type Deps, type RunResult } from './types.js'

export { ACTION, OUTPUT_NAMES } from './types.js'
export type { Deps, OutputName, RunResult } from './types.js'

/**
 * One run of action-static, for the event that started it: build (and deploy) the site
 * (deploy.ts), or take a closed pull request's preview down (remove-preview.ts). A run GitHub gave
 * no secrets (a fork's pull request) never deploys, even with a token: it builds and checks the
 * site only, so the pull request still learns whether its site builds.
 */
export async function run(inputs: Inputs, deps: Deps): Promise<RunResult> {
  const { log, context } = deps
  const closed = closedPullRequest(inputs, context)
  if (closed && inputs.mode === 'build') {
    const reason = `pull request #${closed.number} was closed, so there is nothing to build.`
    log.notice(`Not deploying: ${reason}`)
    await writeSummary(
      { action: ACTION, outcome: 'skipped', target: { kind: 'site', name: siteLabel(inputs) }, reason, runUrl: context?.runUrl },
      deps.secrets,
      deps.summary,
      deps.env as NodeJS.ProcessEnv,
    )
    return { mode: inputs.mode, skipped: reason }
  }
  if (inputs.provider !== 'netlify' || !context) return deploy(inputs, deps, { mode: inputs.mode })

  // Never the fork's code with our token: a run without secrets counts as having no credentials.
  const decision = decideRun(context, {
    hasCredentials: false,
    previewOf: (pullRequest) => `preview of pull request #${pullRequest}`,
    skipHint: 'Deploy previews from a workflow_run workflow (see "Pull requests from forks" in the README).',
  })
  if (closed) return removePreview(inputs, deps, context, closed, decision.kind === 'skip' ? decision.reason : undefined)
  if (decision.kind !== 'skip' || inputs.mode === 'build') return deploy(inputs, deps, { mode: inputs.mode })
  if (inputs.mode === 'deploy')
    throw new ActionError(`${decision.reason} mode: deploy cannot work in this run.`, {
      input: 'mode',
      hint: 'Deploy from a workflow_run workflow instead (see "Pull requests from forks" in the README).',
    })
  const forkNotice = `${decision.reason} Built and checked the site; nothing was deployed. Deploy previews from a workflow_run workflow (see "Pull requests from forks" in the README).`
  log.notice(forkNotice)
  return deploy(inputs, deps, { mode: 'build', forkNotice })
}
