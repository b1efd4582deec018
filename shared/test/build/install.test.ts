import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { generateDockerfile } from '../../src/build/dockerfile.js'
import { ActionError } from '../../src/errors.js'
import { memoryReader } from '../../src/settings/read-file.js'
import { projectModel, type ModelOverrides } from '../settings/project-model.js'
import { stagesOf, type Stage } from './dockerfile-parser.js'

/** The build stage of the generated Dockerfile for a dependency setup, with its COPY/RUN/ENV lines. */
function buildStage(overrides: ModelOverrides, files: Record<string, string>): Stage {
  const result = generateDockerfile(projectModel(overrides), { readFile: memoryReader(files) })
  const dockerfile = result.files.find((file) => file.path === 'Dockerfile')?.content ?? ''
  const stage = stagesOf(dockerfile)[0]
  if (!stage) throw new Error('no build stage')
  return stage
}

const lines = (stage: Stage, keyword: string) =>
  stage.instructions.filter((instruction) => instruction.keyword === keyword).map((instruction) => instruction.args)

describe('dependency managers', () => {
  it('pip: copies the requirement files (includes too) and installs the main one', () => {
    const stage = buildStage(
      { dependencies: { manager: 'pip', files: ['requirements.txt', 'requirements/base.txt'] } },
      { 'requirements.txt': '-r requirements/base.txt\ngunicorn\n', 'requirements/base.txt': 'Django\n' },
    )
    expect(lines(stage, 'COPY')).toEqual([
      'requirements.txt /app/requirements.txt',
      'requirements/base.txt /app/requirements/base.txt',
    ])
    expect(lines(stage, 'RUN')).toContain('pip install --no-cache-dir -r requirements.txt')
  })

  it('pip: copies the whole source first when a requirement points into the repository', () => {
    const stage = buildStage(
      { dependencies: { manager: 'pip', files: ['requirements.txt'] } },
      { 'requirements.txt': 'Django\n-e .\n' },
    )
    expect(lines(stage, 'COPY')).toEqual(['. /app/'])
  })

  it('pip: installs git in the build stage for VCS requirements', () => {
    const stage = buildStage(
      { dependencies: { manager: 'pip', files: ['requirements.txt'] } },
      { 'requirements.txt': 'lib @ git+https://github.com/x/lib@v1\n' },
    )
    expect(lines(stage, 'RUN')[0]).toBe(
      'apt-get update && apt-get install -y --no-install-recommends git && rm -rf /var/lib/apt/lists/*',
    )
  })

  it('pip: runs from the requirements directory in a nested layout', () => {
    const stage = buildStage(
      {
        appDir: 'web',
        managePy: 'web/manage.py',
        settings: { files: ['web/mysite/settings.py'] },
        dependencies: { manager: 'pip', files: ['web/requirements.txt'] },
      },
      { 'web/requirements.txt': 'Django\n' },
    )
    expect(lines(stage, 'WORKDIR')).toEqual(['/app/web'])
    expect(lines(stage, 'COPY')).toEqual(['web/requirements.txt /app/web/requirements.txt'])
  })

  it('poetry: installs the main group from the lock into the app virtualenv, poetry kept apart', () => {
    const stage = buildStage(
      { dependencies: { manager: 'poetry', files: ['pyproject.toml'], lockFile: 'poetry.lock' } },
      { 'pyproject.toml': '[tool.poetry]\n', 'poetry.lock': '', 'README.md': '# x' },
    )
    expect(lines(stage, 'COPY')).toEqual([
      'pyproject.toml /app/pyproject.toml',
      'poetry.lock /app/poetry.lock',
      'README.md /app/README.md',
    ])
    expect(lines(stage, 'RUN')).toEqual([
      'python -m venv /opt/venv',
      'python -m venv /opt/tools && /opt/tools/bin/pip install --no-cache-dir "poetry>=1.8"',
      '/opt/tools/bin/poetry install --only main --no-root --no-interaction --no-ansi',
      'pip install --no-cache-dir "gunicorn>=22" "whitenoise>=6"',
    ])
  })

  it('pipenv: verifies the lock and installs its default packages', () => {
    const stage = buildStage(
      { dependencies: { manager: 'pipenv', files: ['Pipfile'], lockFile: 'Pipfile.lock' } },
      { Pipfile: '', 'Pipfile.lock': '{}' },
    )
    expect(lines(stage, 'COPY')).toEqual(['Pipfile /app/Pipfile', 'Pipfile.lock /app/Pipfile.lock'])
    expect(lines(stage, 'RUN')).toContain(
      '/opt/tools/bin/pipenv verify && /opt/tools/bin/pipenv requirements > /tmp/requirements.txt && pip install --no-cache-dir -r /tmp/requirements.txt',
    )
  })

  it('uv: syncs the locked, non-dev dependencies into /opt/venv with the image Python', () => {
    const stage = buildStage(
      { dependencies: { manager: 'uv', files: ['pyproject.toml'], lockFile: 'uv.lock' } },
      { 'pyproject.toml': '', 'uv.lock': '', '.python-version': '3.12' },
    )
    expect(lines(stage, 'COPY')).toEqual([
      'pyproject.toml /app/pyproject.toml',
      'uv.lock /app/uv.lock',
      '.python-version /app/.python-version',
    ])
    const run = lines(stage, 'RUN')
    expect(run).toContain('/opt/tools/bin/uv sync --locked --no-dev --no-install-project')
    // uv sync drops packages outside the lock (pip too), so the extras go through uv
    expect(run.at(-1)).toBe('/opt/tools/bin/uv pip install --python /opt/venv/bin/python "gunicorn>=22" "whitenoise>=6"')
    const env = lines(stage, 'ENV').join(' ')
    expect(env).toContain('UV_PROJECT_ENVIRONMENT=/opt/venv')
    expect(env).toContain('UV_PYTHON_DOWNLOADS=never')
  })

  it('pdm: installs production dependencies from a checked lock, without the project itself', () => {
    const stage = buildStage(
      { dependencies: { manager: 'pdm', files: ['pyproject.toml'], lockFile: 'pdm.lock' } },
      { 'pyproject.toml': '', 'pdm.lock': '' },
    )
    expect(lines(stage, 'RUN')).toContain('/opt/tools/bin/pdm install --check --prod --no-editable --no-self')
  })

  it('warns when a lock-based manager has no lock file', () => {
    const result = generateDockerfile(projectModel({ dependencies: { manager: 'poetry', files: ['pyproject.toml'] } }), {
      readFile: memoryReader({ 'pyproject.toml': '' }),
    })
    expect(result.notes).toContainEqual(expect.objectContaining({ level: 'warning', code: 'lock-file-missing' }))
  })

  it('refuses a project with no dependency files', () => {
    expect(() =>
      generateDockerfile(projectModel({ dependencies: { manager: 'none', files: [] } }), { readFile: memoryReader({}) }),
    ).toThrowError(ActionError)
  })

  it('refuses dependency files outside the deployed directory', () => {
    const model = projectModel({
      searchRoot: 'app',
      appDir: 'app',
      managePy: 'app/manage.py',
      settings: { files: ['app/mysite/settings.py'] },
      dependencies: { files: ['requirements.txt'] },
    })
    expect(() => generateDockerfile(model, { readFile: memoryReader({}) })).toThrowError(/outside the deployed directory/)
    expect(generateDockerfile(model, { readFile: memoryReader({}), deployRoot: '' }).generated).toBe(true)
  })
})

describe('plain pyproject (PEP 621)', () => {
  const pyproject = `[project]
name = "site"
version = "1"
dependencies = ["Django>=4.2,<5", "gunicorn>=20.1"]

[project.optional-dependencies]
dev = ["pytest"]
`

  it('installs [project.dependencies] only, without building the project', () => {
    const stage = buildStage(
      { dependencies: { manager: 'pyproject', files: ['pyproject.toml'] } },
      { 'pyproject.toml': pyproject },
    )
    const run = lines(stage, 'RUN').find((command) => command.includes('tomllib')) ?? ''
    expect(run).toMatch(/pip install --no-cache-dir -r \/tmp\/requirements\.txt/)
    expect(run).not.toMatch(/pip install[^|]* \.( |$)/)
  })

  it('produces the right requirement list when its RUN line is executed (Python 3.11 has tomllib)', () => {
    const stage = buildStage(
      { dependencies: { manager: 'pyproject', files: ['pyproject.toml'] } },
      { 'pyproject.toml': pyproject },
    )
    const run = lines(stage, 'RUN').find((command) => command.includes('tomllib')) ?? ''
    const extract = run.split(' && ')[0] ?? ''
    const directory = mkdtempSync(path.join(tmpdir(), 'pyproject-run-'))
    try {
      writeFileSync(path.join(directory, 'pyproject.toml'), pyproject)
      const shim = path.join(directory, 'bin')
      execFileSync('/bin/sh', ['-c', `mkdir -p ${shim} && ln -s /usr/bin/python3 ${shim}/python`])
      execFileSync('/bin/sh', ['-c', extract.replace('> /tmp/requirements.txt', `> ${directory}/requirements.txt`)], {
        cwd: directory,
        env: { PATH: `${shim}:/usr/bin:/bin` },
      })
      expect(readFileSync(path.join(directory, 'requirements.txt'), 'utf8')).toBe('Django>=4.2,<5\ngunicorn>=20.1\n')
    } finally {
      rmSync(directory, { recursive: true, force: true })
    }
  })

  it('uses tomli from the tools virtualenv before Python 3.11', () => {
    const stage = buildStage(
      {
        python: { version: '3.10', source: '.python-version' },
        dependencies: { manager: 'pyproject', files: ['pyproject.toml'] },
      },
      { 'pyproject.toml': pyproject },
    )
    const run = lines(stage, 'RUN')
    expect(run).toContain('python -m venv /opt/tools && /opt/tools/bin/pip install --no-cache-dir "tomli"')
    expect(run.find((command) => command.includes('tomli as tomllib'))).toMatch(
      /^\/opt\/tools\/bin\/python -c 'import tomli as tomllib;/,
    )
  })
})
