import * as core from '@actions/core'
import { ActionError, errorMessage } from '../errors.js'

/**
 * The single place an action run ends in failure. Each action's index.ts calls this with its
 * name and its `run`; user-fixable problems (ActionError) become one clear message, anything
 * else is reported as a bug. `core.setFailed` is called here and nowhere else.
 */
export async function runAction(actionName: string, main: () => Promise<void>): Promise<void> {
  try {
    await main()
  } catch (error) {
    core.setFailed(failureMessage(actionName, error))
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
    return `${actionName}: ${error.describe()}`
  }
  if (error instanceof Error && error.stack) core.debug(error.stack)
  return `${actionName} failed unexpectedly: ${errorMessage(error)}\nThis is a bug in ${actionName}; please report it with the log above (re-run with debug logging for a stack trace).`
}
