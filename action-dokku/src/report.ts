import { commitUrl } from '@django-deploy/shared/github'
import type { DeploySummary } from '@django-deploy/shared/github'
import type { Plan } from '@django-deploy/shared/plan'
import type { DokkuInputs } from './inputs.js'
import { ACTION, type Deps, type PlannedRun, type RunResult } from './types.js'
import { planSteps, type RunPlan, type Target } from './plan.js'
import type { PreparedProject } from './project.js'
import type { RemoteState } from './remote-state.js'
import { displayTarget } from './target.js'

/** The plan as printed (shared/plan.ts) and the job summary, from a run's result. */
export function presentOf(plan: RunPlan): string[] {
  return plan.steps.filter((step) => step.skip && step.resource).map((step) => `${step.resource} (${step.skip})`)
}

export function toSharedPlan(
  plan: RunPlan,
  inputs: DokkuInputs,
  prepared: PreparedProject | undefined,
  state: RemoteState | undefined,
): Plan {
  const summary: Array<[string, string]> = [
    ['Server', `${inputs.target.user}@${displayTarget(inputs.target)}${state ? ` (${state.version.raw})` : ''}`],
    [
      'App',
      `${plan.target.app}${plan.target.review ? ` (review app of ${plan.target.baseApp}, PR #${plan.target.review.pullRequest})` : ''}${state ? (state.app.exists ? ', exists' : ', new') : ''}`,
    ],
  ]
  if (prepared) {
    summary.push([
      'Project',
      `${prepared.project.managePy} · settings ${prepared.project.settings.module}${prepared.overlayModule ? ` → ${prepared.overlayModule}` : ''}`,
    ])
    summary.push([
      'Builder',
      `${prepared.builder}${prepared.explicitBuilder ? ' (chosen)' : ' (detected)'}${prepared.builderReason ? `: ${prepared.builderReason}` : ''}`,
    ])
  }
  return { action: ACTION, summary, files: prepared?.files ?? [], steps: planSteps(plan) }
}

export function summaryOf(
  result: RunResult,
  inputs: DokkuInputs,
  deps: Deps,
  plan: Plan,
  kind: 'deployed' | 'planned' | 'removed',
  sha?: string,
): DeploySummary {
  const context = deps.context
  const commit = sha ?? context?.sha
  const warnings: string[] = []
  if (inputs.hostKeys.insecure && inputs.hostKeys.pins.length === 0)
    warnings.push('The server host key was not verified (insecure-skip-host-key-check); pin it with ssh-host-key.')
  return {
    action: ACTION,
    outcome: kind,
    operation: result.target.mode === 'remove-preview' ? 'remove' : 'deploy',
    target: { kind: 'app', name: result.target.app },
    url: result.urls.find((url) => url.startsWith('https://')) ?? result.urls[0],
    destination: `Dokku server ${displayTarget(inputs.target)}`,
    commit: commit ? { sha: commit, url: context ? commitUrl(context, commit) : undefined } : undefined,
    environment: result.target.review ? `review app for PR #${result.target.review.pullRequest}` : undefined,
    facts: [
      [
        'Result',
        result.outcome === 'up-to-date'
          ? 'Everything up-to-date: the app already runs this code (nothing rebuilt)'
          : result.outcome,
      ],
      ...(result.pushedBytes !== undefined ? ([['Pushed', `${result.pushedBytes} bytes`]] as Array<[string, string]>) : []),
    ],
    created: result.created,
    alreadyPresent: result.present,
    phases: result.phases,
    warnings,
    reason: kind === 'removed' ? 'the pull request closed; its review app and database are gone' : undefined,
    plan,
    runUrl: context?.runUrl,
  }
}

/** A run that stopped before doing anything (a fork's pull request without the key). */
export function skippedSummary(
  inputs: DokkuInputs,
  deps: Deps,
  target: Target,
  operation: 'deploy' | 'remove',
  reason: string,
): DeploySummary {
  return {
    action: ACTION,
    outcome: 'skipped',
    operation,
    target: { kind: 'app', name: target.app },
    destination: `Dokku server ${displayTarget(inputs.target)}`,
    environment: target.review ? `review app for PR #${target.review.pullRequest}` : undefined,
    reason,
    runUrl: deps.context?.runUrl,
  }
}

/**
 * A run that failed, at any point: the reason, where the time went and the plan, if the run got that
 * far. Dokku's own rule keeps the previous release serving when a build, release task or check fails.
 */
export function failedSummary(
  inputs: DokkuInputs,
  deps: Deps,
  target: Target,
  reason: string,
  phases: Array<{ name: string; ms: number }>,
  plan: Plan | undefined,
): DeploySummary {
  const context = deps.context
  return {
    action: ACTION,
    outcome: 'failed',
    operation: target.mode === 'remove-preview' ? 'remove' : 'deploy',
    target: { kind: 'app', name: target.app },
    destination: `Dokku server ${displayTarget(inputs.target)}`,
    commit: context ? { sha: context.sha, url: commitUrl(context) } : undefined,
    environment: target.review ? `review app for PR #${target.review.pullRequest}` : undefined,
    reason,
    phases,
    plan,
    runUrl: context?.runUrl,
  }
}

/** A run's result (what it created, what was there, where the time went) and its summary, written. */
export async function reportResult(
  run: Pick<PlannedRun, 'plan' | 'sharedPlan' | 'inputs' | 'deps' | 'phases'>,
  fields: Omit<RunResult, 'target' | 'plan' | 'present' | 'phases'> & { present?: string[] },
  sha?: string,
): Promise<RunResult> {
  const result: RunResult = {
    target: run.plan.target,
    plan: run.plan,
    phases: run.phases.list,
    ...fields,
    present: fields.present ?? presentOf(run.plan),
  }
  const kind = fields.outcome === 'up-to-date' ? 'deployed' : fields.outcome
  if (kind === 'skipped') throw new Error('a skipped run has no plan to report')
  await run.deps.writeSummary(summaryOf(result, run.inputs, run.deps, run.sharedPlan, kind, sha))
  return result
}
