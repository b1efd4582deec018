import { describe, expect, it } from 'vitest'
import { dockerignoreContent } from '../../src/build/dockerignore.js'
import { databaseKind, djangoBefore42, extraPackages } from '../../src/build/extras.js'
import { shellAssignments, shellQuote } from '../../src/build/shell.js'
import { systemPackages } from '../../src/build/system-packages.js'
import { containerCommand, gunicornTarget, procfileWebCommand } from '../../src/build/web-command.js'
import { ActionError } from '../../src/errors.js'
import { projectModel } from '../settings/project-model.js'

describe('web commands', () => {
  it('turns WSGI_APPLICATION into a gunicorn target', () => {
    expect(gunicornTarget(projectModel({ wsgiApplication: 'config.wsgi.application' }))).toBe('config.wsgi:application')
    expect(() => gunicornTarget(projectModel({ wsgiApplication: undefined }))).toThrowError(ActionError)
    expect(() => gunicornTarget(projectModel({ wsgiApplication: 'application' }))).toThrowError(/not a dotted path/)
  })

  it('binds $PORT with a default in the container and lets gunicorn read PORT in the Procfile', () => {
    expect(containerCommand(projectModel())).toContain('--bind "0.0.0.0:${PORT:-8000}"')
    expect(containerCommand(projectModel()).startsWith('exec gunicorn ')).toBe(true)
    expect(procfileWebCommand(projectModel())).not.toContain('--bind')
  })
})

describe('extra packages', () => {
  it('reads the database from the settings unless told', () => {
    expect(databaseKind(projectModel({ summary: { databaseEngine: 'django.db.backends.postgresql' } }))).toBe('postgres')
    expect(databaseKind(projectModel({ summary: { databaseEngine: 'django.contrib.gis.db.backends.postgis' } }))).toBe('postgres')
    expect(databaseKind(projectModel({ summary: { databaseEngine: 'django.db.backends.mysql' } }))).toBe('mysql')
    expect(databaseKind(projectModel())).toBe('sqlite')
    expect(databaseKind(projectModel(), 'postgres')).toBe('postgres')
    expect(databaseKind(projectModel({ summary: { databaseEngine: undefined } }))).toBeUndefined()
  })

  it('adds no whitenoise when static files live on object storage', () => {
    const model = projectModel({ summary: { staticfilesBackend: 'storages.backends.s3.S3Storage' } })
    expect(extraPackages(model, 'sqlite').requirements).toEqual(['gunicorn>=22'])
  })

  it('picks psycopg2 for Django before 4.2', () => {
    expect(['==3.2.*', '<4.2', '<=4.1', '~=4.1.0', '^3.2', '~4.1', '>=3.2,<4.0'].map(djangoBefore42)).toEqual([
      true,
      true,
      true,
      true,
      true,
      true,
      true,
    ])
    expect(['>=4.2', '~=4.1', '==4.2.*', '>=3.2', '5.0', '', undefined].map(djangoBefore42)).toEqual([
      false,
      false,
      false,
      false,
      false,
      false,
      false,
    ])
  })
})

describe('system packages', () => {
  it('needs nothing for binary drivers', () => {
    expect(systemPackages(projectModel({ dependencies: { packages: { 'psycopg2-binary': '' } } }), [])).toEqual({
      build: [],
      runtime: [],
    })
    expect(systemPackages(projectModel(), ['psycopg[binary]>=3.1'])).toEqual({ build: [], runtime: [] })
  })
})

describe('.dockerignore', () => {
  const content = dockerignoreContent(projectModel(), '')

  it('excludes VCS, virtualenvs, caches, local data and every kind of local secret', () => {
    const lines = content.split('\n')
    for (const pattern of [
      '.git',
      '**/.venv',
      '/venv',
      '**/__pycache__',
      '**/*.sqlite3',
      '/media',
      '/staticfiles',
      '**/node_modules',
      '**/.env',
      '**/.env.*',
      '**/gha-creds-*.json',
    ]) {
      expect(lines).toContain(pattern)
    }
  })

  it('also excludes media and staticfiles beside a nested manage.py', () => {
    const nested = dockerignoreContent(projectModel(), 'src')
    expect(nested.split('\n')).toEqual(expect.arrayContaining(['/src/media', '/src/staticfiles', '/src/venv']))
  })

  it('keeps a top-level app that happens to be called media', () => {
    const withMediaApp = dockerignoreContent(
      projectModel({ summary: { installedApps: ['media', 'django.contrib.staticfiles'] } }),
      '',
    )
    expect(withMediaApp.split('\n')).not.toContain('/media')
  })
})

describe('shell quoting', () => {
  it('leaves plain values alone and single-quotes the rest', () => {
    expect(shellQuote('sqlite://:memory:')).toBe('sqlite://:memory:')
    expect(shellQuote("it's $HOME")).toBe(`'it'"'"'s $HOME'`)
    expect(shellAssignments({ A: '1', B: 'two words' })).toBe("A=1 B='two words'")
  })
})
