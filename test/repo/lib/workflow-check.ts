import { parse } from 'yaml'
import type { ActionSpec } from '../../../scripts/action-docs.js'

/**
 * What GitHub's parser cannot know: whether a workflow uses *our* actions correctly. For every
 * step that uses action-dokku/static/cloudrun (as `./action-x` or `owner/action-x@ref`): its
 * `with:` keys are inputs of that action, its required inputs are given, and every
 * `steps.<id>.outputs.<name>` / `needs.<job>.outputs.<name>` the workflow reads exists.
 */
export interface Problem {
  job: string
  message: string
}

type Mapping = Record<string, unknown>
const isMapping = (value: unknown): value is Mapping => typeof value === 'object' && value !== null && !Array.isArray(value)

/** `./action-dokku`, `django-deploy/action-dokku@v1`, `someone/action-static@main` → the action's folder name. */
export function ourAction(uses: string): string | undefined {
  return /^(?:\.\/|[\w.-]+\/)(action-(?:dokku|static|cloudrun))(?:@[\w./-]+)?$/.exec(uses.trim())?.[1]
}

/** Every string inside a value (keys and values), for finding expressions. */
function strings(value: unknown): string[] {
  if (typeof value === 'string') return [value]
  if (Array.isArray(value)) return value.flatMap(strings)
  if (isMapping(value)) return Object.entries(value).flatMap(([key, inner]) => [key, ...strings(inner)])
  return []
}

const STEP_OUTPUT = /\bsteps\.([A-Za-z_][\w-]*)\.outputs(?:\.([A-Za-z_][\w-]*)|\[\s*'([^']+)'\s*\])/g
const NEEDS_OUTPUT = /\bneeds\.([A-Za-z_][\w-]*)\.outputs(?:\.([A-Za-z_][\w-]*)|\[\s*'([^']+)'\s*\])/g

export interface Usage {
  job: string
  stepId?: string
  action: string
  with: string[]
}

export function checkWorkflow(text: string, actions: ReadonlyMap<string, ActionSpec>): { problems: Problem[]; usages: Usage[] } {
  const workflow = parse(text) as Mapping
  const problems: Problem[] = []
  const usages: Usage[] = []
  const jobs = isMapping(workflow.jobs) ? workflow.jobs : {}
  const jobOutputs = new Map<string, Set<string>>()
  for (const [name, job] of Object.entries(jobs))
    jobOutputs.set(name, new Set(isMapping(job) && isMapping(job.outputs) ? Object.keys(job.outputs) : []))

  for (const [jobName, job] of Object.entries(jobs)) {
    if (!isMapping(job)) continue
    const steps = Array.isArray(job.steps) ? job.steps.filter(isMapping) : []
    // Outputs each step id offers: ours from action.yml; any other step's are unknown (not checked).
    const offered = new Map<string, Set<string> | undefined>()
    for (const step of steps) {
      const uses = typeof step.uses === 'string' ? step.uses : undefined
      const action = uses ? ourAction(uses) : undefined
      const id = typeof step.id === 'string' ? step.id : undefined
      if (id) offered.set(id, action ? new Set(actions.get(action)?.outputs.map((output) => output.name)) : undefined)
      if (!action) continue
      const spec = actions.get(action)
      if (!spec) {
        problems.push({ job: jobName, message: `uses ${uses}, an action this repository does not have` })
        continue
      }
      const given = isMapping(step.with) ? Object.keys(step.with) : []
      usages.push({ job: jobName, stepId: id, action, with: given })
      const known = new Set(spec.inputs.map((input) => input.name))
      for (const key of given)
        if (!known.has(key)) problems.push({ job: jobName, message: `${action} has no input '${key}' (step ${id ?? uses})` })
      for (const input of spec.inputs) {
        if (input.required && input.default === undefined && !given.includes(input.name))
          problems.push({ job: jobName, message: `${action} needs input '${input.name}' (step ${id ?? uses})` })
      }
    }
    for (const text of strings(job)) {
      for (const match of text.matchAll(STEP_OUTPUT)) {
        const [, id = '', dotted, bracketed] = match
        const name = dotted ?? bracketed ?? ''
        if (!offered.has(id))
          problems.push({
            job: jobName,
            message: `reads steps.${id}.outputs.${name}, but job ${jobName} has no step with id '${id}'`,
          })
        else if (offered.get(id) && !offered.get(id)?.has(name))
          problems.push({ job: jobName, message: `reads steps.${id}.outputs.${name}, which that action does not output` })
      }
      for (const match of text.matchAll(NEEDS_OUTPUT)) {
        const [, needed = '', dotted, bracketed] = match
        const name = dotted ?? bracketed ?? ''
        if (!jobOutputs.has(needed))
          problems.push({ job: jobName, message: `reads needs.${needed}.outputs.${name}, but there is no job '${needed}'` })
        else if (!jobOutputs.get(needed)?.has(name))
          problems.push({ job: jobName, message: `reads needs.${needed}.outputs.${name}, which job ${needed} does not declare` })
      }
    }
  }
  return { problems, usages }
}

export interface FencedBlock {
  lang: string
  /** 1-based line of the first line of content. */
  line: number
  content: string
}

/** Fenced code blocks of a Markdown file (``` or ~~~), with their info string's language. */
export function fencedBlocks(markdown: string): FencedBlock[] {
  const blocks: FencedBlock[] = []
  const lines = markdown.split('\n')
  let open: { fence: string; lang: string; line: number; body: string[] } | undefined
  lines.forEach((line, index) => {
    const match = /^(\s{0,3})(`{3,}|~{3,})\s*([\w+-]*)/.exec(line)
    if (!open && match) {
      open = { fence: match[2] ?? '```', lang: (match[3] ?? '').toLowerCase(), line: index + 2, body: [] }
    } else if (open && match && (match[2] ?? '').startsWith(open.fence) && line.trim() === match[2]) {
      blocks.push({ lang: open.lang, line: open.line, content: `${open.body.join('\n')}\n` })
      open = undefined
    } else if (open) {
      open.body.push(line)
    }
  })
  return blocks
}
