import * as core from '@actions/core'
import type { SecretRegistry } from './secrets.js'

/**
 * Step outputs, typed by the names an action declares in its action.yml. Values go through
 * `core.setOutput` (which appends to the `GITHUB_OUTPUT` file with a random heredoc delimiter, so
 * multi-line values are safe) after a leak check: outputs are not masked and travel to later
 * steps, jobs and logs, so one holding a registered secret is refused.
 *
 *     const outputs = new Outputs(['url', 'deployment-id'] as const, secrets)
 *     outputs.set('url', result.url)       // outputs.set('ulr', …) does not compile
 */
export type OutputValue = string | number | boolean

export class Outputs<Name extends string> {
  private readonly names: ReadonlySet<string>
  private readonly values = new Map<Name, string>()

  constructor(
    names: readonly Name[],
    private readonly secrets: SecretRegistry,
    private readonly setOutput: (name: string, value: string) => void = (name, value) => core.setOutput(name, value),
  ) {
    this.names = new Set(names)
  }

  /** Set one output; `undefined` leaves it unset (the workflow sees ''). */
  set(name: Name, value: OutputValue | undefined): void {
    if (!this.names.has(name)) {
      // Only reachable from untyped callers; an undeclared output would silently never be seen.
      throw new Error(`Output '${name}' is not declared; declared outputs: ${[...this.names].join(', ')}`)
    }
    if (value === undefined) return
    const text = String(value)
    this.secrets.assertClean(text, `step output '${name}'`)
    this.setOutput(name, text)
    this.values.set(name, text)
  }

  /** Set several at once; all are checked before any is written, so a refusal writes none. */
  setAll(values: Partial<Record<Name, OutputValue | undefined>>): void {
    const entries = Object.entries(values) as Array<[Name, OutputValue | undefined]>
    for (const [name, value] of entries) {
      if (value !== undefined) this.secrets.assertClean(String(value), `step output '${name}'`)
    }
    for (const [name, value] of entries) this.set(name, value)
  }

  /** What was written, for the summary and tests. */
  written(): ReadonlyMap<Name, string> {
    return this.values
  }
}
