import * as core from '@actions/core'
import { ActionError, errorMessage } from '../errors.js'
import type { SecretRegistry } from './secrets.js'

/**
 * The single place an action run ends in failure. Each action's index.ts calls this with its
 * name and its `run`; user-fixable problems (ActionError) become one clear message, anything
 * else is reported as a bug. `core.setFailed` is called here and nowhere else.
 */
export interface RunActionOptions {
  /** Redact registered secrets from the failure message (defence in depth: error text often quotes remote output). */
  secrets?: SecretRegistry
}

export async function runAction(actionName: string, main: () => Promise<unknown>, options: RunActionOptions = {}): Promise<void> {
  try {
    await main()
  } catch (error) {
    const message = failureMessage(actionName, error)
    core.setFailed(options.secrets ? options.secrets.redact(message) : message)
  }
}

export function failureMessage(actionName: string, error: unknown): string {
  if (error instanceof ActionError) {
    if (error.location) {
      core.error(error.message, {
        file: error.location.file,
        startLine: error.location.line,
        startColumn: error.location.column,
      })
    }
    // The underlying error (an HTTP response, a failed spawn) helps a maintainer, not the user:
    // it goes to the debug log, visible when the job is re-run with debug logging.
    for (const line of causeChain(error)) core.debug(line)
    return `${actionName}: ${error.describe()}`
  }
  if (error instanceof Error && error.stack) core.debug(error.stack)
  return `${actionName} failed unexpectedly: ${errorMessage(error)}\nThis is a bug in ${actionName}; please report it with the log above (re-run with debug logging for a stack trace).`
}

/** "caused by: ..." lines for each nested `cause`, with HTTP status and URL when there is one. */
export function causeChain(error: Error): string[] {
  const lines: string[] = []
  let cause: unknown = error.cause
  for (let depth = 0; cause !== undefined && depth < 5; depth++) {
    const request = (cause as { request?: { method?: string; url?: string } }).request
    const status = (cause as { status?: unknown }).status
    const where = request?.url
      ? ` (${request.method ?? ''} ${request.url}${typeof status === 'number' ? ` → ${status}` : ''})`
      : ''
    lines.push(`caused by: ${cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause)}${where}`)
    cause = cause instanceof Error ? cause.cause : undefined
  }
  return lines
}
