import type { Plan } from '@django-deploy/shared/plan'
import { DokkuCommandError } from './dokku/client.js'
import type { DokkuInputs } from './inputs.js'
import type { Deps, RunResult } from './types.js'
import type { Phases } from '@django-deploy/shared/runtime'
import type { RunPlan } from './plan.js'
import type { ProvisionContext } from './provision.js'
import { presentOf, summaryOf } from './report.js'

/** A review app's end: the app (Dokku's pre-delete trigger drops its links), then its database service. */
export async function removePreview(
  context: ProvisionContext,
  plan: RunPlan,
  inputs: DokkuInputs,
  deps: Deps,
  phases: Phases,
  sharedPlan: Plan,
): Promise<RunResult> {
  const { dokku, log, target } = context
  const created: string[] = []
  await phases.time('Destroy', async () => {
    for (const step of plan.steps) {
      if (step.skip) continue
      log.info(`→ ${step.title}`)
      const result =
        step.kind === 'destroy-app'
          ? await dokku.run(['apps:destroy', target.app], { globalFlags: ['--force'] })
          : await dokku.run(step.args, { allowFlags: ['--force'] })
      if (result.exitCode !== 0) throw new DokkuCommandError(step.args, result)
      created.push(step.resource ?? step.title)
    }
  })
  deps.outputs.set('app', target.app)
  const result: RunResult = {
    target,
    plan,
    outcome: 'destroyed',
    urls: [],
    created,
    present: presentOf(plan),
    phases: phases.list,
  }
  await deps.writeSummary(summaryOf(result, inputs, deps, sharedPlan, 'destroyed'))
  return result
}
