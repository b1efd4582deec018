import { describe, expect, test } from 'vitest'
import type { ChainEvent } from '../../src/detect/settings-chain.js'
import { effectiveValue, mergeSettingsFacts } from '../../src/detect/settings-facts.js'
import { settingsFindings, summariseSettings } from '../../src/detect/settings-summary.js'
import type { JsonValue, SettingValue } from '../../src/detect/model.js'

/** Merging the settings chain: last write wins, modifications follow their assignment. */

let line = 0
function assign(name: string, value: SettingValue, extra: Partial<ChainEvent> = {}): ChainEvent {
  return { type: 'assign', name, value, file: 'base.py', line: ++line, conditional: false, ...extra } as ChainEvent
}
function literal(name: string, value: JsonValue, extra: Partial<ChainEvent> = {}): ChainEvent {
  return assign(name, { kind: 'literal', value }, extra)
}
function update(name: string, op: string, value: JsonValue, extra: Record<string, unknown> = {}): ChainEvent {
  return { type: 'update', name, op, value, file: 'prod.py', line: ++line, conditional: false, ...extra } as ChainEvent
}

describe('mergeSettingsFacts', () => {
  test('the last assignment wins and keeps its provenance and conditional flag', () => {
    const facts = mergeSettingsFacts([
      literal('DEBUG', true),
      literal('DEBUG', false, { file: 'prod.py', line: 3 }),
      literal('SECRET_KEY', 'a'),
      literal('SECRET_KEY', 'b', { file: 'local.py', line: 7, conditional: true }),
      literal('UNRELATED', 1),
    ])
    expect(facts).toEqual({
      DEBUG: { value: { kind: 'literal', value: false }, at: { file: 'prod.py', line: 3 }, conditional: false },
      SECRET_KEY: { value: { kind: 'literal', value: 'b' }, at: { file: 'local.py', line: 7 }, conditional: true },
    })
  })

  test('appends to a tuple are tracked (a tuple MIDDLEWARE is fine) and a reassignment resets them', () => {
    const events = [
      literal('MIDDLEWARE', ['security', 'common']),
      update('MIDDLEWARE', 'extend', ['csrf']),
      update('MIDDLEWARE', 'insert', 'whitenoise', { index: 1 }),
      update('MIDDLEWARE', 'append', { $expr: 'EXTRA' }),
    ]
    const facts = mergeSettingsFacts(events)
    expect(facts.MIDDLEWARE?.added).toEqual(['csrf', 'whitenoise', { $expr: 'EXTRA' }])
    expect(facts.MIDDLEWARE?.updates?.map((u) => [u.op, u.at.file])).toEqual([
      ['extend', 'prod.py'],
      ['insert', 'prod.py'],
      ['append', 'prod.py'],
    ])
    expect(effectiveValue(facts.MIDDLEWARE)).toEqual(['security', 'whitenoise', 'common', 'csrf', { $expr: 'EXTRA' }])
    expect(summariseSettings(facts).whitenoiseMiddleware).toBe(false) // "whitenoise" is not the middleware path
    const reset = mergeSettingsFacts([...events, literal('MIDDLEWARE', ['only'])])
    expect(reset.MIDDLEWARE).toEqual({ value: { kind: 'literal', value: ['only'] }, at: expect.any(Object), conditional: false })
  })

  test('insert follows Python: negative indexes count from the end, large ones clamp', () => {
    const facts = mergeSettingsFacts([
      literal('INSTALLED_APPS', ['a', 'b']),
      update('INSTALLED_APPS', 'insert', 'x', { index: -1 }),
      update('INSTALLED_APPS', 'insert', 'y', { index: 99 }),
    ])
    expect(effectiveValue(facts.INSTALLED_APPS)).toEqual(['a', 'x', 'b', 'y'])
  })

  test('item assignment into STORAGES (Wagtail production.py) is applied by effectiveValue', () => {
    const facts = mergeSettingsFacts([
      literal('STORAGES', { default: { BACKEND: 'fs' }, staticfiles: { BACKEND: 'plain' } }),
      update('STORAGES', 'set-item', 'manifest', { keys: ['staticfiles', 'BACKEND'] }),
    ])
    expect(facts.STORAGES?.value).toEqual({
      kind: 'literal',
      value: { default: { BACKEND: 'fs' }, staticfiles: { BACKEND: 'plain' } },
    })
    expect(facts.STORAGES?.added).toBeUndefined()
    expect(effectiveValue(facts.STORAGES)).toEqual({ default: { BACKEND: 'fs' }, staticfiles: { BACKEND: 'manifest' } })
    expect(summariseSettings(facts)).toMatchObject({ storageSetting: 'STORAGES', staticfilesBackend: 'manifest' })
  })

  test('placeholders are values, not dicts: DATABASES["default"]["X"] = ... does not write into {$env}', () => {
    const facts = mergeSettingsFacts([
      literal('DATABASES', { default: { $env: 'DATABASE_URL', cast: 'db' } }),
      update('DATABASES', 'set-item', true, { keys: ['default', 'ATOMIC_REQUESTS'] }),
    ])
    expect(effectiveValue(facts.DATABASES)).toEqual({ default: { $env: 'DATABASE_URL', cast: 'db' } })
    expect(summariseSettings(facts).databaseUrlVariable).toBe('DATABASE_URL')
  })

  test('concatenations of known lists become literals (cookiecutter INSTALLED_APPS)', () => {
    const facts = mergeSettingsFacts([
      literal('DJANGO_APPS', ['django.contrib.admin']),
      update('DJANGO_APPS', 'append', 'django.contrib.auth'),
      literal('LOCAL_APPS', ['shop']),
      assign('INSTALLED_APPS', { kind: 'expression', source: 'DJANGO_APPS + LOCAL_APPS + ["x"]' }, {
        concat: [{ name: 'DJANGO_APPS' }, { name: 'LOCAL_APPS' }, { items: ['x'] }],
      } as Partial<ChainEvent>),
      update('INSTALLED_APPS', 'extend', { $expr: 'LOCAL_APPS' }),
    ])
    expect(facts.INSTALLED_APPS?.value).toEqual({
      kind: 'literal',
      value: ['django.contrib.admin', 'django.contrib.auth', 'shop', 'x'],
      source: 'DJANGO_APPS + LOCAL_APPS + ["x"]',
    })
    expect(facts.INSTALLED_APPS?.added).toEqual(['shop'])
  })

  test('a concatenation with an unknown name stays an expression', () => {
    const facts = mergeSettingsFacts([
      assign('INSTALLED_APPS', { kind: 'expression', source: 'A + B' }, {
        concat: [{ name: 'A' }, { name: 'B' }],
      } as Partial<ChainEvent>),
    ])
    expect(facts.INSTALLED_APPS?.value).toEqual({ kind: 'expression', source: 'A + B' })
    expect(summariseSettings(facts).installedApps).toEqual([])
  })

  test('a modification of a setting never assigned is ignored', () => {
    expect(mergeSettingsFacts([update('MIDDLEWARE', 'append', 'x')])).toEqual({})
  })
})

describe('summariseSettings and settingsFindings', () => {
  const summaryOf = (events: ChainEvent[]) => {
    const facts = mergeSettingsFacts(events)
    const summary = summariseSettings(facts)
    return { summary, codes: settingsFindings(facts, summary).map((f) => f.code) }
  }

  test('secret key: literal, insecure literal, env, env with a default, missing', () => {
    expect(summaryOf([literal('SECRET_KEY', 'django-insecure-abc')])).toMatchObject({
      summary: { secretKey: 'insecure-literal' },
      codes: expect.arrayContaining(['secret-key-insecure']),
    })
    expect(summaryOf([literal('SECRET_KEY', 'abc')])).toMatchObject({
      summary: { secretKey: 'literal' },
      codes: expect.arrayContaining(['secret-key-hardcoded']),
    })
    const env = summaryOf([assign('SECRET_KEY', { kind: 'env', variable: 'SECRET_KEY' })])
    expect(env.summary.secretKey).toBe('env')
    expect(env.codes).not.toContain('secret-key-insecure-default')
    expect(summaryOf([assign('SECRET_KEY', { kind: 'env', variable: 'S', default: 'dev' })]).codes).toContain(
      'secret-key-insecure-default',
    )
    expect(summaryOf([assign('SECRET_KEY', { kind: 'expression', source: 'get_random_secret_key()' })]).summary.secretKey).toBe(
      'expression',
    )
    expect(summaryOf([])).toMatchObject({
      summary: { secretKey: 'missing' },
      codes: expect.arrayContaining(['secret-key-missing']),
    })
  })

  test('debug: literal True warns, False and env do not', () => {
    expect(summaryOf([literal('DEBUG', true)])).toMatchObject({
      summary: { debug: 'true' },
      codes: expect.arrayContaining(['debug-true']),
    })
    expect(summaryOf([literal('DEBUG', false)]).summary.debug).toBe('false')
    expect(
      summaryOf([assign('DEBUG', { kind: 'env', variable: 'DEBUG', expression: 'os.environ.get("DEBUG") == "1"' })]).summary
        .debug,
    ).toBe('env')
    expect(summaryOf([assign('DEBUG', { kind: 'expression', source: 'not PROD' })]).summary.debug).toBe('expression')
    expect(summaryOf([]).summary.debug).toBe('missing')
  })

  test('debug from the environment with a default that means "on" warns', () => {
    const read = (value: JsonValue) =>
      summaryOf([assign('DEBUG', { kind: 'env', variable: 'DJANGO_DEBUG', default: value, expression: 'x' })]).codes
    expect(read('true')).toContain('debug-env-default-true')
    expect(read('1')).toContain('debug-env-default-true')
    expect(read(true)).toContain('debug-env-default-true')
    expect(read('False')).not.toContain('debug-env-default-true')
    expect(read('')).not.toContain('debug-env-default-true')
    expect(read(false)).not.toContain('debug-env-default-true')
  })

  test('database: SQLite literal warns; a URL falling back to SQLite is a notice', () => {
    const sqlite = summaryOf([
      literal('DATABASES', { default: { ENGINE: 'django.db.backends.sqlite3', NAME: { $expr: 'BASE_DIR / "db"' } } }),
    ])
    expect(sqlite.summary.databaseEngine).toBe('django.db.backends.sqlite3')
    expect(sqlite.codes).toContain('database-sqlite')
    const fallback = summaryOf([
      literal('DATABASES', {
        default: { $env: 'DATABASE_URL', cast: 'db', default: { $expr: 'f"sqlite:///{BASE_DIR}"', prefix: 'sqlite:///' } },
      }),
    ])
    expect(fallback.summary).toMatchObject({ databaseUrlVariable: 'DATABASE_URL' })
    expect(fallback.summary.databaseEngine).toBeUndefined()
    expect(fallback.codes).toContain('database-sqlite-fallback')
    expect(summaryOf([literal('DATABASES', { default: { ENGINE: 'django.db.backends.postgresql' } })]).codes).not.toContain(
      'database-sqlite',
    )
    expect(
      summaryOf([assign('DATABASES', { kind: 'env', variable: 'DATABASE_URL', cast: 'db' })]).summary.databaseUrlVariable,
    ).toBe('DATABASE_URL')
  })

  test('STATIC_ROOT missing only matters with django.contrib.staticfiles', () => {
    expect(summaryOf([literal('INSTALLED_APPS', ['django.contrib.staticfiles'])]).codes).toContain('static-root-missing')
    expect(summaryOf([literal('INSTALLED_APPS', ['django.contrib.admin'])]).codes).not.toContain('static-root-missing')
    expect(
      summaryOf([literal('INSTALLED_APPS', ['django.contrib.staticfiles']), literal('STATIC_ROOT', '/srv/static')]).codes,
    ).not.toContain('static-root-missing')
  })

  test('ALLOWED_HOSTS: empty and local-only are notices; from the environment is fine', () => {
    expect(summaryOf([literal('ALLOWED_HOSTS', [])]).codes).toContain('allowed-hosts-empty')
    expect(summaryOf([]).codes).toContain('allowed-hosts-empty')
    expect(summaryOf([assign('ALLOWED_HOSTS', { kind: 'env', variable: 'HOSTS', cast: 'list' })]).codes).not.toContain(
      'allowed-hosts-empty',
    )
    expect(summaryOf([literal('ALLOWED_HOSTS', ['localhost', '127.0.0.1', '[::1]'])]).codes).toContain('allowed-hosts-local-only')
    expect(summaryOf([literal('ALLOWED_HOSTS', ['localhost', 'example.com'])]).codes).not.toContain('allowed-hosts-local-only')
    expect(summaryOf([literal('ALLOWED_HOSTS', []), update('ALLOWED_HOSTS', 'append', 'example.com')]).codes).not.toContain(
      'allowed-hosts-empty',
    )
  })

  test('storage: STORAGES, the legacy STATICFILES_STORAGE (notice), or none', () => {
    expect(summaryOf([literal('STATICFILES_STORAGE', 'whitenoise.storage.CompressedManifestStaticFilesStorage')])).toMatchObject({
      summary: {
        storageSetting: 'STATICFILES_STORAGE',
        staticfilesBackend: 'whitenoise.storage.CompressedManifestStaticFilesStorage',
      },
      codes: expect.arrayContaining(['staticfiles-storage-legacy']),
    })
    expect(summaryOf([]).summary.storageSetting).toBe('none')
  })

  test('WhiteNoise middleware and app lists, with modifications applied', () => {
    const { summary } = summaryOf([
      literal('MIDDLEWARE', ['django.middleware.security.SecurityMiddleware']),
      update('MIDDLEWARE', 'insert', 'whitenoise.middleware.WhiteNoiseMiddleware', { index: 1 }),
      literal('INSTALLED_APPS', ['a']),
      update('INSTALLED_APPS', 'prepend', ['whitenoise.runserver_nostatic']),
    ])
    expect(summary).toMatchObject({
      whitenoiseMiddleware: true,
      middleware: ['django.middleware.security.SecurityMiddleware', 'whitenoise.middleware.WhiteNoiseMiddleware'],
      installedApps: ['whitenoise.runserver_nostatic', 'a'],
    })
  })
})
