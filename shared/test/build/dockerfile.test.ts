import { execFileSync } from 'node:child_process'
import { describe, expect, it } from 'vitest'
import { ActionError } from '../../src/errors.js'
import { CONTAINER_USER, generateDockerfile, type DockerfileOptions } from '../../src/build/dockerfile.js'
import { BUILD_SECRET_KEY } from '../../src/settings/environment.js'
import { memoryReader } from '../../src/settings/read-file.js'
import { projectModel, type ModelOverrides } from '../settings/project-model.js'
import { envOf, parseDockerfile, stagesOf, type Stage } from './dockerfile-parser.js'

const reader = memoryReader({ 'requirements.txt': 'Django>=4.2\n' })

function build(overrides: ModelOverrides = {}, options: Partial<DockerfileOptions> = {}) {
  return generateDockerfile(projectModel(overrides), { readFile: reader, ...options })
}

function dockerfileOf(result: ReturnType<typeof build>): string {
  const file = result.files.find((candidate) => candidate.path === 'Dockerfile')
  if (!file) throw new Error('no Dockerfile generated')
  return file.content
}

function stages(overrides: ModelOverrides = {}, options: Partial<DockerfileOptions> = {}): [Stage, Stage] {
  const all = stagesOf(dockerfileOf(build(overrides, options)))
  expect(all).toHaveLength(2)
  return all as [Stage, Stage]
}

const args = (stage: Stage, keyword: string) =>
  stage.instructions.filter((instruction) => instruction.keyword === keyword).map((instruction) => instruction.args)

/** `sh -n`: the shell accepts the command's syntax (RUN and CMD in shell form run under /bin/sh -c). */
function shellSyntaxOk(command: string): boolean {
  try {
    execFileSync('/bin/sh', ['-n', '-c', command], { stdio: 'pipe' })
    return true
  } catch {
    return false
  }
}

describe('generateDockerfile', () => {
  it('builds a two-stage image for a flat pip project', () => {
    const [buildStage, runtime] = stages()
    expect(buildStage).toMatchObject({ from: 'python:3.12-slim', name: 'build' })
    expect(runtime.from).toBe('python:3.12-slim')
    expect(args(buildStage, 'RUN')).toEqual([
      'python -m venv /opt/venv',
      'pip install --no-cache-dir -r requirements.txt',
      'pip install --no-cache-dir "gunicorn>=22" "whitenoise>=6"',
    ])
    expect(args(buildStage, 'COPY')).toEqual(['requirements.txt /app/requirements.txt'])
    expect(args(runtime, 'COPY')).toEqual(['--from=build /opt/venv /opt/venv', `--chown=app:app . /app/`])
  })

  it('runs as a non-root user, in the app directory, with the overlay as settings', () => {
    const [, runtime] = stages()
    expect(args(runtime, 'RUN')[0]).toBe(
      `useradd --uid ${CONTAINER_USER.uid} --user-group --create-home --shell /usr/sbin/nologin app`,
    )
    // The app directory itself belongs to the user (SQLite creates its file there), not only its files.
    expect(args(runtime, 'RUN')[1]).toBe('install -d -o app -g app /app')
    expect(args(runtime, 'USER')).toEqual(['app'])
    expect(args(runtime, 'WORKDIR').at(-1)).toBe('/app')
    const env = Object.assign({}, ...args(runtime, 'ENV').map(envOf)) as Record<string, string>
    expect(env).toMatchObject({
      DJANGO_SETTINGS_MODULE: 'mysite.settings_deploy',
      PYTHONUNBUFFERED: '1',
      VIRTUAL_ENV: '/opt/venv',
      PATH: '/opt/venv/bin:$PATH',
      WEB_CONCURRENCY: '2',
    })
    // USER comes after every RUN, so nothing runs as root afterwards except the build steps
    const keywords = runtime.instructions.map((instruction) => instruction.keyword)
    expect(keywords.lastIndexOf('RUN')).toBeLessThan(keywords.indexOf('USER'))
  })

  it('collects static files with a throwaway key scoped to that RUN, never ENV', () => {
    const content = dockerfileOf(build())
    const [, runtime] = stages()
    expect(args(runtime, 'RUN')).toContain(`SECRET_KEY=${BUILD_SECRET_KEY} python manage.py collectstatic --noinput`)
    for (const env of [...args(runtime, 'ENV'), ...args(stages()[0], 'ENV')])
      expect(Object.keys(envOf(env))).not.toContain('SECRET_KEY')
    expect(content).not.toMatch(/ARG SECRET|ENV SECRET/)
  })

  it('compiles the project to bytecode at build time, after the code is copied, so cold starts do not', () => {
    const [, runtime] = stages()
    const keywords = runtime.instructions.map((instruction) => `${instruction.keyword} ${instruction.args}`)
    const compile = keywords.indexOf('RUN python -m compileall -q -j 0 /app')
    expect(compile).toBeGreaterThan(keywords.findIndex((line) => line.startsWith('COPY --chown=app:app . /app/')))
    expect(compile).toBeLessThan(keywords.indexOf('USER app'))
  })

  it('adds placeholders for settings that cannot import without their variables', () => {
    const [, runtime] = stages({
      facts: {
        SECRET_KEY: {
          value: { kind: 'env', variable: 'DJANGO_SECRET_KEY' },
          at: { file: 'mysite/settings.py', line: 3 },
          conditional: false,
        },
      },
    })
    expect(args(runtime, 'RUN')).toContain(
      `DJANGO_SECRET_KEY=${BUILD_SECRET_KEY} SECRET_KEY=${BUILD_SECRET_KEY} python manage.py collectstatic --noinput`,
    )
  })

  it('starts gunicorn on $PORT through exec, and never migrates', () => {
    const content = dockerfileOf(build())
    const cmd = parseDockerfile(content).filter((instruction) => instruction.keyword === 'CMD')
    expect(cmd).toHaveLength(1)
    expect(cmd[0]?.args).toBe(
      'exec gunicorn mysite.wsgi:application --bind "0.0.0.0:${PORT:-8000}" --workers "${WEB_CONCURRENCY:-2}" --threads "${GUNICORN_THREADS:-4}" --timeout "${GUNICORN_TIMEOUT:-0}" --worker-tmp-dir /dev/shm --access-logfile -',
    )
    const instructions = parseDockerfile(content).filter((instruction) =>
      ['RUN', 'CMD', 'ENTRYPOINT'].includes(instruction.keyword),
    )
    for (const instruction of instructions) expect(instruction.args).not.toMatch(/\bmigrate\b/)
    expect(parseDockerfile(content).map((instruction) => instruction.keyword)).not.toContain('EXPOSE')
  })

  it('writes every RUN and the CMD as valid sh', () => {
    for (const overrides of [
      {},
      { dependencies: { manager: 'poetry' as const, files: ['pyproject.toml'], lockFile: 'poetry.lock' } },
      { python: { version: '3.10' }, dependencies: { manager: 'pyproject' as const, files: ['pyproject.toml'] } },
    ]) {
      for (const instruction of parseDockerfile(dockerfileOf(build(overrides)))) {
        if (instruction.keyword === 'RUN' || instruction.keyword === 'CMD')
          expect(shellSyntaxOk(instruction.args), instruction.args).toBe(true)
      }
    }
  })

  it('uses WORKDIR = the app directory of a nested layout, with paths relative to the build context', () => {
    const nested = {
      appDir: 'src',
      managePy: 'src/manage.py',
      wsgiApplication: 'config.wsgi.application',
      settings: { module: 'config.settings', files: ['src/config/settings.py'] },
      dependencies: { manager: 'pyproject' as const, files: ['pyproject.toml'] },
    }
    const result = generateDockerfile(projectModel(nested), { readFile: memoryReader({ 'pyproject.toml': '[project]\n' }) })
    const [buildStage, runtime] = stagesOf(dockerfileOf(result)) as [Stage, Stage]
    expect(args(buildStage, 'COPY')).toEqual(['pyproject.toml /app/pyproject.toml'])
    expect(args(runtime, 'WORKDIR').at(-1)).toBe('/app/src')
    expect(result.workdir).toBe('/app/src')
    expect(Object.assign({}, ...args(runtime, 'ENV').map(envOf))).toMatchObject({
      DJANGO_SETTINGS_MODULE: 'config.settings_deploy',
    })
    expect(args(runtime, 'CMD')[0]).toMatch(/^exec gunicorn config\.wsgi:application /)
  })

  it('matches the detected Python version, and says when it fell back to the default', () => {
    expect(stages({ python: { version: '3.11.9', source: 'runtime.txt' } })[0].from).toBe('python:3.11.9-slim')
    const result = build({ python: {} })
    expect(stagesOf(dockerfileOf(result))[0]?.from).toBe('python:3.12-slim')
    expect(result.notes.map((note) => note.code)).toContain('python-version-default')
    expect(() => build({ python: { version: 'pypy3.10', source: '.python-version' } })).toThrowError(ActionError)
  })

  it('installs gunicorn, whitenoise and a Postgres driver only when missing, and says so', () => {
    const declared = build({
      features: { gunicorn: true, whitenoise: true, psycopg2: true },
      dependencies: { packages: { django: '>=4.2', gunicorn: '', whitenoise: '', 'psycopg2-binary': '' } },
      summary: { databaseEngine: 'django.db.backends.postgresql' },
    })
    expect(declared.addedPackages).toEqual([])
    expect(declared.notes.filter((note) => note.code === 'added-package')).toEqual([])
    expect(dockerfileOf(declared)).not.toContain('gunicorn>=')

    const missing = build({}, { database: 'postgres' })
    expect(missing.addedPackages).toEqual(['gunicorn>=22', 'whitenoise>=6', 'psycopg[binary]>=3.1'])
    expect(missing.notes.filter((note) => note.code === 'added-package').map((note) => note.message)).toEqual([
      expect.stringMatching(/^gunicorn is not among your dependencies; the image installs gunicorn>=22 to serve the app/),
      expect.stringMatching(/^whitenoise is not among your dependencies/),
      expect.stringMatching(/^A PostgreSQL driver is not among your dependencies; the image installs psycopg\[binary\]>=3\.1/),
    ])
    expect(build({ dependencies: { packages: { django: '==3.2.*' } } }, { database: 'postgres' }).addedPackages).toContain(
      'psycopg2-binary>=2.9',
    )
  })

  it('adds compilers to the build stage and libraries to the runtime stage only for source drivers', () => {
    const [buildStage, runtime] = stages({
      dependencies: { packages: { django: '', psycopg2: '', mysqlclient: '' } },
      features: { psycopg2: true, mysqlclient: true },
    })
    expect(args(buildStage, 'RUN')[0]).toBe(
      'apt-get update && apt-get install -y --no-install-recommends build-essential default-libmysqlclient-dev libpq-dev pkg-config && rm -rf /var/lib/apt/lists/*',
    )
    expect(args(runtime, 'RUN')[0]).toBe(
      'apt-get update && apt-get install -y --no-install-recommends libmariadb3 libpq5 && rm -rf /var/lib/apt/lists/*',
    )
    expect(args(stages()[1], 'RUN').some((run) => run.includes('apt-get'))).toBe(false)
  })

  it('generates nothing at all when the project has its own Dockerfile', () => {
    const result = build({ existing: { dockerfile: 'Dockerfile' } })
    expect(result).toMatchObject({ files: [], generated: false, settingsModule: 'mysite.settings_deploy' })
    expect(result.notes[0]?.message).toMatch(/Using your Dockerfile as is. Set DJANGO_SETTINGS_MODULE=mysite.settings_deploy/)
    // also when only the file system knows about it
    expect(generateDockerfile(projectModel(), { readFile: memoryReader({ Dockerfile: 'FROM scratch\n' }) }).files).toEqual([])
  })

  it("keeps a user's .dockerignore", () => {
    const result = build({ existing: { dockerignore: '.dockerignore' } })
    expect(result.files.map((file) => file.path)).toEqual(['Dockerfile'])
    expect(result.notes.map((note) => note.code)).toContain('user-dockerignore')
  })

  it('skips collectstatic for a project without the staticfiles app, or when asked', () => {
    const apiOnly = build({
      summary: { installedApps: ['django.contrib.auth'] },
      facts: {
        INSTALLED_APPS: {
          value: { kind: 'literal', value: ['django.contrib.auth'] },
          at: { file: 'mysite/settings.py', line: 1 },
          conditional: false,
        },
      },
    })
    expect(dockerfileOf(apiOnly)).not.toContain('collectstatic')
    expect(dockerfileOf(build({}, { collectstatic: false }))).not.toContain('collectstatic')
  })

  it('is deterministic', () => {
    const model = projectModel({ dependencies: { manager: 'uv', files: ['pyproject.toml'], lockFile: 'uv.lock' } })
    const a = generateDockerfile(model, { readFile: reader })
    const b = generateDockerfile(structuredClone(model), { readFile: reader })
    expect(a).toEqual(b)
  })
})
