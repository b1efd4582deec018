#!/usr/bin/env node
// The input and output tables of each action's README, generated from its action.yml, and the
// environment-variable table of docs/settings-overlay.md, generated from the overlay's own list
// (shared/src/settings/variables.ts). The README text between the markers is never edited by hand:
//
//   node scripts/action-docs.ts            rewrite the generated sections
//   node scripts/action-docs.ts --check    exit 1 (and say where) when a section is out of date
//
// test/repo/docs.test.ts runs the check, so drift between action.yml and a README fails the suite.
// Plain Node (type stripping): no relative TypeScript imports here, only node: builtins and `yaml`.
import { readFileSync, writeFileSync } from 'node:fs'
import { registerHooks } from 'node:module'
import path from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { parse } from 'yaml'

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
export const ACTIONS = ['action-dokku', 'action-static', 'action-cloudrun'] as const
export type ActionName = (typeof ACTIONS)[number]

export interface InputSpec {
  name: string
  description: string
  required: boolean
  default?: string
}

export interface OutputSpec {
  name: string
  description: string
}

export interface ActionSpec {
  name: string
  description: string
  inputs: InputSpec[]
  outputs: OutputSpec[]
  runs: { using: string; main: string; post?: string; 'post-if'?: string; pre?: string }
}

/** action.yml as plain data (YAML 1.2 through `yaml`; the real parser's verdict is checked in the tests). */
export function readActionSpec(file: string): ActionSpec {
  let raw: Record<string, unknown>
  try {
    raw = parse(readFileSync(file, 'utf8')) as Record<string, unknown>
  } catch (error) {
    // GitHub's runner would refuse the action too: say which file, and where.
    throw new Error(`${path.relative(ROOT, file)} is not valid YAML: ${(error as Error).message}`, { cause: error })
  }
  const section = (key: string) => (raw[key] ?? {}) as Record<string, Record<string, unknown> | null>
  const inputs = Object.entries(section('inputs')).map(([name, spec]) => ({
    name,
    description: String(spec?.description ?? ''),
    required: spec?.required === true || spec?.required === 'true',
    default: spec?.default === undefined || spec?.default === null ? undefined : String(spec.default),
  }))
  const outputs = Object.entries(section('outputs')).map(([name, spec]) => ({
    name,
    description: String(spec?.description ?? ''),
  }))
  return {
    name: String(raw.name ?? ''),
    description: String(raw.description ?? ''),
    inputs,
    outputs,
    runs: raw.runs as ActionSpec['runs'],
  }
}

const cell = (text: string) =>
  text
    .replace(/\s*\n\s*/g, ' ')
    .replaceAll('|', '\\|')
    .trim()
const code = (text: string) => (text.includes('`') ? `\`\` ${text} \`\`` : `\`${text}\``)

export function inputsTable(spec: ActionSpec): string {
  const rows = spec.inputs.map((input) => {
    const fallback = input.default === undefined || input.default === '' ? '' : code(input.default)
    return `| \`${input.name}\` | ${input.required ? '**yes**' : 'no'} | ${cell(fallback)} | ${cell(input.description)} |`
  })
  return ['| Input | Required | Default | Description |', '|---|---|---|---|', ...rows].join('\n')
}

export function outputsTable(spec: ActionSpec): string {
  const rows = spec.outputs.map((output) => `| \`${output.name}\` | ${cell(output.description)} |`)
  return ['| Output | Description |', '|---|---|', ...rows].join('\n')
}

/** A generated region: `<!-- generated:NAME ... -->` up to `<!-- /generated:NAME -->`. */
export function replaceRegion(text: string, name: string, body: string, file: string): string {
  const start = new RegExp(`<!-- generated:${name}\\b[^>]*-->\\n`)
  const end = `<!-- /generated:${name} -->`
  const match = start.exec(text)
  const endAt = text.indexOf(end)
  if (!match || endAt < match.index)
    throw new Error(
      `${file}: no generated region '${name}' (add "<!-- generated:${name} (scripts/action-docs.ts) -->" and "${end}" on their own lines)`,
    )
  const from = match.index + match[0].length
  return `${text.slice(0, from)}\n${body}\n\n${text.slice(endAt)}`
}

/** The overlay's environment contract (shared/src/settings), rendered by its own variables-doc.ts. */
export async function overlayVariablesTable(): Promise<string> {
  // shared/ is TypeScript with `./x.js` imports; map them to the .ts files on disk (Node strips the types).
  registerHooks({
    resolve(specifier, context, nextResolve) {
      if (/^\.\.?\//.test(specifier) && specifier.endsWith('.js') && context.parentURL?.endsWith('.ts')) {
        return nextResolve(`${specifier.slice(0, -3)}.ts`, context)
      }
      return nextResolve(specifier, context)
    },
  })
  const module = (await import(pathToFileURL(path.join(ROOT, 'shared/src/settings/variables-doc.ts')).href)) as {
    overlayVariablesMarkdown: () => string
  }
  return module.overlayVariablesMarkdown().trimEnd()
}

export interface GeneratedFile {
  file: string
  current: string
  expected: string
}

/** Every generated file with its current and its expected text. */
export async function generatedFiles(root = ROOT): Promise<GeneratedFile[]> {
  const files: GeneratedFile[] = []
  for (const action of ACTIONS) {
    const file = path.join(root, action, 'README.md')
    const spec = readActionSpec(path.join(root, action, 'action.yml'))
    const current = readFileSync(file, 'utf8')
    let expected = replaceRegion(current, 'inputs', inputsTable(spec), file)
    expected = replaceRegion(expected, 'outputs', outputsTable(spec), file)
    files.push({ file, current, expected })
  }
  const overlay = path.join(root, 'docs', 'settings-overlay.md')
  const current = readFileSync(overlay, 'utf8')
  files.push({
    file: overlay,
    current,
    expected: replaceRegion(current, 'overlay-variables', await overlayVariablesTable(), overlay),
  })
  return files
}

async function main(): Promise<void> {
  const check = process.argv.includes('--check')
  const stale = (await generatedFiles()).filter((entry) => entry.current !== entry.expected)
  for (const entry of stale) {
    const where = path.relative(ROOT, entry.file)
    if (check) console.error(`${where}: generated tables are out of date; run: node scripts/action-docs.ts`)
    else {
      writeFileSync(entry.file, entry.expected)
      console.log(`action-docs: updated ${where}`)
    }
  }
  if (check && stale.length > 0) process.exit(1)
  if (!check && stale.length === 0) console.log('action-docs: every generated table is up to date')
}

if (import.meta.main) {
  try {
    await main()
  } catch (error) {
    console.error(`action-docs: ${(error as Error).message}`)
    process.exit(1)
  }
}
