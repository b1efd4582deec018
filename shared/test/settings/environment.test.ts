import { describe, expect, it } from 'vitest'
import { ActionError } from '../../src/errors.js'
import { BUILD_SECRET_KEY, buildEnvironment, overlayEnvironment } from '../../src/settings/environment.js'
import { requiredProjectVariables } from '../../src/settings/project-variables.js'
import { OVERLAY_VARIABLE_NAMES, OVERLAY_VARIABLES } from '../../src/settings/variables.js'
import { runOverlay, STARTPROJECT } from './python-harness.js'
import { projectModel } from './project-model.js'

const at = { file: 'config/settings/production.py', line: 1 }

/** cookiecutter-django's production settings, as detection reports them. */
const cookiecutter = projectModel({
  settings: { module: 'config.settings.production', files: ['config/settings/base.py', 'config/settings/production.py'] },
  facts: {
    SECRET_KEY: { value: { kind: 'env', variable: 'DJANGO_SECRET_KEY' }, at, conditional: false },
    DEBUG: { value: { kind: 'env', variable: 'DJANGO_DEBUG', default: false, cast: 'bool' }, at, conditional: false },
    ALLOWED_HOSTS: { value: { kind: 'env', variable: 'DJANGO_ALLOWED_HOSTS', cast: 'list' }, at, conditional: false },
    DATABASES: { value: { kind: 'literal', value: { default: { $env: 'DATABASE_URL', cast: 'db' } } }, at, conditional: false },
    CSRF_TRUSTED_ORIGINS: { value: { kind: 'env', variable: 'CSRF_ORIGINS', cast: 'list' }, at, conditional: true },
  },
})

describe('overlayEnvironment', () => {
  it('builds the Cloud Run environment', () => {
    const env = overlayEnvironment({
      settingsModule: 'mysite.settings_deploy',
      hosts: ['blog-abc123-ew.a.run.app', 'Blog.Example.com'],
      https: true,
      secretKey: 's3cret',
      databaseUrl: 'postgres://u:p@//cloudsql/p:r:i/blog',
      hsts: { seconds: 31536000 },
    })
    expect(env).toEqual({
      ALLOWED_HOSTS: 'blog-abc123-ew.a.run.app,blog.example.com',
      CSRF_TRUSTED_ORIGINS: 'https://blog-abc123-ew.a.run.app,https://blog.example.com',
      DATABASE_URL: 'postgres://u:p@//cloudsql/p:r:i/blog',
      DJANGO_HTTPS: 'true',
      DJANGO_SETTINGS_MODULE: 'mysite.settings_deploy',
      SECRET_KEY: 's3cret',
      SECURE_HSTS_SECONDS: '31536000',
    })
    expect(Object.keys(env)).toEqual(Object.keys(env).sort())
  })

  it('builds an HTTP-only Dokku environment with a subdomain wildcard and media volume', () => {
    const env = overlayEnvironment({
      settingsModule: 's_deploy',
      hosts: ['.apps.test', 'blog.apps.test'],
      https: false,
      mediaRoot: '/app/media',
      extraOrigins: ['admin.test'],
    })
    expect(env).toMatchObject({
      ALLOWED_HOSTS: '.apps.test,blog.apps.test',
      CSRF_TRUSTED_ORIGINS: 'http://*.apps.test,http://blog.apps.test,http://admin.test',
      DJANGO_HTTPS: 'false',
      MEDIA_ROOT: '/app/media',
    })
    expect(env).not.toHaveProperty('SECRET_KEY')
  })

  it('never emits empty values', () => {
    const env = overlayEnvironment({ settingsModule: 'm', hosts: [], https: false, secretKey: '', databaseUrl: '' })
    expect(env).toEqual({ DJANGO_HTTPS: 'false', DJANGO_SETTINGS_MODULE: 'm' })
  })

  it('rejects host names with schemes, commas or spaces', () => {
    expect(() => overlayEnvironment({ settingsModule: 'm', hosts: ['https://x.test'], https: true })).toThrowError(ActionError)
    expect(() => overlayEnvironment({ settingsModule: 'm', hosts: ['a.test,b.test'], https: true })).toThrowError(
      /not a host name/,
    )
  })

  it('only uses names the overlay reads (plus DJANGO_SETTINGS_MODULE)', () => {
    const env = overlayEnvironment({
      settingsModule: 'm',
      hosts: ['a.test'],
      https: true,
      secretKey: 'k',
      databaseUrl: 'sqlite://',
      staticRoot: '/s',
      staticUrl: '/st/',
      mediaRoot: '/m',
      mediaUrl: '/me/',
      buildDir: '/b',
      debug: false,
      hsts: { seconds: 1, includeSubdomains: true, preload: false },
    })
    for (const name of Object.keys(env)) expect([...OVERLAY_VARIABLE_NAMES, 'DJANGO_SETTINGS_MODULE']).toContain(name)
  })

  it("also sets the project's own variables that its settings cannot import without", () => {
    const env = overlayEnvironment({
      settingsModule: 'm',
      hosts: ['a.test'],
      https: true,
      secretKey: 'k',
      databaseUrl: 'postgres://x/y',
      project: cookiecutter,
    })
    expect(env).toMatchObject({
      DJANGO_SECRET_KEY: 'k',
      DJANGO_ALLOWED_HOSTS: 'a.test',
      DATABASE_URL: 'postgres://x/y',
      SECRET_KEY: 'k',
    })
    // DJANGO_DEBUG has a default, CSRF_ORIGINS is read conditionally: neither is needed
    expect(env).not.toHaveProperty('DJANGO_DEBUG')
    expect(env).not.toHaveProperty('CSRF_ORIGINS')
  })

  it('drives the overlay to the same settings it describes', () => {
    const env = overlayEnvironment({
      settingsModule: 'ignored',
      hosts: ['a.test', '.b.test'],
      https: true,
      secretKey: 'k'.repeat(60),
    })
    const { DJANGO_SETTINGS_MODULE: _module, ...rest } = env
    const result = runOverlay(STARTPROJECT, ['ALLOWED_HOSTS', 'CSRF_TRUSTED_ORIGINS', 'SECURE_SSL_REDIRECT', 'SECRET_KEY'], {
      env: rest,
    })
    expect(result).toEqual({
      ok: true,
      settings: {
        ALLOWED_HOSTS: ['a.test', '.b.test'],
        CSRF_TRUSTED_ORIGINS: ['https://a.test', 'https://*.b.test'],
        SECURE_SSL_REDIRECT: true,
        SECRET_KEY: 'k'.repeat(60),
      },
    })
  })
})

describe('buildEnvironment', () => {
  it('gives a throwaway key and the overlay module', () => {
    expect(buildEnvironment(projectModel(), 'mysite.settings_deploy')).toEqual({
      DJANGO_SETTINGS_MODULE: 'mysite.settings_deploy',
      SECRET_KEY: BUILD_SECRET_KEY,
    })
    expect(BUILD_SECRET_KEY.length).toBeGreaterThanOrEqual(50)
  })

  it('adds placeholders for what the project requires at import', () => {
    expect(buildEnvironment(cookiecutter, 'config.settings.production_deploy')).toEqual({
      DATABASE_URL: 'sqlite://:memory:',
      DJANGO_ALLOWED_HOSTS: 'localhost',
      DJANGO_SECRET_KEY: BUILD_SECRET_KEY,
      DJANGO_SETTINGS_MODULE: 'config.settings.production_deploy',
      SECRET_KEY: BUILD_SECRET_KEY,
    })
  })
})

describe('requiredProjectVariables', () => {
  it('finds reads without defaults, unconditional ones only, each once', () => {
    expect(requiredProjectVariables(cookiecutter)).toEqual([
      { variable: 'DJANGO_SECRET_KEY', setting: 'SECRET_KEY' },
      { variable: 'DJANGO_ALLOWED_HOSTS', setting: 'ALLOWED_HOSTS', cast: 'list' },
      { variable: 'DATABASE_URL', setting: 'DATABASE_URL', cast: 'db' },
    ])
    expect(requiredProjectVariables(projectModel())).toEqual([])
  })
})

describe('overlayVariablesMarkdown', () => {
  it('documents every variable the overlay reads, one row each', async () => {
    const { overlayVariablesMarkdown } = await import('../../src/settings/variables-doc.js')
    const table = overlayVariablesMarkdown()
    const rows = table.trim().split('\n').slice(2)
    expect(rows).toHaveLength(OVERLAY_VARIABLES.length)
    for (const name of OVERLAY_VARIABLE_NAMES) expect(table).toContain(`\`${name}\``)
    expect(table).toContain('| `SECRET_KEY` or `DJANGO_SECRET_KEY` | secret |')
    expect(table).toContain('| `DJANGO_HTTPS` | boolean |')
  })
})
