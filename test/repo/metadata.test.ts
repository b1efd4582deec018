import { existsSync, readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { ACTIONS, readActionSpec, ROOT } from '../../scripts/action-docs.js'
import { parseActionFile } from './lib/parser.js'

/**
 * Each action.yml, the way GitHub reads it: through GitHub's own action parser, then the rules
 * this repository adds (node24, the bundled entry points exist, kebab-case inputs, and every
 * declared input and output is actually used by the action's code).
 */
function sourceText(action: string): string {
  const walk = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
      entry.isDirectory() ? walk(path.join(dir, entry.name)) : entry.name.endsWith('.ts') ? [path.join(dir, entry.name)] : [],
    )
  const dir = path.join(ROOT, action, 'src')
  return existsSync(dir)
    ? walk(dir)
        .map((file) => readFileSync(file, 'utf8'))
        .join('\n')
    : ''
}

describe.each(ACTIONS)('%s/action.yml', (action) => {
  const file = path.join(ROOT, action, 'action.yml')
  const content = readFileSync(file, 'utf8')

  it("parses with GitHub's action parser, without errors", () => {
    expect(parseActionFile(`${action}/action.yml`, content).errors).toEqual([])
  })

  it('runs on node24, and runs.main / runs.post exist in the committed bundle', () => {
    const { template } = parseActionFile(`${action}/action.yml`, content)
    const runs = template?.runs
    expect(runs?.using).toBe('node24')
    if (runs?.using !== 'node24') return
    const entries = [runs.main, runs.pre, runs.post].filter((entry): entry is string => entry !== undefined)
    for (const entry of entries) {
      expect(entry, `${entry} must be inside dist/ (only dist/ is published)`).toMatch(/^dist\//)
      expect(existsSync(path.join(ROOT, action, entry)), `${action}/${entry} is missing: run npm run bundle`).toBe(true)
    }
    // ncc's ESM output needs its package.json ({"type":"module"}) next to it.
    expect(JSON.parse(readFileSync(path.join(ROOT, action, 'dist', 'package.json'), 'utf8'))).toMatchObject({ type: 'module' })
  })

  it('has a name, a description and Marketplace branding', () => {
    const { template } = parseActionFile(`${action}/action.yml`, content)
    expect(template?.name).toMatch(/\S/)
    expect(template?.description).toMatch(/\S/)
    expect(template?.branding?.icon).toMatch(/^[a-z0-9-]+$/)
    expect(['white', 'yellow', 'blue', 'green', 'orange', 'red', 'purple', 'gray-dark']).toContain(template?.branding?.color)
  })

  it('reads like the parser reads it (the docs tables are generated from the same data)', () => {
    const { template } = parseActionFile(`${action}/action.yml`, content)
    const spec = readActionSpec(file)
    expect(spec.inputs.map((input) => [input.name, input.required])).toEqual(
      (template?.inputs ?? []).map((input) => [input.id, input.required === true]),
    )
    expect(spec.outputs.map((output) => output.name)).toEqual((template?.outputs ?? []).map((output) => output.id))
  })

  it('names inputs and outputs in kebab-case, each with a description', () => {
    const spec = readActionSpec(file)
    for (const entry of [...spec.inputs, ...spec.outputs]) {
      expect(entry.name).toMatch(/^[a-z][a-z0-9]*(-[a-z0-9]+)*$/)
      expect(entry.description, entry.name).toMatch(/\S/)
    }
  })

  it('uses every input and output it declares (a name the code never reads is a lie in the docs)', () => {
    const source = sourceText(action)
    const spec = readActionSpec(file)
    const unused = [...spec.inputs, ...spec.outputs]
      .map((entry) => entry.name)
      .filter((name) => !source.includes(`'${name}'`) && !source.includes(`"${name}"`))
    expect(unused, `${action}/src never names these as a string`).toEqual([])
  })
})
