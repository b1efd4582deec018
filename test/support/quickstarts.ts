import { readFileSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parse } from 'yaml'

const README = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'README.md')

/**
 * README's Quickstarts, read from README.md itself, so the end-to-end tests run exactly the
 * workflow a reader copies: the `with:` of the step that uses the action, with each
 * `${{ secrets.X }}` / `${{ vars.X }}` replaced by the value a test gives for it (a key of the
 * stand-in, its host key). Any other expression, or a secret the test does not give, fails the
 * test: a Quickstart that grows an input the tests do not know about is noticed.
 */
export type QuickstartAction = 'action-dokku' | 'action-static' | 'action-cloudrun'

export interface Quickstart {
  /** The step's `with:`, as strings (YAML's `true` is the input "true", as GitHub passes it). */
  inputs: Record<string, string>
  /** The workflow's `on:` events. */
  events: string[]
  /** Everything the workflow's job runs before the action (`uses:` or `run:`), in order. */
  stepsBefore: string[]
}

interface Step {
  uses?: string
  run?: string
  with?: Record<string, unknown>
}

export function readQuickstart(action: QuickstartAction, values: Record<string, string>): Quickstart {
  const readme = readFileSync(README, 'utf8')
  const blocks = [...readme.matchAll(/^```yaml\n([\s\S]*?)^```$/gm)].map((match) => match[1] as string)
  const uses = `django-deploy/${action}@v1`
  const found = blocks
    .map((block) => parse(block) as { on?: unknown; jobs?: Record<string, { steps?: Step[] }> })
    .filter((workflow) => Object.values(workflow.jobs ?? {}).some((job) => job.steps?.some((step) => step.uses === uses)))
  if (found.length !== 1) throw new Error(`README.md has ${found.length} Quickstart workflows using ${uses}; expected one`)
  const workflow = found[0] as NonNullable<(typeof found)[number]>
  const steps = Object.values(workflow.jobs ?? {}).flatMap((job) => job.steps ?? [])
  const index = steps.findIndex((step) => step.uses === uses)
  const inputs: Record<string, string> = {}
  for (const [name, raw] of Object.entries(steps[index]?.with ?? {})) {
    const text = String(raw)
    inputs[name] = text.replace(/\$\{\{\s*([^}]+?)\s*\}\}/g, (_, expression: string) => {
      const value = values[expression]
      if (value === undefined)
        throw new Error(`README's ${action} Quickstart uses \${{ ${expression} }}; the test gives no value for it`)
      return value
    })
  }
  const on = workflow.on
  const events = typeof on === 'string' ? [on] : Array.isArray(on) ? on.map(String) : Object.keys(on ?? {})
  const stepsBefore = steps.slice(0, index).map((step) => step.uses ?? step.run ?? '')
  return { inputs, events, stepsBefore }
}
