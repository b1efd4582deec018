import { DokkuCommandError } from './dokku/client.js'
import { reportResult } from './report.js'
import type { PlannedRun, RunResult } from './types.js'

/** A review app's end: the app (Dokku's pre-delete trigger drops its links), then its database service. */
export async function removePreview(run: PlannedRun): Promise<RunResult> {
  const { plan, deps, phases } = run
  const { dokku, log, target } = run.context
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
  return reportResult(run, { outcome: 'removed', urls: [], created })
}
