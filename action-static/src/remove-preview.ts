import type { GitHubClient } from '@django-deploy/shared/github'
import { commitUrl, type EventContext, type PullRequestInfo } from '@django-deploy/shared/github'
import { deactivateEnvironment } from '@django-deploy/shared/github'
import { renderPreviewComment, updateStickyComment } from '@django-deploy/shared/github'
import { reportedRun } from '@django-deploy/shared/github'
import { writeSummary, type DeploySummary } from '@django-deploy/shared/github'
import { renderPlan } from '@django-deploy/shared/plan'
import { Phases } from '@django-deploy/shared/runtime'
import { requireNetlifyCredentials, type Inputs } from './inputs.js'
import { netlifyForRun } from './netlify/api.js'
import { findSite } from './netlify/deploy.js'
import { emptyProgress, removeAliasDeploys } from './netlify/remove-alias.js'
import { buildRemovalPlan } from './plan.js'
import { decideTarget } from './target.js'
import { ACTION, type Deps, type PreviewRemovalReport, type RunResult } from './types.js'

/**
 * A pull request closed (`closedPullRequest` in target.ts): take its preview down instead of
 * building anything. Nothing here reads the working directory, so the job needs no checkout.
 *
 *   1. Netlify: delete every deploy of the preview's alias (netlify/remove-alias.ts), so
 *      `https://<alias>--<site>.netlify.app` stops serving. A site that does not exist (by name)
 *      is not created.
 *   2. GitHub: mark the preview environment's deployments inactive (GitHub then shows the
 *      transient environment as destroyed), and turn the sticky preview comment into a note that
 *      the preview is gone.
 *
 * Each step looks at the current state, so a second run finds nothing left and succeeds.
 */
export async function removePreview(
  inputs: Inputs,
  deps: Deps,
  context: EventContext,
  pullRequest: PullRequestInfo,
  /** Why this run cannot remove anything: GitHub gave it no secrets (main.ts, the shared event policy). */
  noSecrets?: string,
): Promise<RunResult> {
  const { log } = deps
  const decision = decideTarget(inputs, context, undefined)
  if (decision.target.kind !== 'alias')
    throw new Error(`a closed pull request must resolve to an alias, got ${decision.target.kind}`)
  const alias = decision.target.alias
  const aliasDecision = { ...decision, target: decision.target }
  const closed = `pull request #${pullRequest.number} was ${pullRequest.merged ? 'merged' : 'closed'}`
  const warnings = [...inputs.warnings]
  const summarise = (summary: Omit<DeploySummary, 'action' | 'runUrl' | 'commit'>): Promise<boolean> =>
    writeSummary(
      {
        action: ACTION,
        operation: 'remove',
        runUrl: context.runUrl,
        commit: context.sha ? { sha: context.sha, url: commitUrl(context, context.sha) } : undefined,
        ...summary,
      },
      deps.secrets,
      deps.summary,
      deps.env as NodeJS.ProcessEnv,
    )

  // A fork's (or Dependabot's) pull_request run has no secrets and a read-only token.
  if (noSecrets) {
    const reason = `${capitalise(closed)}, but this run cannot remove its preview ${alias}: ${noSecrets} Remove previews from a pull_request_target workflow (see "When a pull request closes" in the README).`
    log.warning(reason)
    await summarise({
      outcome: 'skipped',
      target: { kind: 'site', name: siteLabel(inputs) },
      reason,
      warnings: [...warnings, reason],
    })
    return { mode: inputs.mode, skipped: reason }
  }

  const credentials = requireNetlifyCredentials(inputs)
  // Without a token the comment and the deployments cannot be updated: an error, as for a deploy.
  const github: GitHubClient | undefined =
    (inputs.prComment || inputs.githubDeployment) && !inputs.dryRun ? deps.github(inputs.githubToken) : undefined
  log.info(`${capitalise(closed)}: removing its preview (alias ${alias}). Nothing is built.`)

  if (inputs.dryRun) {
    const plan = buildRemovalPlan({ inputs, decision: aliasDecision, pullRequest, site: credentials.site })
    log.info(renderPlan(plan))
    await summarise({
      outcome: 'planned',
      target: { kind: 'site', name: `alias ${alias} of ${siteLabel(inputs)}` },
      reason: closed,
      plan,
      warnings,
    })
    return { mode: inputs.mode, skipped: 'dry-run' }
  }

  const deadline = deps.now() + inputs.timeoutMs
  const api = netlifyForRun(credentials.token, { ...deps, log }, deadline)
  const phaseTimes = new Phases(deps.now)
  const phases = phaseTimes.list
  const timed = <T>(name: string, fn: () => Promise<T>): Promise<T> => phaseTimes.time(name, fn)
  const report: PreviewRemovalReport = { alias, environment: decision.environment, netlify: emptyProgress(), deactivated: [] }

  const outcome = (kind: 'removed' | 'failed', reason: string): DeploySummary => ({
    action: ACTION,
    operation: 'remove',
    outcome: kind,
    target: { kind: 'site', name: previewName(report, inputs) },
    environment: decision.environment,
    reason,
    facts: facts(report, inputs),
    phases,
    warnings,
  })
  const failed = (reason: string) => outcome('failed', reason)
  await reportedRun({ writeSummary: summarise, failed, beforeSummary: () => setOutputs(deps) }, async () => {
    report.site = await timed('Netlify site', () => findSite(api, credentials.site))
    if (report.site) {
      const site = report.site
      await timed(`Remove alias ${alias}`, () => removeAliasDeploys({ api, log, site, alias }, report.netlify))
      if (report.netlify.truncated)
        warnings.push(
          `Netlify listed ${report.netlify.found} deploys of ${alias} and the listing was cut there; re-run this job to remove any that remain.`,
        )
    } else {
      log.notice(`Netlify has no site named '${credentials.site.name}', so there is no preview to remove there.`)
    }
    if (report.netlify.found === 0 && report.site)
      log.notice(`Netlify: alias ${alias} of ${report.site.name} has no deploys: nothing to remove.`)

    if (github && inputs.githubDeployment) {
      report.deactivated = await timed('GitHub deployments', () =>
        deactivateEnvironment({
          client: github,
          repo: context.repo,
          environment: decision.environment,
          tokenInput: 'github-token',
        }),
      )
      log.info(
        report.deactivated.length
          ? `GitHub: ${report.deactivated.length} deployment${report.deactivated.length === 1 ? '' : 's'} of '${decision.environment}' marked inactive.`
          : `GitHub: no active deployment of '${decision.environment}'.`,
      )
    }
    if (github && inputs.prComment) {
      const key = report.site?.name ?? credentials.site.name ?? credentials.site.id ?? ''
      const comment = await timed('Pull request comment', () =>
        updateStickyComment({
          client: github,
          repo: context.repo,
          issueNumber: pullRequest.number,
          action: 'static',
          key,
          body: commentBody(key, alias, closed, context),
          secrets: deps.secrets,
          tokenInput: 'github-token',
        }),
      )
      report.comment = comment?.outcome ?? 'none'
      log.info(comment ? `Pull request comment ${comment.outcome}: ${comment.url}` : 'Pull request: no preview comment to edit.')
    }
  })

  setOutputs(deps)
  const gone = report.netlify.deleted.length + report.netlify.alreadyGone.length
  const reason = gone
    ? `${closed}; ${gone} Netlify deploy${gone === 1 ? '' : 's'} of alias ${alias} deleted`
    : `${closed}; alias ${alias} had no deploys left to delete`
  await summarise(outcome('removed', reason))
  return { mode: inputs.mode, removedPreview: report }
}

/** Nothing was deployed: no URL or deploy; nothing uploaded. */
function setOutputs(deps: Deps): void {
  deps.outputs.setAll({ url: '', 'deploy-url': '', 'deploy-id': '', 'files-uploaded': 0, 'files-unchanged': 0 })
}

function facts(report: PreviewRemovalReport, inputs: Inputs): Array<[string, string]> {
  const rows: Array<[string, string]> = [
    ['Netlify site', report.site?.name ?? `${siteLabel(inputs)} (not found)`],
    ['Alias', report.alias],
  ]
  const { deleted, alreadyGone, kept } = report.netlify
  rows.push(['Deleted deploys', deleted.length ? list(deleted.map((deploy) => deploy.id)) : 'none'])
  if (alreadyGone.length) rows.push(['Already gone', list(alreadyGone)])
  if (kept.length) rows.push(['Kept', list(kept.map(({ deploy, reason }) => `${deploy.id} (${reason})`))])
  if (inputs.githubDeployment)
    rows.push([
      'GitHub deployments made inactive',
      report.deactivated.length ? list(report.deactivated.map(String)) : 'none were active',
    ])
  if (report.comment) rows.push(['Pull request comment', report.comment])
  return rows
}

function capitalise(sentence: string): string {
  return sentence.charAt(0).toUpperCase() + sentence.slice(1)
}

function list(items: string[]): string {
  return items.length <= 10 ? items.join(', ') : `${items.slice(0, 10).join(', ')} and ${items.length - 10} more`
}

function previewName(report: PreviewRemovalReport, inputs: Inputs): string {
  return `${report.alias}--${report.site?.name ?? siteLabel(inputs)}.netlify.app`
}

function siteLabel(inputs: Inputs): string {
  return inputs.netlifySiteName ?? inputs.netlifySiteId ?? 'Netlify site'
}

/** Same marker as the preview comment (action 'static', the site name), so the one comment is edited. */
function commentBody(site: string, alias: string, closed: string, context: EventContext): string {
  return renderPreviewComment({
    title: `Preview of ${site} removed`,
    commit: { sha: context.sha, url: commitUrl(context, context.sha) },
    facts: [
      ['Why', closed],
      ['Alias', `${alias} (https://${alias}--${site}.netlify.app no longer serves it)`],
    ],
    runUrl: context.runUrl,
  })
}
