import { ActionError, errorMessage } from '../errors.js'
import type { DeploySummary } from './summary.js'

/**
 * Every kind of run (deploy, remove-preview) ends with a job summary, a failed one included. The
 * run's body throws; this writes the failed summary the caller describes (with what the run knew
 * when it stopped: its phases, facts, plan) and rethrows, so the one `setFailed` in runAction
 * still reports the error. A summary that cannot be written never hides the error that caused it.
 */
export interface ReportedRunOptions {
  writeSummary: (summary: DeploySummary) => Promise<unknown>
  /** The failed summary, built when the run fails: `reason` is the error's first line. */
  failed: (reason: string, error: unknown) => DeploySummary
  /** Work that must happen on failure before the summary (outputs a user needs to debug, a Deployment marked failed). */
  beforeSummary?: (error: unknown) => Promise<void> | void
}

export async function reportedRun<T>(options: ReportedRunOptions, body: () => Promise<T>): Promise<T> {
  try {
    return await body()
  } catch (error) {
    try {
      await options.beforeSummary?.(error)
      const summary = options.failed(failureReason(error), error)
      const fix = summary.fix ?? failureFix(error)
      await options.writeSummary(fix ? { ...summary, fix } : summary)
    } catch {
      // The run's own error is what the user needs; a failing summary or output must not replace it.
    }
    throw error
  }
}

/** One sentence for a summary's "why": the error's first line (an ActionError's message, without its hint). */
export function failureReason(error: unknown): string {
  const message = error instanceof ActionError ? error.message : `unexpected error: ${errorMessage(error)}`
  return message.split('\n')[0] ?? message
}

/** An ActionError's hint: what to do, and what the failure left live (the summary shows it under the headline). */
export function failureFix(error: unknown): string | undefined {
  return error instanceof ActionError && error.hint ? error.hint : undefined
}
