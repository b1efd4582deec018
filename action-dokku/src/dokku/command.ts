/**
 * Turning an argument list into the one command string SSH carries, the way Dokku will read it.
 *
 * Dokku's forced command runs `dokku $SSH_ORIGINAL_COMMAND`, then:
 *  - when the command word contains "git" (its test is the regex `git-*`, so `git:report`,
 *    `git-receive-pack`, but also any name with "git" in it), it re-runs itself with the string
 *    word-split on whitespace and NO quote processing: quotes would arrive as literal characters.
 *    Such arguments must be plain words; we refuse anything else instead of sending it mangled.
 *  - every other command is split by `xargs -n 1`: single quotes, double quotes and backslashes are
 *    honoured, but a newline can never be inside an argument. We single-quote every argument.
 *
 * Before either split, Dokku's `parse_args` scans every whitespace-separated word for `--trace`
 * (turns on `set -x`, which would print the arguments, secrets included), `--app NAME` (switches
 * the app!), `--force` and `--quiet`, wherever they are. So a value with such a word in it is
 * refused too. Secrets never travel as arguments anyway: config goes over stdin (config:import)
 * or base64-encoded (config:set --encoded), which cannot contain spaces.
 */
export class DokkuArgumentError extends Error {
  constructor(
    readonly argument: string,
    readonly why: string,
  ) {
    super(`cannot pass '${argument.length > 60 ? `${argument.slice(0, 60)}…` : argument}' to Dokku: ${why}`)
    this.name = 'DokkuArgumentError'
  }
}

/** Words Dokku acts on anywhere in the command line (plugins/common/functions parse_args). */
const GLOBAL_FLAG_WORDS = new Set(['--trace', '--app', '--force', '--quiet'])

/** Dokku's `[[ $1 =~ git-* ]]`: the command word contains "git". */
export function isGitFamily(command: string): boolean {
  return /git/.test(command)
}

export interface CommandLineOptions {
  /** Global flags put before the command on purpose (e.g. ['--force'] for apps:destroy). */
  globalFlags?: readonly string[]
  /** Flag words allowed as whole arguments, on purpose (`postgres:destroy SVC --force`). */
  allowFlags?: readonly string[]
}

export function commandLine(args: readonly string[], options: CommandLineOptions = {}): string {
  const [command, ...rest] = args
  if (command === undefined || !/^[a-z0-9][a-z0-9:_-]*$/.test(command))
    throw new DokkuArgumentError(command ?? '', 'not a Dokku command name')
  const flags = options.globalFlags ?? []
  for (const flag of flags)
    if (!GLOBAL_FLAG_WORDS.has(flag) || flag === '--app') throw new DokkuArgumentError(flag, 'not a global flag we use')
  for (const arg of rest) checkArgument(arg, options.allowFlags ?? [])
  if (isGitFamily(command)) {
    for (const arg of rest) {
      if (!/^[^\s'"\\`$]+$/.test(arg))
        throw new DokkuArgumentError(arg, 'git commands take plain words only (no spaces or quotes): Dokku does not unquote them')
    }
    return [...flags, command, ...rest].join(' ')
  }
  return [...flags, command, ...rest.map(quoteArgument)].join(' ')
}

function checkArgument(arg: string, allowed: readonly string[]): void {
  if (/[\n\r\0]/.test(arg))
    throw new DokkuArgumentError(arg, 'Dokku splits arguments with xargs, which cannot carry a line break inside one')
  if (allowed.includes(arg)) return
  for (const word of arg.split(/[ \t]+/)) {
    if (!GLOBAL_FLAG_WORDS.has(word)) continue
    if (word === arg) throw new DokkuArgumentError(arg, `'${word}' is one of Dokku's global flags wherever it appears`)
    throw new DokkuArgumentError(arg, `it contains the word '${word}', which Dokku would read as its own global flag`)
  }
}

/** Single-quote for xargs (same rules as POSIX sh for everything we send). Plain words stay bare. */
export function quoteArgument(arg: string): string {
  if (/^[A-Za-z0-9_./:=@%+,-]+$/.test(arg)) return arg
  return `'${arg.replace(/'/g, `'\\''`)}'`
}
