/**
 * One typed error path for all three actions.
 *
 * `ActionError` is a problem the user can fix (bad input, unsupported project, remote refused); its
 * message says what was wrong and `hint` says how to fix it. Anything else that reaches the
 * top-level handler is a bug in our code and is reported as such, with a stack trace in debug logs.
 */
export interface SourceLocation {
  /** Path relative to the repository root, as GitHub annotations expect. */
  file: string
  line?: number
  column?: number
}

export interface ActionErrorOptions {
  /** The action input (kebab-case, as written in the workflow) that caused the problem, if any. */
  input?: string
  /** One or two sentences on how to fix it. */
  hint?: string
  /** Where in the user's repository the problem is; becomes a GitHub annotation. */
  location?: SourceLocation
  cause?: unknown
}

export class ActionError extends Error {
  readonly input?: string
  readonly hint?: string
  readonly location?: SourceLocation

  constructor(message: string, options: ActionErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'ActionError'
    this.input = options.input
    this.hint = options.hint
    this.location = options.location
  }

  /** The full text shown to the user: what, which input, how to fix. */
  describe(): string {
    const parts = [this.input ? `Input '${this.input}': ${this.message}` : this.message]
    if (this.hint) parts.push(this.hint)
    return parts.join('\n')
  }
}

/** An input failed validation. Thrown by each action's inputs.ts before any side effect happens. */
export class InputError extends ActionError {
  constructor(input: string, message: string, hint?: string) {
    super(message, { input, hint })
    this.name = 'InputError'
  }
}

/** A step ran past its time budget (the `timeout` input, or a per-step limit). */
export class TimeoutError extends ActionError {
  constructor(what: string, seconds: number, hint?: string) {
    super(`${what} did not finish within ${formatSeconds(seconds)}.`, { hint })
    this.name = 'TimeoutError'
  }
}

function formatSeconds(seconds: number): string {
  return seconds >= 120 && seconds % 60 === 0 ? `${seconds / 60} minutes` : `${seconds} s`
}

export function errorMessage(error: unknown): string {
  if (error instanceof ActionError) return error.describe()
  if (error instanceof Error) return error.message
  return String(error)
}
