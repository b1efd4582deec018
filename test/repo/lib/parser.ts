import { registerHooks } from 'node:module'

/**
 * GitHub's own parser for workflows and action metadata (@actions/workflow-parser, the one behind
 * the VS Code extension and github.com's editor), loaded so that Node accepts it: the package
 * imports its JSON schemas without `with { type: 'json' }`, which bundlers tolerate and Node refuses.
 */
registerHooks({
  load(url, context, nextLoad) {
    if (url.includes('/@actions/workflow-parser/') && url.endsWith('.json') && !context.importAttributes?.type) {
      return nextLoad(url, { ...context, importAttributes: { ...context.importAttributes, type: 'json' } })
    }
    return nextLoad(url, context)
  },
})

const workflows = await import('@actions/workflow-parser')
const actions = await import('@actions/workflow-parser/actions/index')

export type ActionTemplate = ReturnType<typeof actions.convertActionTemplate>

/** Every error GitHub's workflow parser reports for this file (schema, YAML, expressions). */
export function workflowErrors(name: string, content: string): string[] {
  const result = workflows.parseWorkflow({ name, content }, new workflows.NoOperationTraceWriter())
  const errors = result.context.errors.getErrors().map((error) => error.message)
  if (errors.length === 0 && !result.value) errors.push(`${name}: the parser returned no workflow`)
  return errors
}

/** action.yml through GitHub's action parser: its errors, and the typed template when there are none. */
export function parseActionFile(name: string, content: string): { errors: string[]; template?: ActionTemplate } {
  const result = actions.parseAction({ name, content }, new workflows.NoOperationTraceWriter())
  const errors = result.context.errors.getErrors().map((error) => error.message)
  if (errors.length > 0 || !result.value) return { errors: errors.length ? errors : [`${name}: the parser returned nothing`] }
  const template = actions.convertActionTemplate(result.context, result.value)
  const after = result.context.errors.getErrors().map((error) => error.message)
  return after.length ? { errors: after } : { errors: [], template }
}
