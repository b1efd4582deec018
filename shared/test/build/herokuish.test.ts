import { describe, expect, it } from 'vitest'
import { herokuishDependencies } from '../../src/build/herokuish.js'
import { memoryReader } from '../../src/settings/read-file.js'
import { projectModel, type ModelOverrides } from '../settings/project-model.js'

function decide(files: Record<string, string>, overrides: ModelOverrides = {}, database?: 'postgres', deployRoot = '') {
  return herokuishDependencies(projectModel(overrides), { readFile: memoryReader(files), deployRoot, database })
}

describe('herokuishDependencies', () => {
  it('appends gunicorn, whitenoise and a psycopg driver to a tutorial requirements.txt for PostgreSQL', () => {
    const result = decide(
      { 'requirements.txt': 'Django>=4.2,<5' },
      { dependencies: { packages: { django: '>=4.2,<5' } } },
      'postgres',
    )
    expect(result.kind).toBe('append')
    if (result.kind !== 'append') return
    expect(result.added).toEqual(['gunicorn>=22', 'whitenoise>=6', 'psycopg[binary]>=3.1'])
    const lines = result.file.content.split('\n')
    expect(lines[0]).toBe('Django>=4.2,<5')
    expect(lines.slice(2, 5)).toEqual(result.added)
    expect(result.file.path).toBe('requirements.txt')
    expect(result.notes.map((note) => note.code)).toEqual(['added-package', 'added-package', 'added-package'])
    expect(result.notes[0]!.message).toContain('deployed requirements.txt')
  })

  it('adds no driver on SQLite and nothing already declared', () => {
    const result = decide(
      { 'requirements.txt': 'Django>=4.2\ngunicorn==23.0.0\n' },
      { dependencies: { packages: { django: '>=4.2', gunicorn: '==23.0.0' } } },
    )
    expect(result.kind === 'append' && result.added).toEqual(['whitenoise>=6'])
    expect(result.kind === 'append' && result.file.content).toMatch(/^Django>=4.2\ngunicorn==23.0.0\n#[^\n]*\nwhitenoise>=6\n$/)
  })

  it('is complete when everything is declared', () => {
    const packages = { django: '>=4.2', gunicorn: '', whitenoise: '', 'psycopg2-binary': '' }
    expect(decide({ 'requirements.txt': 'x' }, { dependencies: { packages } }, 'postgres').kind).toBe('complete')
  })

  it('picks psycopg2 for a Django older than 4.2', () => {
    const result = decide(
      { 'requirements.txt': 'Django==3.2.*' },
      { dependencies: { packages: { django: '==3.2.*' } } },
      'postgres',
    )
    expect(result.kind === 'append' && result.added).toContain('psycopg2-binary>=2.9')
  })

  it('reads requirements.txt in the working directory', () => {
    const result = decide({ 'app/requirements.txt': 'Django' }, {}, undefined, 'app')
    expect(result.kind === 'append' && result.file.content.startsWith('Django\n#')).toBe(true)
  })

  it.each([
    ['poetry', 'poetry.lock'],
    ['pipenv', 'Pipfile.lock'],
    ['uv', 'uv.lock'],
    ['pdm', 'pdm.lock'],
  ] as const)('switches to the Dockerfile for %s with %s, naming the lock', (manager, lockFile) => {
    const result = decide({}, { dependencies: { manager, lockFile, files: ['pyproject.toml'], packages: { django: '^4.2' } } })
    expect(result.kind).toBe('switch-to-dockerfile')
    if (result.kind !== 'switch-to-dockerfile') return
    expect(result.reason).toContain(lockFile)
    expect(result.reason).toContain('gunicorn')
    expect(result.notes[0]!.code).toBe('builder-switched-to-dockerfile')
  })

  it('does not switch for a lock when requirements.txt is what the buildpack reads', () => {
    const result = decide(
      { 'requirements.txt': 'Django' },
      { dependencies: { manager: 'pip', lockFile: undefined, files: ['requirements.txt'], packages: { django: '' } } },
    )
    expect(result.kind).toBe('append')
  })

  it('switches to the generated Dockerfile when a Pipfile sits beside requirements.txt (the buildpack reads the Pipfile first)', () => {
    const result = decide(
      { 'requirements.txt': 'Django', Pipfile: '[packages]\ndjango = "*"\n', 'Pipfile.lock': '{}' },
      { dependencies: { manager: 'pip', files: ['requirements.txt'], packages: { django: '' } } },
    )
    expect(result.kind).toBe('switch-to-dockerfile')
    if (result.kind !== 'switch-to-dockerfile') return
    expect(result.reason).toMatch(/^the buildpack installs from Pipfile\.lock \(before requirements\.txt\)/)
  })
})
