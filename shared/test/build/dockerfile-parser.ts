/**
 * A small Dockerfile reader for tests: instructions with their arguments, line continuations
 * joined, comments dropped, grouped by stage. Strict on purpose: an unknown instruction or a
 * dangling continuation is an error, so a malformed generated file fails the test.
 */
export interface Instruction {
  keyword: string
  args: string
  line: number
}

export interface Stage {
  from: string
  name?: string
  instructions: Instruction[]
}

const KNOWN = new Set([
  'FROM',
  'RUN',
  'CMD',
  'LABEL',
  'EXPOSE',
  'ENV',
  'ADD',
  'COPY',
  'ENTRYPOINT',
  'VOLUME',
  'USER',
  'WORKDIR',
  'ARG',
  'ONBUILD',
  'STOPSIGNAL',
  'HEALTHCHECK',
  'SHELL',
])

export function parseDockerfile(text: string): Instruction[] {
  const instructions: Instruction[] = []
  const lines = text.split('\n')
  let pending: { parts: string[]; line: number } | undefined
  lines.forEach((raw, index) => {
    if (pending === undefined && (raw.trim() === '' || raw.trimStart().startsWith('#'))) return
    if (pending !== undefined && raw.trimStart().startsWith('#')) return // comments inside continuations are allowed
    const continued = raw.endsWith('\\')
    const body = continued ? raw.slice(0, -1) : raw
    pending = pending ?? { parts: [], line: index + 1 }
    pending.parts.push(body.trim())
    if (!continued) {
      const joined = pending.parts.join(' ')
      const match = /^([A-Za-z]+)\s+([\s\S]*)$/.exec(joined)
      if (!match?.[1] || match[2] === undefined) throw new Error(`line ${pending.line}: not an instruction: ${joined}`)
      const keyword = match[1].toUpperCase()
      if (!KNOWN.has(keyword)) throw new Error(`line ${pending.line}: unknown instruction ${keyword}`)
      instructions.push({ keyword, args: match[2].trim(), line: pending.line })
      pending = undefined
    }
  })
  if (pending !== undefined) throw new Error('the file ends inside a line continuation')
  return instructions
}

export function stagesOf(text: string): Stage[] {
  const stages: Stage[] = []
  for (const instruction of parseDockerfile(text)) {
    if (instruction.keyword === 'FROM') {
      const [from = '', as, name] = instruction.args.split(/\s+/)
      stages.push({ from, ...(as?.toUpperCase() === 'AS' && name ? { name } : {}), instructions: [] })
    } else {
      const stage = stages.at(-1)
      if (!stage) throw new Error(`line ${instruction.line}: ${instruction.keyword} before FROM`)
      stage.instructions.push(instruction)
    }
  }
  return stages
}

/** ENV arguments as a record ("A=1 B=2", continuations already joined). */
export function envOf(args: string): Record<string, string> {
  const env: Record<string, string> = {}
  for (const match of args.matchAll(/([A-Za-z_][A-Za-z0-9_]*)=("[^"]*"|\S*)/g)) {
    if (match[1]) env[match[1]] = (match[2] ?? '').replace(/^"|"$/g, '')
  }
  return env
}
