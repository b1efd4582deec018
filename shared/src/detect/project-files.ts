import { readFile } from 'node:fs/promises'
import { parse as parseToml, TomlError } from 'smol-toml'
import { finding } from './findings.js'
import type { Finding } from './model.js'
import { isFile } from './modules.js'
import { joinRel, type RepoPaths } from './paths.js'

/**
 * The packaging files of one directory, read once and shared by the dependency, Python-version
 * and feature rules. TOML goes through a real parser (smol-toml): a regex over pyproject.toml
 * cannot tell `[tool.poetry]` from a comment or a multi-line string.
 */

export type TomlTable = { [key: string]: unknown }

export interface DirectoryFiles {
  /** Repository-relative directory. */
  dir: string
  /** Files that exist, by name, e.g. "requirements.txt" → "app/requirements.txt". */
  present: Map<string, string>
  pyproject?: TomlTable
  pipfile?: TomlTable
  pipfileLock?: TomlTable
  findings: Finding[]
}

/** The requirements files a deploy installs, in order of preference (the first one present wins). */
export const REQUIREMENTS_CANDIDATES = [
  'requirements.txt',
  'requirements/production.txt',
  'requirements/prod.txt',
  'requirements-production.txt',
  'requirements-prod.txt',
  'requirements/base.txt',
]

/** Every packaging file name the detection looks at. */
export const PACKAGING_FILE_NAMES = [
  '.python-version',
  'runtime.txt',
  ...REQUIREMENTS_CANDIDATES,
  'pyproject.toml',
  'poetry.lock',
  'uv.lock',
  'pdm.lock',
  'Pipfile',
  'Pipfile.lock',
] as const

export async function readDirectoryFiles(dir: string, paths: RepoPaths): Promise<DirectoryFiles> {
  const result: DirectoryFiles = { dir, present: new Map(), findings: [] }
  for (const name of PACKAGING_FILE_NAMES) {
    const file = joinRel(dir, name)
    if (await isFile(paths.abs(file))) result.present.set(name, file)
  }
  const pyproject = result.present.get('pyproject.toml')
  if (pyproject) result.pyproject = await readTomlFile(pyproject, paths, result.findings)
  const pipfile = result.present.get('Pipfile')
  if (pipfile) result.pipfile = await readTomlFile(pipfile, paths, result.findings)
  const pipfileLock = result.present.get('Pipfile.lock')
  if (pipfileLock) {
    try {
      const parsed: unknown = JSON.parse(await readFile(paths.abs(pipfileLock), 'utf8'))
      if (isTable(parsed)) result.pipfileLock = parsed
    } catch (error) {
      result.findings.push(unreadable(pipfileLock, `is not valid JSON (${(error as Error).message})`))
    }
  }
  return result
}

async function readTomlFile(file: string, paths: RepoPaths, findings: Finding[]): Promise<TomlTable | undefined> {
  try {
    return parseToml(await readFile(paths.abs(file), 'utf8')) as TomlTable
  } catch (error) {
    const line = error instanceof TomlError ? error.line : undefined
    const reason = error instanceof TomlError ? error.message.split('\n')[0] : (error as Error).message
    findings.push(unreadable(file, `is not valid TOML (${reason})`, line))
    return undefined
  }
}

function unreadable(file: string, why: string, line?: number): Finding {
  return finding(
    'warning',
    'unreadable-dependency-file',
    `${file} ${why}, so it was ignored; the build will fail on it too. Fix the file.`,
    {
      file,
      ...(line === undefined ? {} : { line }),
    },
  )
}

export function isTable(value: unknown): value is TomlTable {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date)
}

/** `table.a.b.c`, or undefined when any step is missing or not a table. */
export function tableAt(table: TomlTable | undefined, ...keys: string[]): TomlTable | undefined {
  let current: unknown = table
  for (const key of keys) current = isTable(current) ? current[key] : undefined
  return isTable(current) ? current : undefined
}

export function valueAt(table: TomlTable | undefined, ...keys: string[]): unknown {
  const parent = tableAt(table, ...keys.slice(0, -1))
  return parent?.[keys[keys.length - 1] as string]
}
