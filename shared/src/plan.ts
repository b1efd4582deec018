/**
 * A deploy plan: what a run would do, step by step. Every action builds one before acting;
 * `dry-run: true` prints it and stops, a real run prints it and then carries it out. Keeping the
 * plan as data (not log lines) lets tests assert the exact commands and requests.
 */
export interface GeneratedFile {
  /** Path inside the deploy artifact, relative to the deployed directory. */
  path: string
  content: string
  /** Why the file is generated, e.g. "no Dockerfile in the repository". */
  reason: string
  /**
   * Replaces the repository's own file of that path in the deploy artifact only (the deployed
   * requirements.txt with what the buildpack must also install); without it a collision is an error.
   */
  overwrite?: boolean
  /** Mode 100755 in the deploy artifact (a buildpack hook such as bin/post_compile). */
  executable?: boolean
}

export type PlanStepKind = 'command' | 'ssh' | 'http' | 'git' | 'file' | 'check'

export interface PlanStep {
  kind: PlanStepKind
  /** One line a person can read: "Create app 'blog' (apps:create blog)". */
  title: string
  /** The exact command line / request line, with secrets already replaced by "***". */
  detail?: string
  /** Steps skipped because the state is already right are still listed, marked here. */
  condition?: string
}

export interface Plan {
  action: string
  /** Short facts shown first: project, settings module, target. */
  summary: Array<[label: string, value: string]>
  files: GeneratedFile[]
  steps: PlanStep[]
}

export function renderPlan(plan: Plan): string {
  const lines: string[] = [`${plan.action} plan`]
  const width = Math.max(0, ...plan.summary.map(([label]) => label.length))
  for (const [label, value] of plan.summary) lines.push(`  ${label.padEnd(width)}  ${value}`)
  lines.push(
    '',
    plan.files.length ? 'Files it would generate (inside the deploy artifact only):' : 'Files it would generate: none',
  )
  for (const file of plan.files) lines.push(`  + ${file.path}  (${file.reason}, ${Buffer.byteLength(file.content)} bytes)`)
  lines.push('', 'Steps:')
  plan.steps.forEach((step, index) => {
    lines.push(`  ${index + 1}. ${step.title}${step.condition ? `  [${step.condition}]` : ''}`)
    if (step.detail) lines.push(`       ${step.detail}`)
  })
  return lines.join('\n')
}
