import * as core from '@actions/core'
import { renderPlan, type Plan } from '../plan.js'
import { code, codeBlock, codeLink, details, link, table, text, urlLink } from './markdown.js'
import type { SecretRegistry } from './secrets.js'

/**
 * The job summary: what a person opening the run wants to know, in the order they want it.
 * A headline in words ("Deployed blog to https://…"), the facts, what was created versus what
 * already existed, where the time went, warnings, and the full plan folded away. Every string
 * that came from the user or a remote goes through markdown.ts, and the finished text is checked
 * for secrets before it is written (summaries are not masked).
 */
/** `removed`: a preview (review app, alias, tagged revision) was torn down, e.g. when its pull request closed. */
export type DeployOutcome = 'deployed' | 'planned' | 'skipped' | 'failed' | 'removed'

export interface DeploySummary {
  /** The action, e.g. 'action-dokku'; shown in the footer. */
  action: string
  outcome: DeployOutcome
  /**
   * What the run does: deploy (the default) or remove a preview. Only the headline changes: a
   * dry run "would remove", a failure reads "Removing … failed".
   */
  operation?: 'deploy' | 'remove'
  /** What was deployed: a Dokku app, a Cloud Run service, a Netlify site. */
  target: { kind: 'app' | 'service' | 'site'; name: string }
  /** Where it can be reached. */
  url?: string
  /** Where it went when there is no URL yet ("Dokku server dokku.example.com"). Plain text. */
  destination?: string
  commit?: { sha: string; url?: string }
  environment?: string
  /** Further rows for the facts table. Plain text. */
  facts?: Array<[label: string, value: string]>
  /** Resources this run created ("app blog", "PostgreSQL service blog-db"). Plain text. */
  created?: string[]
  /** Resources that already existed (not created by this run). Plain text. */
  alreadyPresent?: string[]
  /** Phases in order; a part (`within` its phase) is a row under it, not counted in the total again. */
  phases?: Array<{ name: string; ms: number; within?: string }>
  warnings?: string[]
  /** Why it was skipped or failed, one sentence. Plain text. */
  reason?: string
  /**
   * What to do about a failure, and what is live now: the error's hint ("The deploy itself
   * succeeded and is live. Set http-check to …"). Plain text, shown right under the headline.
   */
  fix?: string
  plan?: Plan
  runUrl?: string
}

/** GitHub rejects a step summary over 1 MiB; the plan is the only part that can grow that big. */
const MAX_PLAN_CHARS = 200_000

export function renderSummary(summary: DeploySummary): string {
  const kind = { app: 'App', service: 'Service', site: 'Site' }[summary.target.kind]
  const parts: string[] = [`## ${headline(summary)}`]
  if (summary.fix) parts.push(`**What now:** ${text(summary.fix)}`)

  const facts: Array<[string, string]> = [[kind, code(summary.target.name)]]
  if (summary.url) facts.push(['URL', urlLink(summary.url)])
  if (summary.commit) facts.push(['Commit', codeLink(summary.commit.sha.slice(0, 7), summary.commit.url)])
  if (summary.environment) facts.push(['Environment', text(summary.environment)])
  for (const [label, value] of summary.facts ?? []) facts.push([text(label), text(value)])
  parts.push(table(['', ''], facts))

  if (summary.created?.length || summary.alreadyPresent?.length) {
    const list = (items: string[] | undefined): string[] =>
      items?.length ? items.map((item) => `- ${text(item)}`) : ['- nothing']
    parts.push(
      [
        '### Resources',
        '',
        '**Created by this run**',
        '',
        ...list(summary.created),
        '',
        '**Already present**',
        '',
        ...list(summary.alreadyPresent),
      ].join('\n'),
    )
  }

  const phases = summary.phases ?? []
  if (phases.length) {
    const top = phases.filter((phase) => phase.within === undefined)
    const rows = top.flatMap((phase) => [
      [text(phase.name), formatDuration(phase.ms)],
      ...phases
        .filter((part) => part.within === phase.name)
        .map((part) => [`&nbsp;&nbsp;↳ ${text(part.name)}`, formatDuration(part.ms)]),
    ])
    const total = top.reduce((sum, phase) => sum + phase.ms, 0)
    rows.push(['**Total**', `**${formatDuration(total)}**`])
    parts.push(['### Time', '', table(['Phase', 'Time'], rows)].join('\n'))
  }

  if (summary.warnings?.length) {
    parts.push(['### Warnings', '', ...summary.warnings.map((warning) => `- ${text(warning)}`)].join('\n'))
  }

  if (summary.plan) {
    let rendered = renderPlan(summary.plan)
    if (rendered.length > MAX_PLAN_CHARS)
      rendered = `${rendered.slice(0, MAX_PLAN_CHARS)}\n… (plan cut here; the full plan is in the log)`
    parts.push(details('Plan', codeBlock(rendered)))
  }

  const footer = [text(summary.action)]
  if (summary.runUrl) footer.push(link('workflow run', summary.runUrl))
  parts.push(`<sub>${footer.join(' · ')}</sub>`)
  return `${parts.join('\n\n')}\n`
}

function headline(summary: DeploySummary): string {
  const name = text(summary.target.name)
  const where = summary.url ? ` to ${urlLink(summary.url)}` : summary.destination ? ` to ${text(summary.destination)}` : ''
  const reason = summary.reason ? `: ${text(summary.reason)}` : ''
  const removing = summary.operation === 'remove'
  switch (summary.outcome) {
    case 'deployed':
      return `Deployed ${name}${where}`
    case 'planned':
      return removing
        ? `Dry run: would remove ${name}${reason} (nothing was changed)`
        : `Dry run: would deploy ${name}${where} (nothing was changed)`
    case 'skipped':
      return `Did not ${removing ? 'remove' : 'deploy'} ${name}${reason}`
    case 'failed':
      return `${removing ? 'Removing' : 'Deploying'} ${name} failed${reason}`
    case 'removed':
      return `Removed ${name}${reason}`
  }
}

/** "850 ms", "12.3 s", "2 min 05 s". */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`
  const seconds = Math.round(ms / 1000)
  return `${Math.floor(seconds / 60)} min ${String(seconds % 60).padStart(2, '0')} s`
}

export interface SummaryWriter {
  addRaw(text: string, addEOL?: boolean): SummaryWriter
  write(): Promise<unknown>
}

/**
 * Append the summary to `GITHUB_STEP_SUMMARY`. Refuses (throws) if it contains a secret. Returns
 * false without writing when there is no summary file (a local run); the summary is a report,
 * not the deploy, so its absence must not fail the job.
 */
export async function writeSummary(
  summary: DeploySummary,
  secrets: SecretRegistry,
  writer: SummaryWriter = core.summary,
  env = process.env,
): Promise<boolean> {
  const markdown = renderSummary(summary)
  secrets.assertClean(markdown, 'the job summary')
  if (writer === core.summary && !env.GITHUB_STEP_SUMMARY) return false
  await writer.addRaw(markdown, true).write()
  return true
}
