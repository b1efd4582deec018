import { ActionError } from '@django-deploy/shared/errors'
import type { ExecOptions, ExecResult } from '../ssh/connection.js'
import { commandLine, type CommandLineOptions } from './command.js'
import { dokkuErrors } from './output.js'

/**
 * Dokku commands as argument lists, over any executor (the SSH session in real runs). Each call
 * builds the one command string Dokku parses correctly (command.ts), and failures become an
 * ActionError that quotes Dokku's own ` !     ` lines.
 */
export interface Executor {
  exec(command: string, options?: ExecOptions): Promise<ExecResult>
}

export interface DokkuResult extends ExecResult {
  /** The command line that was sent (arguments already quoted for Dokku). */
  line: string
}

export interface RunOptions extends CommandLineOptions, ExecOptions {}

/** A Dokku command exited non-zero; the message quotes what Dokku said. */
export class DokkuCommandError extends ActionError {
  constructor(
    readonly args: readonly string[],
    readonly result: DokkuResult,
    hint?: string,
  ) {
    const said = dokkuErrors(result.stderr)
    const text =
      said.length > 0
        ? said.join(' / ')
        : (result.stderr.trim() || result.stdout.trim()).split('\n').slice(-3).join(' / ') || `exit code ${result.exitCode}`
    super(`dokku ${args[0]} failed (exit ${result.exitCode}): ${text}`, { hint })
    this.name = 'DokkuCommandError'
  }
}

export class Dokku {
  /** Every command sent, in order (for the log and tests). */
  readonly sent: string[] = []

  constructor(private readonly executor: Executor) {}

  async run(args: readonly string[], options: RunOptions = {}): Promise<DokkuResult> {
    const line = commandLine(args, options)
    this.sent.push(line)
    const result = await this.executor.exec(line, options)
    return { ...result, line }
  }

  /** Run and require exit 0. */
  async must(args: readonly string[], options: RunOptions & { hint?: string } = {}): Promise<DokkuResult> {
    const result = await this.run(args, options)
    if (result.exitCode !== 0) throw new DokkuCommandError(args, result, options.hint)
    return result
  }
}
