import { fileURLToPath } from 'node:url'
import { ActionError } from '../errors.js'
import type { CommandRunner } from '../runtime/command.js'
import type { JsonValue, SettingValue } from './model.js'

/**
 * The TypeScript side of inspect_settings.py: run Python's own parser over many files in one
 * process and return typed facts. Python only parses here (the `ast` module), it never imports
 * or executes the project's code. The decisions stay in TypeScript, where they are unit-tested.
 */

/** A module-level statement that matters for settings, in source order. */
export type SettingsEvent =
  | {
      type: 'assign'
      name: string
      value: SettingValue
      /** For `A + B + ["x"]` / `["x", *A]`: the operands, so known lists can be joined in TypeScript. */
      concat?: ConcatOperand[]
      line: number
      conditional: boolean
      /** Environment variables the enclosing `if` tests read (`if os.environ.get("DB") == "mysql":`). */
      dependsOn?: string[]
    }
  | {
      type: 'update'
      name: string
      op: 'append' | 'insert' | 'extend' | 'prepend' | 'remove' | 'set-item' | 'update'
      keys?: JsonValue[]
      index?: JsonValue
      value: JsonValue
      line: number
      conditional: boolean
    }
  | { type: 'star-import'; module: string; level: number; line: number; conditional: boolean }

export type ConcatOperand = { name: string } | { items: JsonValue[] }

export interface SettingsDefaultCall {
  line: number
  /** `setdefault` (manage.py, wsgi.py) or a forced `os.environ[...] = ...` assignment. */
  how: 'setdefault' | 'assign'
  /** The module, when the second argument is a string literal. */
  module?: string
  expression?: string
}

export interface SysPathAddition {
  line: number
  source: string
  /** The string literals inside the added expression ("src" in `BASE_DIR / "src"`). */
  strings: string[]
}

export interface UnsupportedPattern {
  pattern: 'django-configurations' | 'split-settings' | 'exec' | 'dynamic-import'
  line: number
  detail: string
}

export interface ParsedPythonFile {
  events: SettingsEvent[]
  settingsDefaults: SettingsDefaultCall[]
  sysPath: SysPathAddition[]
  unsupported: UnsupportedPattern[]
  definesAll: boolean
  /** Environment variables read at import with no default, where an unset one stops the import. */
  requiredEnv: Array<{ variable: string; line: number; how: string }>
}

export interface PythonParseError {
  /** "SyntaxError", "IndentationError", or an I/O error type. */
  type: string
  /** Python's own message, e.g. "'(' was never closed". */
  message: string
  line?: number
  column?: number
  /** The offending source line. */
  text?: string
}

export type InspectResult = ParsedPythonFile | { error: PythonParseError }

export function isParseError(result: InspectResult): result is { error: PythonParseError } {
  return 'error' in result
}

/** ncc copies this asset next to the bundle and rewrites the URL; in tests it is the source file. */
const SCRIPT = new URL('./inspect_settings.py', import.meta.url)

/** Parse `files` (absolute paths) in one Python process. Results come back in the same order. */
export async function inspectPythonFiles(
  runner: CommandRunner,
  python: string,
  files: readonly string[],
): Promise<InspectResult[]> {
  if (files.length === 0) return []
  let result
  try {
    // -I: isolated (no PYTHONPATH, no user site), so nothing in the environment or the project can
    // shadow `ast` or `json`; -B: write no .pyc next to the script.
    result = await runner.run(python, ['-I', '-B', fileURLToPath(SCRIPT)], {
      input: JSON.stringify({ files }),
      timeoutMs: 60_000,
    })
  } catch (error) {
    throw new ActionError(`Could not run '${python}' to read the Django settings: ${(error as Error).message}`, {
      hint: "Project detection parses settings with Python's ast module (it never runs them). Install Python 3.8 or later first, e.g. with actions/setup-python, or make python3 available on PATH.",
      cause: error,
    })
  }
  if (result.exitCode !== 0) {
    throw new ActionError(
      `'${python}' failed while parsing the Django settings (exit code ${result.exitCode}): ${result.stderr.trim().split('\n').slice(-3).join(' ')}`,
      {
        hint: 'Project detection needs Python 3.8 or later; check which python3 is on PATH (actions/setup-python can provide one).',
      },
    )
  }
  const parsed = JSON.parse(result.stdout) as { files: InspectResult[] }
  if (parsed.files.length !== files.length)
    throw new Error(`inspect_settings.py returned ${parsed.files.length} results for ${files.length} files`)
  return parsed.files
}

/**
 * Parsed files by absolute path. `load` parses every file not seen yet in one batch, so callers
 * can ask for what they need round by round without paying Python's start-up per file.
 */
export class PythonFileCache {
  private readonly results = new Map<string, InspectResult>()

  constructor(
    private readonly runner: CommandRunner,
    private readonly python: string,
  ) {}

  async load(files: Iterable<string>): Promise<void> {
    const missing = [...new Set(files)].filter((file) => !this.results.has(file))
    const results = await inspectPythonFiles(this.runner, this.python, missing)
    missing.forEach((file, index) => this.results.set(file, results[index] as InspectResult))
  }

  /** The result for a file already loaded. */
  get(file: string): InspectResult {
    const result = this.results.get(file)
    if (!result) throw new Error(`${file} was not parsed (load it first)`)
    return result
  }

  async parse(file: string): Promise<InspectResult> {
    await this.load([file])
    return this.get(file)
  }
}

/**
 * A file we need could not be parsed: an ActionError that quotes Python and points at the line,
 * so the action's failure becomes an annotation on the offending code.
 */
export function parseFailure(file: string, role: string, error: PythonParseError): ActionError {
  const where =
    error.line === undefined ? '' : ` at line ${error.line}${error.column === undefined ? '' : `, column ${error.column}`}`
  const quoted = error.text ? `\n    ${error.text.trim()}` : ''
  const isSyntax = error.type.endsWith('Error') && error.line !== undefined
  return new ActionError(
    `${isSyntax ? `Python cannot parse ${role} ${file}` : `Cannot read ${role} ${file}`}${where}: ${error.type}: ${error.message}${quoted}`,
    {
      hint: isSyntax
        ? `Fix the error (\`python -m py_compile ${file}\` shows it locally); the project cannot start with it, so detection stops here.`
        : 'Check that the file exists, is readable and is UTF-8 (or declares its encoding).',
      location: {
        file,
        ...(error.line === undefined ? {} : { line: error.line }),
        ...(error.column === undefined ? {} : { column: error.column }),
      },
    },
  )
}
