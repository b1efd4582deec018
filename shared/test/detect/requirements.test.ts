import { describe, expect, test } from 'vitest'
import { repoPaths } from '../../src/detect/paths.js'
import { normalizeName, parseRequirement } from '../../src/detect/requirement-names.js'
import { classifyLine, logicalLines, readRequirementsFiles } from '../../src/detect/requirements-txt.js'
import { makeTree } from './helpers.js'

describe('PEP 503 names and PEP 508 requirements', () => {
  test('names are normalised', () => {
    expect(['Django', 'django_environ', 'Django.Environ', 'dj--database__url', 'psycopg2-binary'].map(normalizeName)).toEqual([
      'django',
      'django-environ',
      'django-environ',
      'dj-database-url',
      'psycopg2-binary',
    ])
  })

  test('extras, markers, spaces and parentheses are dropped from the specifier', () => {
    expect(parseRequirement('whitenoise[brotli] >= 6.0')).toEqual({ name: 'whitenoise', spec: '>=6.0' })
    expect(parseRequirement('Django>=4.2,<5.0 ; python_version >= "3.8"')).toEqual({ name: 'django', spec: '>=4.2,<5.0' })
    expect(parseRequirement('psycopg[binary,pool]')).toEqual({ name: 'psycopg', spec: '' })
    expect(parseRequirement('gunicorn (>=20)')).toEqual({ name: 'gunicorn', spec: '>=20' })
    expect(parseRequirement('mypkg @ https://example.com/mypkg-1.0.tar.gz ; sys_platform == "linux"')).toEqual({
      name: 'mypkg',
      spec: '@ https://example.com/mypkg-1.0.tar.gz',
    })
    expect(parseRequirement('./local/path')).toBeUndefined()
  })
})

describe('requirements.txt lines', () => {
  test('continuations are joined and comments dropped, but not a # inside a URL fragment', () => {
    expect(
      logicalLines(
        '# header\nDjango>=4.2 \\\n    --hash=sha256:abc \\\n    --hash=sha256:def\n\ngunicorn  # web server\n-e git+https://x/y.git#egg=foo\n',
      ),
    ).toEqual([
      { text: 'Django>=4.2     --hash=sha256:abc     --hash=sha256:def', line: 2 },
      { text: 'gunicorn', line: 6 },
      { text: '-e git+https://x/y.git#egg=foo', line: 7 },
    ])
  })

  test('options, hashes, includes, editables and URLs', () => {
    expect(classifyLine('Django>=4.2 --hash=sha256:abc')).toEqual({ kind: 'requirement', name: 'django', spec: '>=4.2' })
    expect(classifyLine('--index-url https://example.com/simple')).toEqual({ kind: 'ignored' })
    expect(classifyLine('--extra-index-url=https://example.com/simple')).toEqual({ kind: 'ignored' })
    expect(classifyLine('--pre')).toEqual({ kind: 'ignored' })
    expect(classifyLine('-r base.txt')).toEqual({ kind: 'include', constraint: false, target: 'base.txt' })
    expect(classifyLine('-rbase.txt')).toEqual({ kind: 'include', constraint: false, target: 'base.txt' })
    expect(classifyLine('--requirement=base.txt')).toEqual({ kind: 'include', constraint: false, target: 'base.txt' })
    expect(classifyLine('-c constraints.txt')).toEqual({ kind: 'include', constraint: true, target: 'constraints.txt' })
    expect(classifyLine('--constraint constraints.txt')).toEqual({ kind: 'include', constraint: true, target: 'constraints.txt' })
    expect(classifyLine('-e git+https://github.com/x/django-foo.git@v1#egg=Django_Foo')).toEqual({
      kind: 'requirement',
      name: 'django-foo',
      spec: '@ git+https://github.com/x/django-foo.git@v1',
    })
    expect(classifyLine('-e .')).toEqual({ kind: 'ignored' })
    expect(classifyLine('https://example.com/pkg-1.0-py3-none-any.whl')).toEqual({ kind: 'ignored' })
  })
})

describe('readRequirementsFiles', () => {
  test('follows -r and -c relative to the including file; constraints declare nothing', async () => {
    const root = await makeTree({
      'requirements.txt': '-r requirements/prod.txt\n-c constraints.txt\n',
      'requirements/prod.txt': '-r base.txt\ngunicorn==23.0.0\n',
      'requirements/base.txt': 'Django>=4.2\nwhitenoise[brotli]>=6 ; python_version >= "3.8"\n',
      'constraints.txt': 'Django<5\nurllib3<2\n',
    })
    const result = await readRequirementsFiles('requirements.txt', repoPaths(root))
    expect(result.files).toEqual(['requirements.txt', 'requirements/prod.txt', 'requirements/base.txt', 'constraints.txt'])
    expect(result.packages).toEqual({ django: '>=4.2', whitenoise: '>=6', gunicorn: '==23.0.0' })
    expect(result.findings).toEqual([])
  })

  test('an include cycle is reported once and does not loop', async () => {
    const root = await makeTree({ 'requirements.txt': '-r other.txt\nDjango\n', 'other.txt': '-r requirements.txt\ngunicorn\n' })
    const result = await readRequirementsFiles('requirements.txt', repoPaths(root))
    expect(result.files).toEqual(['requirements.txt', 'other.txt'])
    expect(result.packages).toEqual({ gunicorn: '', django: '' })
    expect(result.findings.map((f) => [f.code, f.file, f.line])).toEqual([['requirements-include-cycle', 'other.txt', 1]])
  })

  test('a missing include is a warning that names the line', async () => {
    const root = await makeTree({ 'requirements.txt': 'Django\n-r missing.txt\n' })
    const result = await readRequirementsFiles('requirements.txt', repoPaths(root))
    expect(result.findings.map((f) => [f.code, f.file, f.line])).toEqual([
      ['requirements-include-missing', 'requirements.txt', 2],
    ])
  })

  test('the same package in several files keeps every specifier', async () => {
    const root = await makeTree({ 'requirements.txt': '-r base.txt\ndjango<5\n', 'base.txt': 'Django>=4.2\n' })
    expect((await readRequirementsFiles('requirements.txt', repoPaths(root))).packages).toEqual({ django: '>=4.2,<5' })
  })
})
