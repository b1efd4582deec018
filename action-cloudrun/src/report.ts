import type { Target } from './plan.js'
import type { OutputName } from './types.js'

/** The facts rows of a deploy's job summary (deployed or failed): what exists so far, and where its logs are. */
export function summaryFacts(
  report: Partial<Record<OutputName, string>>,
  traffic: string | undefined,
  target: Target | undefined,
): Array<[string, string]> {
  const facts: Array<[string, string]> = []
  if (report.revision) facts.push(['Revision', report.revision])
  if (report.image) facts.push(['Image', report.image])
  if (report['migration-execution']) facts.push(['Migrations', `job execution ${report['migration-execution']}`])
  else if (target && !target.migrate) facts.push(['Migrations', 'not run'])
  if (traffic) facts.push(['Traffic', traffic])
  if (report['log-url']) facts.push(['Logs', report['log-url']])
  return facts
}
