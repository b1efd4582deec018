import { describe, expect, test } from 'vitest'
import { detectDependencies } from '../../src/detect/dependencies.js'
import { dirsUpTo, repoPaths } from '../../src/detect/paths.js'
import { readDirectoryFiles } from '../../src/detect/project-files.js'
import { makeTree } from './helpers.js'

async function dependenciesOf(files: Record<string, string>, appDir = '', searchRoot = '') {
  const root = await makeTree(files)
  const paths = repoPaths(root)
  const directories = await Promise.all(dirsUpTo(appDir, searchRoot).map((dir) => readDirectoryFiles(dir, paths)))
  const result = await detectDependencies(directories, paths)
  return { ...result, codes: [...directories.flatMap((d) => d.findings), ...result.findings].map((f) => `${f.level}:${f.code}`) }
}

const PEP621 = `
  [project]
  name = "site"
  version = "1"
  requires-python = ">=3.11"
  dependencies = ["Django>=4.2,<5", "gunicorn", "psycopg[binary]>=3.1 ; sys_platform == 'linux'"]
`

describe('dependency managers', () => {
  test('requirements.txt → pip', async () => {
    const { info, codes } = await dependenciesOf({ 'requirements.txt': 'Django>=4.2\n' })
    expect(info).toEqual({ manager: 'pip', files: ['requirements.txt'], managersFound: ['pip'], packages: { django: '>=4.2' } })
    expect(codes).toEqual([])
  })

  test('requirements/production.txt when there is no requirements.txt', async () => {
    const { info } = await dependenciesOf({
      'requirements/production.txt': '-r base.txt\ngunicorn\n',
      'requirements/base.txt': 'Django\n',
    })
    expect(info).toMatchObject({
      manager: 'pip',
      files: ['requirements/production.txt', 'requirements/base.txt'],
      packages: { django: '', gunicorn: '' },
    })
  })

  test('uv: [project.dependencies] plus uv.lock; dependency groups are dev-only', async () => {
    const { info } = await dependenciesOf({
      'pyproject.toml': `${PEP621}\n[dependency-groups]\ndev = ["ruff"]\n`,
      'uv.lock': 'version = 1\n',
    })
    expect(info).toEqual({
      manager: 'uv',
      files: ['pyproject.toml'],
      managersFound: ['uv'],
      lockFile: 'uv.lock',
      packages: { django: '>=4.2,<5', gunicorn: '', psycopg: '>=3.1' },
    })
  })

  test('poetry: main dependencies and non-dev groups, never python or dev/test groups', async () => {
    const { info } = await dependenciesOf({
      'pyproject.toml': `
        [tool.poetry]
        name = "x"
        [tool.poetry.dependencies]
        python = "^3.11"
        Django = "^4.2"
        psycopg2-binary = { version = "^2.9", extras = [] }
        boto3 = { version = "*", optional = true }
        mylib = { git = "https://github.com/x/mylib.git" }
        [tool.poetry.group.deploy.dependencies]
        gunicorn = "*"
        [tool.poetry.group.dev.dependencies]
        django-debug-toolbar = "*"
        [tool.poetry.group.docs]
        optional = true
        [tool.poetry.group.docs.dependencies]
        sphinx = "*"
      `,
      'poetry.lock': '',
    })
    expect(info).toEqual({
      manager: 'poetry',
      files: ['pyproject.toml'],
      managersFound: ['poetry'],
      lockFile: 'poetry.lock',
      packages: { django: '^4.2', gunicorn: '', mylib: '@ https://github.com/x/mylib.git', 'psycopg2-binary': '^2.9' },
    })
  })

  test('pdm and plain PEP 621', async () => {
    expect((await dependenciesOf({ 'pyproject.toml': PEP621, 'pdm.lock': '' })).info).toMatchObject({
      manager: 'pdm',
      lockFile: 'pdm.lock',
    })
    expect((await dependenciesOf({ 'pyproject.toml': PEP621 })).info).toMatchObject({
      manager: 'pyproject',
      files: ['pyproject.toml'],
      packages: { django: '>=4.2,<5' },
    })
  })

  test('a pyproject.toml that only configures tools is not a manager', async () => {
    const { info, codes } = await dependenciesOf({
      'pyproject.toml': '[tool.ruff]\nline-length = 100\n',
      'requirements.txt': 'Django\n',
    })
    expect(info.managersFound).toEqual(['pip'])
    expect(codes).toEqual([])
  })

  test('Pipfile: [packages] only; a missing lock is a notice', async () => {
    const { info, codes } = await dependenciesOf({
      Pipfile:
        '[packages]\ndjango = "~=4.2"\ndjango-environ = "*"\npsycopg = {version = ">=3", extras = ["binary"]}\n[dev-packages]\npytest = "*"\n',
    })
    expect(info).toEqual({
      manager: 'pipenv',
      files: ['Pipfile'],
      managersFound: ['pipenv'],
      packages: { django: '~=4.2', 'django-environ': '', psycopg: '>=3' },
    })
    expect(codes).toEqual(['notice:pipfile-without-lock'])
  })

  test('several managers that disagree: a warning naming the difference; agreeing ones: a notice', async () => {
    const disagree = await dependenciesOf({
      'requirements.txt': 'Django\ngunicorn\n',
      Pipfile: '[packages]\ndjango = "*"\nwhitenoise = "*"\n',
      'Pipfile.lock': '{}',
    })
    expect(disagree.info).toMatchObject({ manager: 'pip', managersFound: ['pip', 'pipenv'] })
    const warning = disagree.findings.find((f) => f.code === 'several-dependency-managers')
    expect(warning?.level).toBe('warning')
    expect(warning?.message).toContain('Pipfile lacks gunicorn; Pipfile adds whitenoise')
    const agree = await dependenciesOf({
      'requirements.txt': 'Django>=4.2\n',
      'pyproject.toml': '[project]\nname="x"\nversion="1"\ndependencies=["django"]\n',
    })
    expect(agree.codes).toEqual(['notice:several-dependency-managers'])
  })

  test('a pinned export beside its source (uv export, pip-compile, pip freeze) is a notice, not a disagreement', async () => {
    const exported = await dependenciesOf({
      'requirements.txt':
        '# This file was autogenerated by uv via the following command:\n#    uv export --no-dev\nasgiref==3.8.1 \\\n    --hash=sha256:aa\ndjango==4.2.21\nsqlparse==0.5.3\nwhitenoise==6.8.2\n',
      'pyproject.toml':
        '[project]\nname="x"\nversion="1"\ndependencies=["django>=4.2,<5"]\n[dependency-groups]\nprod=["whitenoise"]\n',
      'uv.lock': 'version = 1\n',
    })
    const note = exported.findings.find((f) => f.code === 'several-dependency-managers')
    expect(note?.level).toBe('notice')
    expect(note?.message).toMatch(/requirements\.txt is a pinned export of pyproject\.toml/)
    // Unpinned extras are not an export: a package added only to requirements.txt still warns.
    const handWritten = await dependenciesOf({
      'requirements.txt': 'Django>=4.2\ncelery\n',
      'pyproject.toml': '[project]\nname="x"\nversion="1"\ndependencies=["django"]\n',
      'uv.lock': 'version = 1\n',
    })
    expect(handWritten.findings.find((f) => f.code === 'several-dependency-managers')?.level).toBe('warning')
  })

  test('appDir first, then up to the search root (nested layouts keep files at the root)', async () => {
    const nested = await dependenciesOf({ 'requirements.txt': 'Django\n', 'src/manage.py': '' }, 'src')
    expect(nested.info.files).toEqual(['requirements.txt'])
    const both = await dependenciesOf({ 'requirements.txt': 'Django\n', 'src/requirements.txt': 'Django\ngunicorn\n' }, 'src')
    expect(both.info.files).toEqual(['src/requirements.txt'])
    expect(both.codes).toEqual([])
  })

  test('no dependency files, and an unreadable pyproject.toml', async () => {
    expect(await dependenciesOf({ 'manage.py': '' })).toMatchObject({
      info: { manager: 'none', files: [], managersFound: [], packages: {} },
      codes: ['warning:no-dependency-files'],
    })
    const broken = await dependenciesOf({ 'pyproject.toml': '[project\nname = 1\n', 'requirements.txt': 'Django\n' })
    expect(broken.codes).toEqual(['warning:unreadable-dependency-file'])
    expect(broken.info.manager).toBe('pip')
  })

  test('packages are sorted by name', async () => {
    const { info } = await dependenciesOf({ 'requirements.txt': 'whitenoise\nDjango\ngunicorn\n' })
    expect(Object.keys(info.packages)).toEqual(['django', 'gunicorn', 'whitenoise'])
  })
})
