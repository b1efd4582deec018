import { readFileSync } from 'node:fs'
import { closeMatch } from './suggest.js'

/**
 * Command-line parsing the way gcloud 578 parses (calliope on argparse), for the commands in
 * surface.json. surface.json was generated from gcloud's own parser objects (see README.md), so
 * every real flag of these commands is known, with its arity, choices, whether it is required
 * and which flags exclude each other. Errors carry gcloud's wording and exit codes: 2 for a
 * command line gcloud rejects while parsing, 1 for errors raised while the command runs.
 */
export type FlagKind = 'value' | 'switch' | 'negatable' | 'negated'

export interface FlagSpec {
  kind: FlagKind
  choices?: string[]
  required?: boolean
  hidden?: boolean
  global?: boolean
}

export interface CommandSpec {
  positionals: Array<{ name: string; nargs: string | null; required: boolean }>
  /** Mutually exclusive groups; a nested array is a sub-group whose flags may be used together. */
  mutex: Array<Array<string | string[]>>
  flags: Record<string, FlagSpec>
}

export const SURFACE: Record<string, CommandSpec> = JSON.parse(readFileSync(new URL('./surface.json', import.meta.url), 'utf8'))

/** A failure, printed as gcloud prints it (stderr, exit code). */
export class GcloudFailure extends Error {
  // Plain fields, not parameter properties: Node runs this file with type stripping only.
  readonly stderr: string
  readonly exitCode: number
  constructor(stderr: string, exitCode: number) {
    super(stderr)
    this.stderr = stderr
    this.exitCode = exitCode
  }
}

const HELP_SEARCH_HINT = 'To search the help text of gcloud commands, run:\n  gcloud help -- SEARCH_TERMS'

/** `ERROR: (gcloud.run.deploy) message`, exit 1: what gcloud prints for an error while running. */
export function runError(dotted: string, message: string, exitCode = 1): GcloudFailure {
  return new GcloudFailure(`ERROR: (${dotted}) ${message}\n`, exitCode)
}

/** Positionals that are part of a resource concept: gcloud names the whole concept in errors. */
const CONCEPT_USAGE: Record<string, string> = {
  'run services describe': '(SERVICE : --namespace=NAMESPACE)',
  'run revisions describe': '(REVISION : --namespace=NAMESPACE)',
  'artifacts repositories describe': '(REPOSITORY : --location=LOCATION)',
  'artifacts repositories create': '(REPOSITORY : --location=LOCATION)',
}

export interface ParsedCommand {
  /** 'run deploy' */
  name: string
  /** 'gcloud.run.deploy' */
  dotted: string
  positionals: string[]
  /** Flag values by flag name; switches are true, `--no-x` stores false under `--x`. */
  flags: Map<string, string | boolean>
  /** Every flag used, as given (`--no-cpu-boost` stays `--no-cpu-boost`). */
  used: string[]
}

function parseError(dotted: string, name: string, message: string): GcloudFailure {
  const usage = `Usage: gcloud ${name} [optional flags]\n\nFor detailed information on this command and its flags, run:\n  gcloud ${name} --help\n`
  return new GcloudFailure(`ERROR: (${dotted}) ${message}\n${usage}`, 2)
}

function dottedOf(words: string[]): string {
  return ['gcloud', ...words].join('.')
}

/** Which modelled command the leading words name; errors for a group or an unknown word. */
function resolveCommand(words: string[]): { name: string; rest: string[] } {
  const names = Object.keys(SURFACE)
  for (let length = words.length; length > 0; length--) {
    const name = words.slice(0, length).join(' ')
    if (SURFACE[name]) return { name, rest: words.slice(length) }
  }
  // Deepest group the words reach.
  let depth = 0
  while (depth < words.length && names.some((name) => name.startsWith(`${words.slice(0, depth + 1).join(' ')} `))) depth++
  const group = words.slice(0, depth)
  const groupDotted = dottedOf(group)
  const word = words[depth]
  if (word === undefined) {
    throw new GcloudFailure(`ERROR: (${groupDotted}) Command name argument expected.\n`, 2)
  }
  const prefix = group.length ? `${group.join(' ')} ` : ''
  const children = [
    ...new Set(names.filter((name) => name.startsWith(prefix)).map((name) => name.slice(prefix.length).split(' ')[0] ?? '')),
  ].sort()
  const lines = [`ERROR: (${groupDotted}) Invalid choice: '${word}'.`]
  if (children.length) lines.push('Maybe you meant:', ...children.map((child) => `  gcloud ${prefix}${child}`))
  lines.push('', HELP_SEARCH_HINT)
  throw new GcloudFailure(`${lines.join('\n')}\n`, 2)
}

function looksLikeFlag(token: string): boolean {
  // argparse treats "-5" as a value (no flag of ours looks like a negative number).
  return token.startsWith('-') && !/^-\d+(\.\d+)?$/.test(token) && token !== '-'
}

export function parseCommandLine(argv: readonly string[]): ParsedCommand {
  const words: string[] = []
  let index = 0
  while (index < argv.length && !looksLikeFlag(argv[index] ?? '')) words.push(argv[index++] ?? '')
  if (words.length === 0 && argv.length === 0) throw new GcloudFailure('ERROR: (gcloud) Command name argument expected.\n', 2)
  const { name, rest } = resolveCommand(words)
  const spec = SURFACE[name] as CommandSpec
  const dotted = dottedOf(name.split(' '))
  const flags = new Map<string, string | boolean>()
  const used: string[] = []
  const positionals = [...rest]
  const unknown: string[] = []
  const tokens = argv.slice(index)
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i] ?? ''
    if (token === '--') {
      positionals.push(...tokens.slice(i + 1))
      break
    }
    if (!looksLikeFlag(token)) {
      positionals.push(token)
      continue
    }
    const equals = token.indexOf('=')
    const flag = equals > 0 ? token.slice(0, equals) : token
    const inline = equals > 0 ? token.slice(equals + 1) : undefined
    const flagSpec = spec.flags[flag]
    if (!flagSpec) {
      unknown.push(token)
      continue
    }
    used.push(flag)
    if (flagSpec.kind === 'value') {
      let value = inline
      if (value === undefined) {
        const next = tokens[i + 1]
        if (next === undefined || looksLikeFlag(next)) throw parseError(dotted, name, `argument ${flag}: expected one argument`)
        value = next
        i++
      }
      if (flagSpec.choices && !flagSpec.choices.includes(value)) {
        const suggestion = closeMatch(value, flagSpec.choices)
        throw parseError(
          dotted,
          name,
          `argument ${flag}: Invalid choice: '${value}'.${suggestion ? ` Did you mean '${suggestion}'?` : ''}`,
        )
      }
      flags.set(flag, value)
    } else {
      if (inline !== undefined) throw parseError(dotted, name, `argument ${flag}: ignored explicit argument '${inline}'`)
      if (flagSpec.kind === 'negated') flags.set(`--${flag.slice('--no-'.length)}`, false)
      else flags.set(flag, true)
    }
  }

  const allowed = spec.positionals.length
  if (positionals.length > allowed) unknown.push(...positionals.splice(allowed))
  if (unknown.length) throw unrecognized(dotted, spec, unknown)

  for (const [flag, flagSpec] of Object.entries(spec.flags)) {
    if (flagSpec.required && !flags.has(flag)) throw parseError(dotted, name, `argument ${flag}: Must be specified.`)
  }
  spec.positionals.forEach((positional, position) => {
    if (positional.required && positionals[position] === undefined) {
      throw parseError(dotted, name, `argument ${CONCEPT_USAGE[name] ?? positional.name}: Must be specified.`)
    }
  })
  checkMutex(
    dotted,
    name,
    spec,
    new Set(used.map((flag) => (spec.flags[flag]?.kind === 'negated' ? `--${flag.slice(5)}` : flag))),
  )
  return { name, dotted, positionals, flags, used }
}

/** calliope's OptionalMutexError: "argument X: At most one of A | B | C D can be specified." */
function checkMutex(dotted: string, name: string, spec: CommandSpec, used: Set<string>): void {
  for (const group of spec.mutex) {
    const present = group.filter((member) =>
      typeof member === 'string' ? used.has(member) : member.some((flag) => used.has(flag)),
    )
    if (present.length < 2) continue
    // The argument named is the first specified one in gcloud's sort order (flags before groups).
    const first = present[0] as string | string[]
    const argument = typeof first === 'string' ? first : first.join(' ')
    const conflict = group.map((member) => (typeof member === 'string' ? member : member.join(' '))).join(' | ')
    throw parseError(dotted, name, `argument ${argument}: At most one of ${conflict} can be specified.`)
  }
}

/** parser_extensions._Suggest: one unknown argument on the error line, several on lines of their own. */
function unrecognized(dotted: string, spec: CommandSpec, unknown: string[]): GcloudFailure {
  const choices = Object.keys(spec.flags).filter((flag) => !spec.flags[flag]?.hidden)
  const messages: string[] = []
  for (const arg of unknown) {
    const [flag, value] = arg.split('=', 2)
    const suggestion = flag && (flag.startsWith('--') || value) ? closeMatch(flag.toLowerCase(), choices) : undefined
    const message = suggestion ? `${arg} (did you mean '${suggestion}'?)` : arg
    if (!messages.includes(message)) messages.push(message)
  }
  const [separator, prefix] = messages.length > 1 ? ['\n  ', ''] : [' ', '\n\n']
  messages.push(`${prefix}${HELP_SEARCH_HINT}`)
  return new GcloudFailure(`ERROR: (${dotted}) unrecognized arguments:${separator}${messages.join(separator)}\n`, 2)
}

/** A flag's string value, or undefined. */
export function flagValue(parsed: ParsedCommand, flag: string): string | undefined {
  const value = parsed.flags.get(flag)
  return typeof value === 'string' ? value : undefined
}

/** A switch: true, false (`--no-x`) or undefined (not given). */
export function flagSwitch(parsed: ParsedCommand, flag: string): boolean | undefined {
  const value = parsed.flags.get(flag)
  return typeof value === 'boolean' ? value : undefined
}
