import { rm } from 'node:fs/promises'
import { reportedRun } from '@django-deploy/shared/github'
import type { DeploySummary } from '@django-deploy/shared/github'
import { renderPlan, type Plan, type PlanStep } from '@django-deploy/shared/plan'
import { GcloudError } from './gcloud.js'
import type { CloudRunInputs } from './inputs.js'
import { describeServiceArgs, gcloudSetupSteps, removeTagArgs, type PreviewRemoval } from './plan.js'
import { readService, trafficListingLine, type KnativeService, type TrafficPair } from './service.js'
import { makeWorkDir, openGcloud, phaseTimer } from './session.js'
import { ACTION, type Deps, type RunResult } from './types.js'

/**
 * A closed pull request's run: its preview tag is removed from the service, so the tag's URL stops
 * answering, and nothing is built, migrated or deployed. The tagged revision stays in the
 * service's list without traffic (it costs nothing; Cloud Run prunes old revisions). A tag or
 * service that is not there is success with a notice, so a re-run, or a pull request that never got
 * a preview, changes nothing.
 */
export async function removePreview(inputs: CloudRunInputs, removal: PreviewRemoval, deps: Deps): Promise<RunResult> {
  const { log } = deps
  const { tag, pullRequest } = removal
  const plan = removalPlan(inputs, removal)
  log.info(renderPlan(plan))
  const summary = (fields: Pick<DeploySummary, 'outcome' | 'reason' | 'facts' | 'phases'>): DeploySummary => ({
    action: ACTION,
    operation: 'remove',
    // The headline names what went away: the tag of the service, never the service itself.
    target: { kind: 'service', name: fields.outcome === 'skipped' ? inputs.service : `${inputs.service} (tag ${tag})` },
    environment: `preview of pull request #${pullRequest}`,
    plan,
    runUrl: deps.context?.runUrl,
    ...fields,
  })

  if (inputs.dryRun) {
    await deps.writeSummary(
      summary({ outcome: 'planned', reason: `pull request #${pullRequest} closed; nothing is built, migrated or deployed` }),
    )
    return { outcome: 'planned', urls: [], removal: { tag, removed: false }, plan }
  }

  log.info(
    `Pull request #${pullRequest} closed: removing its preview tag ${tag} from ${inputs.service}. Nothing is built, migrated or deployed.`,
  )
  const phases = phaseTimer(log, deps.now)
  const workDir = await makeWorkDir(deps.env)
  const facts: Array<[string, string]> = [['Tag', tag]]
  const failed = (reason: string) => summary({ outcome: 'failed', reason, facts, phases: phases.list })
  try {
    return await reportedRun({ writeSummary: deps.writeSummary, failed }, async () => {
      const { gcloud, project } = await openGcloud(inputs, deps, workDir, phases.time)
      const where = { project, region: inputs.region }
      const describe = describeServiceArgs(inputs, where)
      const described = await phases.time('Read service', () => gcloud.exec(describe))

      let reason: string
      let result: RunResult['removal'] = { tag, removed: false }
      if (described.exitCode !== 0) {
        if (!/Cannot find service/.test(described.stderr)) throw new GcloudError(describe, described)
        log.notice(
          `Nothing to remove: service ${inputs.service} does not exist in ${inputs.region} (project ${project}), so it has no tag ${tag}.`,
        )
        reason = `pull request #${pullRequest} closed; service ${inputs.service} does not exist, so there was no tag to remove (nothing changed)`
      } else {
        const service = readService(JSON.parse(described.stdout) as KnativeService)
        const tagged = service.tagged(tag)
        if (!tagged) {
          log.notice(
            `Nothing to remove: service ${inputs.service} has no tag ${tag} (removed by an earlier run, or never deployed).`,
          )
          reason = `pull request #${pullRequest} closed; the tag was already gone (nothing changed)`
          facts.push(['Traffic', service.trafficLine])
        } else {
          const pairs = await phases.time('Remove tag', () =>
            gcloud.json<TrafficPair[]>(removeTagArgs(inputs, where, tag), { timeoutMs: inputs.timeoutMs }),
          )
          const revision = tagged.revisionName
          log.info(
            `Removed tag ${tag}${revision ? ` from revision ${revision}` : ''}: its URL no longer answers. Traffic: ${trafficListingLine(pairs)}.`,
          )
          reason = `pull request #${pullRequest} closed; the tag's URL no longer answers`
          result = { tag, removed: true, revision }
          if (revision) facts.push(['Revision', `${revision} (kept, without traffic)`])
          facts.push(['Traffic', trafficListingLine(pairs)])
        }
      }
      await deps.writeSummary(summary({ outcome: 'removed', reason, facts, phases: phases.list }))
      return { outcome: 'removed', urls: [], removal: result, plan } satisfies RunResult
    })
  } finally {
    await rm(workDir, { recursive: true, force: true })
  }
}

/** The plan of a closed pull request's run, printed first and as the whole of a dry run. */
export function removalPlan(inputs: CloudRunInputs, removal: PreviewRemoval): Plan {
  const project = inputs.projectId ?? '<project of the credentials>'
  const where = { project, region: inputs.region }
  const steps: PlanStep[] = [
    ...gcloudSetupSteps(inputs),
    {
      kind: 'command',
      title: `Read the service: is the tag ${removal.tag} on it?`,
      detail: `gcloud ${describeServiceArgs(inputs, where).join(' ')}`,
    },
    {
      kind: 'command',
      title: `Remove the tag ${removal.tag} (its URL stops answering; the revision and production traffic stay)`,
      detail: `gcloud ${removeTagArgs(inputs, where, removal.tag).join(' ')}`,
      condition: 'only when the service has the tag; otherwise nothing changes',
    },
  ]
  return {
    action: ACTION,
    summary: [
      ['Service', `${inputs.service} (${inputs.region}, project ${project})`],
      ['Pull request', `#${removal.pullRequest} closed: its preview is removed`],
      ['Tag', removal.tag],
      ['Build, migrations, deploy', 'none'],
    ],
    files: [],
    steps,
  }
}
