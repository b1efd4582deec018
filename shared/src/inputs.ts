import path from 'node:path'
import * as core from '@actions/core'
import { InputError } from './errors.js'

/**
 * Reading and validating action inputs. Each action's inputs.ts uses these on an `InputSource`
 * (the real one reads `INPUT_*` through @actions/core; tests pass a plain object), so every input
 * error names the input, says what was wrong and how to fix it, before any side effect.
 */
export type InputSource = (name: string) => string

export const actionsInputSource: InputSource = (name) => core.getInput(name)

export function inputSourceFrom(values: Record<string, string | undefined>): InputSource {
  return (name) => (values[name] ?? '').trim()
}

export class InputReader {
  constructor(private readonly source: InputSource) {}

  /** The raw value, trimmed; '' when unset. */
  raw(name: string): string {
    return this.source(name).trim()
  }

  string(name: string, options: { required?: boolean; default?: string; hint?: string } = {}): string {
    const value = this.raw(name)
    if (value !== '') return value
    if (options.required) {
      throw new InputError(
        name,
        'is required but was not set.',
        options.hint ?? `Add '${name}:' under 'with:' in your workflow step.`,
      )
    }
    return options.default ?? ''
  }

  optional(name: string): string | undefined {
    const value = this.raw(name)
    return value === '' ? undefined : value
  }

  boolean(name: string, defaultValue: boolean): boolean {
    const value = this.raw(name).toLowerCase()
    if (value === '') return defaultValue
    if (['true', 'yes', 'on', '1'].includes(value)) return true
    if (['false', 'no', 'off', '0'].includes(value)) return false
    throw new InputError(name, `must be true or false, got '${this.raw(name)}'.`)
  }

  choice<T extends string>(name: string, choices: readonly T[], defaultValue: T): T {
    const value = this.raw(name).toLowerCase()
    if (value === '') return defaultValue
    const match = choices.find((choice) => choice === value)
    if (match === undefined) {
      throw new InputError(name, `must be one of ${choices.map((c) => `'${c}'`).join(', ')}, got '${this.raw(name)}'.`)
    }
    return match
  }

  integer(name: string, options: { default?: number; min?: number; max?: number } = {}): number | undefined {
    const value = this.raw(name)
    if (value === '') return options.default
    if (!/^-?\d+$/.test(value)) throw new InputError(name, `must be a whole number, got '${value}'.`)
    const number = Number(value)
    if (options.min !== undefined && number < options.min)
      throw new InputError(name, `must be at least ${options.min}, got ${number}.`)
    if (options.max !== undefined && number > options.max)
      throw new InputError(name, `must be at most ${options.max}, got ${number}.`)
    return number
  }

  /** A duration in minutes (may be fractional, e.g. 0.5), returned in milliseconds. */
  minutes(name: string, defaultMinutes: number): number {
    const value = this.raw(name)
    if (value === '') return defaultMinutes * 60_000
    const minutes = Number(value)
    if (!Number.isFinite(minutes) || minutes <= 0 || minutes > 360) {
      throw new InputError(name, `must be a number of minutes between 0 and 360, got '${value}'.`)
    }
    return Math.round(minutes * 60_000)
  }

  /**
   * A folder or file inside the repository (working-directory, output-dir...), as a POSIX path
   * relative to its root ('.' for the root itself); see repositoryPath.
   */
  path(name: string, options: { default?: string; workspace?: string } = {}): string {
    return repositoryPath(name, this.string(name, { default: options.default ?? '.' }), options.workspace)
  }

  /** A multi-line input: one item per non-empty line, `#` comment lines skipped. */
  lines(name: string): string[] {
    return this.source(name)
      .split(/\r?\n/)
      .map((line) => line.trim())
      .filter((line) => line !== '' && !line.startsWith('#'))
  }

  /** A multi-line input of KEY=VALUE pairs (see parseKeyValues). */
  keyValues(name: string): KeyValue[] {
    return parseKeyValues(this.source(name), name)
  }
}

export interface KeyValue {
  key: string
  value: string
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/

/**
 * Parse `KEY=VALUE` lines. Everything after the first `=` is the value, byte for byte (spaces,
 * quotes, `$`, further `=` are kept; no unquoting, no expansion). A value spanning several lines
 * uses the same heredoc form as $GITHUB_ENV:
 *
 *     KEY<<EOF
 *     line one
 *     line two
 *     EOF
 *
 * Blank lines and lines starting with `#` between pairs are ignored. A key given twice is an error,
 * because silently keeping one of them hides a mistake.
 */
export function parseKeyValues(text: string, inputName: string): KeyValue[] {
  const lines = text.replace(/\r\n/g, '\n').split('\n')
  const result: KeyValue[] = []
  const seen = new Set<string>()
  for (let index = 0; index < lines.length; index++) {
    const line = lines[index] ?? ''
    if (line.trim() === '' || line.trimStart().startsWith('#')) continue
    const heredoc = /^\s*([^=\s<]+)<<(\S+)\s*$/.exec(line)
    let key: string
    let value: string
    if (heredoc) {
      key = heredoc[1] ?? ''
      const delimiter = heredoc[2] ?? ''
      const body: string[] = []
      let closed = false
      while (++index < lines.length) {
        if (lines[index] === delimiter) {
          closed = true
          break
        }
        body.push(lines[index] ?? '')
      }
      if (!closed) {
        throw new InputError(
          inputName,
          `the value of ${key} starts with '<<${delimiter}' but no line '${delimiter}' ends it.`,
          `Close the multi-line value with a line containing only ${delimiter}.`,
        )
      }
      value = body.join('\n')
    } else {
      const equals = line.indexOf('=')
      if (equals < 0) {
        throw new InputError(
          inputName,
          `line ${index + 1} is not KEY=VALUE: '${line.trim().slice(0, 40)}'.`,
          'Write one KEY=VALUE per line; for a value over several lines use KEY<<EOF ... EOF.',
        )
      }
      key = line.slice(0, equals).trim()
      value = line.slice(equals + 1)
    }
    if (!ENV_NAME.test(key)) {
      throw new InputError(
        inputName,
        `'${key}' is not a valid variable name.`,
        'Names use letters, digits and underscores and do not start with a digit.',
      )
    }
    if (seen.has(key)) throw new InputError(inputName, `${key} is set twice.`, 'Keep one line per variable.')
    seen.add(key)
    result.push({ key, value })
  }
  return result
}

/**
 * The one reading of a path input that must stay inside the repository. A relative path is taken
 * from the repository root; an absolute one is accepted when it lies inside `workspace` (by default
 * $GITHUB_WORKSPACE, where the runner checks the repository out; '' for none) and made relative to it.
 * Backslashes count as separators, `./`, repeated and trailing slashes are dropped, and a `..` that
 * stays inside (`apps/../site`) is resolved. A path that leaves the repository is an InputError
 * naming the input. Nothing here touches the filesystem: symbolic links are not followed, and
 * whether the folder exists is for the caller to check.
 */
export function repositoryPath(name: string, value: string, workspace = process.env.GITHUB_WORKSPACE): string {
  const text = value.trim().replaceAll('\\', '/')
  const example = 'Give it relative to the repository root, e.g. apps/blog'
  if (text === '') return '.'
  let relative: string
  if (path.posix.isAbsolute(text)) {
    if (!workspace) {
      throw new InputError(
        name,
        `'${value}' is an absolute path, and GITHUB_WORKSPACE (the repository checkout) is not set to place it in.`,
        `${example}.`,
      )
    }
    const root = path.posix.resolve(workspace.replaceAll('\\', '/'))
    relative = path.posix.relative(root, path.posix.resolve(text))
    if (relative === '..' || relative.startsWith('../')) {
      throw new InputError(
        name,
        `'${value}' is outside the repository (${root}).`,
        `${example}, or as an absolute path under ${root} ($GITHUB_WORKSPACE).`,
      )
    }
  } else {
    relative = path.posix.normalize(text)
    if (relative === '..' || relative.startsWith('../')) {
      throw new InputError(name, `'${value}' points outside the repository: its '..' climbs above the root.`, `${example}.`)
    }
  }
  return relative.replace(/\/+$/, '').replace(/^\.\//, '') || '.'
}
