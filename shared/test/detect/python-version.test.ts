import { describe, expect, test } from 'vitest'
import { dirsUpTo, repoPaths } from '../../src/detect/paths.js'
import { readDirectoryFiles } from '../../src/detect/project-files.js'
import { detectPythonVersion, pythonCapForDjango, resolveRange } from '../../src/detect/python-version.js'
import { makeTree } from './helpers.js'

async function pythonOf(files: Record<string, string>, options: { input?: string; djangoSpec?: string; appDir?: string } = {}) {
  const root = await makeTree(files)
  const paths = repoPaths(root)
  const directories = await Promise.all(dirsUpTo(options.appDir ?? '', '').map((dir) => readDirectoryFiles(dir, paths)))
  const result = await detectPythonVersion(directories, paths, options)
  return { info: result.info, codes: result.findings.map((f) => f.code) }
}

describe('Python version sources', () => {
  test('.python-version (first non-comment line), runtime.txt, Pipfile, Pipfile.lock, requires-python, in that order', async () => {
    const all = {
      '.python-version': '# pinned\n3.12.4\n',
      'runtime.txt': 'python-3.11.9\n',
      Pipfile: '[requires]\npython_version = "3.13"\n',
      'Pipfile.lock': '{"_meta": {"requires": {"python_full_version": "3.13.1"}}}',
      'pyproject.toml': '[project]\nname="x"\nversion="1"\nrequires-python=">=3.10"\n',
    }
    expect((await pythonOf(all)).info).toEqual({ version: '3.12.4', source: '.python-version' })
    const { '.python-version': _a, ...noPin } = all
    expect((await pythonOf(noPin)).info).toEqual({ version: '3.11.9', source: 'runtime.txt' })
    const { 'runtime.txt': _b, ...noRuntime } = noPin
    expect((await pythonOf(noRuntime)).info).toEqual({ version: '3.13', source: 'Pipfile' })
    const { Pipfile: _c, ...noPipfile } = noRuntime
    expect((await pythonOf(noPipfile)).info).toEqual({ version: '3.13.1', source: 'Pipfile.lock' })
    const { 'Pipfile.lock': _d, ...onlyRange } = noPipfile
    expect((await pythonOf(onlyRange)).info).toEqual({ version: '3.12', source: 'pyproject.toml', requires: '>=3.10' })
  })

  test('declarations that disagree are reported, naming each file and what it says', async () => {
    const result = await pythonOf({ 'runtime.txt': 'python-3.11.9\n', Pipfile: '[requires]\npython_version = "3.12"\n' })
    expect(result.info).toEqual({ version: '3.11.9', source: 'runtime.txt' })
    expect(result.codes).toContain('python-version-disagree')
    const root = await makeTree({ 'runtime.txt': 'python-3.11.9\n', Pipfile: '[requires]\npython_version = "3.12"\n' })
    const paths = repoPaths(root)
    const { findings } = await detectPythonVersion([await readDirectoryFiles('', paths)], paths)
    expect(findings.find((f) => f.code === 'python-version-disagree')?.message).toBe(
      'The Python version is declared more than once and the declarations disagree: runtime.txt says 3.11.9, which the build uses, but Pipfile says 3.12. Keep one declaration, or make them agree.',
    )
    // A range the pinned version falls outside is a disagreement too.
    const outside = await pythonOf({
      '.python-version': '3.11\n',
      'pyproject.toml': '[project]\nname="x"\nversion="1"\nrequires-python=">=3.12"\n',
    })
    expect(outside.codes).toContain('python-version-disagree')
  })

  test('declarations that agree (same minor, or inside the range) and the input override are not reported', async () => {
    const same = await pythonOf({
      'runtime.txt': 'python-3.12.4\n',
      Pipfile: '[requires]\npython_version = "3.12"\n',
      'pyproject.toml': '[project]\nname="x"\nversion="1"\nrequires-python=">=3.10"\n',
    })
    expect(same.codes).not.toContain('python-version-disagree')
    const overridden = await pythonOf({ '.python-version': '3.12\n' }, { input: '3.13' })
    expect(overridden.codes).not.toContain('python-version-disagree')
  })

  test('the input wins', async () => {
    expect((await pythonOf({ '.python-version': '3.12\n' }, { input: '3.13' })).info).toEqual({
      version: '3.13',
      source: 'input',
    })
  })

  test("Poetry's python dependency", async () => {
    expect((await pythonOf({ 'pyproject.toml': '[tool.poetry.dependencies]\npython = "~3.11"\n' })).info).toEqual({
      version: '3.11',
      source: 'pyproject.toml',
      requires: '~3.11',
    })
  })

  test('the file nearest to manage.py wins within a source', async () => {
    expect((await pythonOf({ '.python-version': '3.11\n', 'app/.python-version': '3.12\n' }, { appDir: 'app' })).info).toEqual({
      version: '3.12',
      source: 'app/.python-version',
    })
  })

  test('nothing pinned is a notice; pyenv names that are not versions are ignored', async () => {
    expect(await pythonOf({ '.python-version': 'system\n' })).toEqual({ info: {}, codes: ['python-version-missing'] })
  })

  test('end-of-life versions warn', async () => {
    expect((await pythonOf({ 'runtime.txt': 'python-3.8.18\n' })).codes).toEqual(['python-version-eol'])
    expect((await pythonOf({ '.python-version': '3.10\n' })).codes).toEqual(['python-version-eol'])
    expect((await pythonOf({ '.python-version': '3.11\n' })).codes).toEqual([])
  })
})

describe('ranges', () => {
  test('PEP 440 and Poetry specifiers resolve to the newest matching minor up to the preferred one (3.12), else the oldest above it', () => {
    expect(resolveRange('>=3.10')).toBe('3.12') // the same as no constraint at all
    expect(resolveRange('>=3.10,<3.13')).toBe('3.12')
    expect(resolveRange('>= 3.9, < 4')).toBe('3.12')
    expect(resolveRange('==3.12.*')).toBe('3.12')
    expect(resolveRange('~=3.11')).toBe('3.12')
    expect(resolveRange('~=3.11.2')).toBe('3.11')
    expect(resolveRange('^3.11')).toBe('3.12')
    expect(resolveRange('~3.11')).toBe('3.11')
    expect(resolveRange('>=3.10.4,!=3.12.*')).toBe('3.11')
    expect(resolveRange('>=3.13')).toBe('3.13')
    expect(resolveRange('==3.14.*')).toBe('3.14')
    expect(resolveRange('3.8.* || 3.9.*')).toBe('3.9')
    expect(resolveRange('>=3.99')).toBeUndefined()
  })

  test('capped by what the declared Django supports', () => {
    expect(pythonCapForDjango('>=4.2,<5.0')).toEqual({ django: '4.2', python: '3.12' })
    expect(pythonCapForDjango('^4.2')).toEqual({ django: '4.2', python: '3.12' })
    expect(pythonCapForDjango('==5.1.4')).toEqual({ django: '5.1', python: '3.13' })
    expect(pythonCapForDjango('')).toBeUndefined()
    expect(resolveRange('>=3.10', '>=4.2,<5.0')).toBe('3.12')
    expect(resolveRange('>=3.13', '>=4.2,<5.0')).toBe('3.13') // nothing fits both: the range wins, its oldest
  })
})
