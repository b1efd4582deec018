import { describe, expect, it } from 'vitest'
import { InputError } from '../src/errors.js'
import { InputReader, inputSourceFrom, parseKeyValues, repositoryPath } from '../src/inputs.js'

describe('parseKeyValues', () => {
  it('keeps everything after the first = byte for byte', () => {
    const pairs = parseKeyValues('A=hello world\nB="quoted" and \'single\'\nC=$HOME=x\n\n# comment\nD=', 'config')
    expect(pairs).toEqual([
      { key: 'A', value: 'hello world' },
      { key: 'B', value: '"quoted" and \'single\'' },
      { key: 'C', value: '$HOME=x' },
      { key: 'D', value: '' },
    ])
  })

  it('reads multi-line values in the $GITHUB_ENV heredoc form', () => {
    const pairs = parseKeyValues('KEY<<EOF\nline one\n  line two\nEOF\nNEXT=1', 'config')
    expect(pairs).toEqual([
      { key: 'KEY', value: 'line one\n  line two' },
      { key: 'NEXT', value: '1' },
    ])
  })

  it('names the input and the problem', () => {
    expect(() => parseKeyValues('NOT A PAIR', 'env-vars')).toThrowError(/line 1 is not KEY=VALUE/)
    expect(() => parseKeyValues('1BAD=x', 'env-vars')).toThrowError(InputError)
    expect(() => parseKeyValues('A=1\nA=2', 'env-vars')).toThrowError(/A is set twice/)
    expect(() => parseKeyValues('A<<END\nnever closed', 'env-vars')).toThrowError(/no line 'END' ends it/)
    try {
      parseKeyValues('oops', 'env-vars')
    } catch (error) {
      expect((error as InputError).describe()).toMatch(/^Input 'env-vars': /)
    }
  })
})

describe('InputReader', () => {
  const reader = new InputReader(inputSourceFrom({ flag: 'yes', bad: 'maybe', mode: 'Build', minutes: '1.5', port: '70000' }))

  it('parses booleans, choices and durations', () => {
    expect(reader.boolean('flag', false)).toBe(true)
    expect(reader.boolean('unset', true)).toBe(true)
    expect(reader.choice('mode', ['all', 'build', 'deploy'] as const, 'all')).toBe('build')
    expect(reader.minutes('minutes', 10)).toBe(90_000)
    expect(reader.minutes('unset', 10)).toBe(600_000)
  })

  it('rejects bad values with the input name', () => {
    expect(() => reader.boolean('bad', false)).toThrowError("must be true or false, got 'maybe'")
    expect(() => reader.integer('port', { min: 1, max: 65535 })).toThrowError('must be at most 65535')
    expect(() => reader.string('host', { required: true })).toThrowError(/is required/)
  })
})

describe('repositoryPath (working-directory, output-dir)', () => {
  const workspace = '/home/runner/work/site/site'
  const refusal = (name: string, value: string, ws = workspace): InputError => {
    try {
      repositoryPath(name, value, ws)
    } catch (error) {
      if (error instanceof InputError) return error
      throw error
    }
    throw new Error(`${value} was accepted`)
  }

  it('normalises relative paths to POSIX, repository-relative form', () => {
    expect(repositoryPath('working-directory', '', workspace)).toBe('.')
    expect(repositoryPath('working-directory', '.', workspace)).toBe('.')
    expect(repositoryPath('working-directory', './', workspace)).toBe('.')
    expect(repositoryPath('working-directory', './apps/blog/', workspace)).toBe('apps/blog')
    expect(repositoryPath('working-directory', 'apps//blog', workspace)).toBe('apps/blog')
    expect(repositoryPath('working-directory', 'apps\\blog', workspace)).toBe('apps/blog')
    expect(repositoryPath('working-directory', 'apps/../site', workspace)).toBe('site')
    expect(repositoryPath('working-directory', '  site  ', workspace)).toBe('site')
  })

  it('accepts an absolute path inside the workspace and makes it relative', () => {
    expect(repositoryPath('working-directory', `${workspace}/apps/blog`, workspace)).toBe('apps/blog')
    expect(repositoryPath('working-directory', `${workspace}/apps/blog/`, `${workspace}/`)).toBe('apps/blog')
    expect(repositoryPath('working-directory', workspace, workspace)).toBe('.')
    expect(repositoryPath('working-directory', `${workspace}/a/../b`, workspace)).toBe('b')
  })

  it('refuses an absolute path outside the workspace, naming the input and the fix', () => {
    for (const value of ['/etc', '/home/runner/work/site', `${workspace}-other/app`, `${workspace}/../other`]) {
      const error = refusal('working-directory', value)
      expect(error.input).toBe('working-directory')
      expect(error.message).toMatch(/outside the repository/)
      expect(error.hint).toMatch(/relative to the repository root/)
      expect(error.hint).toContain(workspace)
    }
  })

  it('refuses an absolute path when there is no workspace to place it in', () => {
    const error = refusal('output-dir', '/tmp/site', '')
    expect(error.input).toBe('output-dir')
    expect(error.message).toMatch(/GITHUB_WORKSPACE/)
  })

  it("refuses a '..' that climbs above the repository root", () => {
    for (const value of ['..', '../elsewhere', 'apps/../../elsewhere', '..\\elsewhere']) {
      const error = refusal('working-directory', value)
      expect(error.input).toBe('working-directory')
      expect(error.message).toMatch(/outside the repository/)
      expect(error.hint).toMatch(/relative to the repository root/)
    }
  })

  it('is what InputReader.path reads, with its default', () => {
    const read = new InputReader(inputSourceFrom({ 'working-directory': `${workspace}/backend/` }))
    expect(read.path('working-directory', { workspace })).toBe('backend')
    expect(read.path('output-dir', { default: '_site', workspace })).toBe('_site')
    expect(read.path('other', { workspace })).toBe('.')
  })
})
