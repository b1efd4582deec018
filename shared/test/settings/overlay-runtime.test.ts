import { describe, expect, it } from 'vitest'
import { runOverlay, STARTPROJECT, type SettingsResult } from './python-harness.js'

/**
 * The generated overlay, imported for real by /usr/bin/python3 (Debian's Django 4.2) on top of a
 * throwaway settings module, with only the given environment.
 */
function settingsOf(result: SettingsResult): Record<string, unknown> {
  if (!result.ok) throw new Error(`import failed: ${result.error}: ${result.message}`)
  return result.settings
}

function withSettings(extra: string, names: string[], env: Record<string, string> = {}, options = {}): Record<string, unknown> {
  return settingsOf(runOverlay(`${STARTPROJECT}\n${extra}\n`, names, { env, ...options }))
}

const WHITENOISE = 'whitenoise.middleware.WhiteNoiseMiddleware'
const SECURITY = 'django.middleware.security.SecurityMiddleware'

describe('with an empty environment', () => {
  it('turns DEBUG off and never produces [""]', () => {
    const settings = withSettings(
      'ALLOWED_HOSTS = ["", "local.test"]\nCSRF_TRUSTED_ORIGINS = [""]',
      ['DEBUG', 'ALLOWED_HOSTS', 'CSRF_TRUSTED_ORIGINS'],
      {
        ALLOWED_HOSTS: '',
        CSRF_TRUSTED_ORIGINS: ' , ',
        DEBUG: '',
      },
    )
    expect(settings).toEqual({ DEBUG: false, ALLOWED_HOSTS: ['local.test'], CSRF_TRUSTED_ORIGINS: [] })
  })

  it('keeps the project secret key, database and hosts', () => {
    const settings = withSettings('ALLOWED_HOSTS = ("a.test",)', ['SECRET_KEY', 'ALLOWED_HOSTS', 'DATABASES'])
    expect(settings.SECRET_KEY).toBe('django-insecure-local-only')
    expect(settings.ALLOWED_HOSTS).toEqual(['a.test'])
    expect((settings.DATABASES as Record<string, Record<string, unknown>>).default?.ENGINE).toBe('django.db.backends.sqlite3')
  })

  it('sets STATIC_ROOT beside manage.py and keeps STATIC_URL', () => {
    const settings = withSettings('', ['STATIC_ROOT', 'STATIC_URL'])
    expect(settings.STATIC_ROOT).toMatch(/overlay-unit-[^/]+\/staticfiles$/)
    expect(settings.STATIC_URL).toBe('/static/')
  })

  it('adds console logging only when the project has none', () => {
    expect(withSettings('', ['LOGGING']).LOGGING).toMatchObject({ root: { handlers: ['console'], level: 'INFO' } })
    expect(withSettings('', ['LOGGING'], { DJANGO_LOG_LEVEL: 'warning' }).LOGGING).toMatchObject({ root: { level: 'WARNING' } })
    expect(withSettings('LOGGING = {"version": 1}', ['LOGGING']).LOGGING).toEqual({ version: 1 })
  })
})

describe('secret key and debug', () => {
  it('reads SECRET_KEY, then DJANGO_SECRET_KEY', () => {
    expect(withSettings('', ['SECRET_KEY'], { DJANGO_SECRET_KEY: 'from-prefixed' }).SECRET_KEY).toBe('from-prefixed')
    expect(withSettings('', ['SECRET_KEY'], { SECRET_KEY: 'plain', DJANGO_SECRET_KEY: 'prefixed' }).SECRET_KEY).toBe('plain')
    expect(withSettings('', ['SECRET_KEY'], { SECRET_KEY: '   ', DJANGO_SECRET_KEY: 'prefixed' }).SECRET_KEY).toBe('prefixed')
  })

  it('takes key fallbacks as a list', () => {
    expect(
      withSettings('', ['SECRET_KEY_FALLBACKS'], { SECRET_KEY_FALLBACKS: 'old-one, older-one' }).SECRET_KEY_FALLBACKS,
    ).toEqual(['old-one', 'older-one'])
  })

  it('turns DEBUG on only when asked, and rejects a value that is not a boolean', () => {
    expect(withSettings('', ['DEBUG'], { DEBUG: 'true' }).DEBUG).toBe(true)
    expect(withSettings('', ['DEBUG'], { DJANGO_DEBUG: 'on' }).DEBUG).toBe(true)
    expect(withSettings('', ['DEBUG'], { DEBUG: 'False' }).DEBUG).toBe(false)
    const result = runOverlay(STARTPROJECT, ['DEBUG'], { env: { DEBUG: 'maybe' } })
    expect(result).toMatchObject({ ok: false, error: 'ImproperlyConfigured' })
    expect(result.ok ? '' : result.message).toMatch(/DEBUG='maybe' is not valid: expected true or false/)
  })
})

describe('hosts and origins', () => {
  it('replaces ALLOWED_HOSTS, reducing URLs and ports to hosts', () => {
    const settings = withSettings('ALLOWED_HOSTS = ["*"]', ['ALLOWED_HOSTS'], {
      DJANGO_ALLOWED_HOSTS: 'https://app-123.a.run.app/, example.com:8000 .example.org,example.com',
    })
    expect(settings.ALLOWED_HOSTS).toEqual(['app-123.a.run.app', 'example.com', '.example.org'])
  })

  it('adds schemes and wildcard spelling to CSRF_TRUSTED_ORIGINS, keeping the project entries', () => {
    const settings = withSettings('CSRF_TRUSTED_ORIGINS = ["https://kept.test", "legacy.test"]', ['CSRF_TRUSTED_ORIGINS'], {
      CSRF_TRUSTED_ORIGINS: '.example.com, foo.org, https://bar.org/, http://plain.test, https://kept.test',
    })
    expect(settings.CSRF_TRUSTED_ORIGINS).toEqual([
      'https://kept.test',
      'https://legacy.test',
      'https://*.example.com',
      'https://foo.org',
      'https://bar.org',
      'http://plain.test',
    ])
  })

  it('uses http:// for scheme-less origins of an HTTP-only site', () => {
    const settings = withSettings('', ['CSRF_TRUSTED_ORIGINS'], { DJANGO_HTTPS: 'false', CSRF_TRUSTED_ORIGINS: 'app.dokku.test' })
    expect(settings.CSRF_TRUSTED_ORIGINS).toEqual(['http://app.dokku.test'])
  })
})

describe('HTTPS', () => {
  const names = [
    'SECURE_SSL_REDIRECT',
    'SESSION_COOKIE_SECURE',
    'CSRF_COOKIE_SECURE',
    'SECURE_HSTS_SECONDS',
    'SECURE_PROXY_SSL_HEADER',
    'SECURE_HSTS_INCLUDE_SUBDOMAINS',
    'SECURE_HSTS_PRELOAD',
  ]

  it('hardens everything behind the proxy when DJANGO_HTTPS is true', () => {
    expect(withSettings('', names, { DJANGO_HTTPS: 'true' })).toEqual({
      SECURE_SSL_REDIRECT: true,
      SESSION_COOKIE_SECURE: true,
      CSRF_COOKIE_SECURE: true,
      SECURE_HSTS_SECONDS: 3600,
      SECURE_PROXY_SSL_HEADER: ['HTTP_X_FORWARDED_PROTO', 'https'],
      SECURE_HSTS_INCLUDE_SUBDOMAINS: false,
      SECURE_HSTS_PRELOAD: false,
    })
  })

  it('lets each setting be overridden, including the HSTS policy choices', () => {
    const settings = withSettings('', names, {
      DJANGO_HTTPS: 'true',
      SECURE_HSTS_SECONDS: '31536000',
      SECURE_HSTS_INCLUDE_SUBDOMAINS: 'true',
      DJANGO_SECURE_HSTS_PRELOAD: '1',
      SECURE_SSL_REDIRECT: 'false',
      SECURE_PROXY_SSL_HEADER: 'X-Forwarded-Scheme,https',
    })
    expect(settings).toMatchObject({
      SECURE_HSTS_SECONDS: 31536000,
      SECURE_HSTS_INCLUDE_SUBDOMAINS: true,
      SECURE_HSTS_PRELOAD: true,
      SECURE_SSL_REDIRECT: false,
      SECURE_PROXY_SSL_HEADER: ['HTTP_X_FORWARDED_SCHEME', 'https'],
    })
  })

  it('turns a cookiecutter-style hardened project into a working HTTP-only site when DJANGO_HTTPS is false', () => {
    const hardened = `
SECURE_SSL_REDIRECT = True
SESSION_COOKIE_SECURE = True
SESSION_COOKIE_NAME = "__Secure-sessionid"
CSRF_COOKIE_SECURE = True
CSRF_COOKIE_NAME = "__Host-csrftoken"
SECURE_HSTS_SECONDS = 60
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
`
    const settings = withSettings(hardened, [...names, 'SESSION_COOKIE_NAME', 'CSRF_COOKIE_NAME'], { DJANGO_HTTPS: 'false' })
    expect(settings).toMatchObject({
      SECURE_SSL_REDIRECT: false,
      SESSION_COOKIE_SECURE: false,
      CSRF_COOKIE_SECURE: false,
      SECURE_HSTS_SECONDS: 0,
      SESSION_COOKIE_NAME: 'sessionid',
      CSRF_COOKIE_NAME: 'csrftoken',
      // harmless behind nginx, which sets the header to "http"
      SECURE_PROXY_SSL_HEADER: ['HTTP_X_FORWARDED_PROTO', 'https'],
    })
  })

  it("keeps the project's own choices when DJANGO_HTTPS is unset", () => {
    const settings = withSettings('SECURE_SSL_REDIRECT = True\nSECURE_HSTS_SECONDS = 60', names)
    expect(settings).toMatchObject({ SECURE_SSL_REDIRECT: true, SECURE_HSTS_SECONDS: 60, SECURE_PROXY_SSL_HEADER: null })
  })

  it('can remove the proxy header', () => {
    expect(withSettings('', names, { DJANGO_HTTPS: 'true', SECURE_PROXY_SSL_HEADER: 'off' }).SECURE_PROXY_SSL_HEADER).toBeNull()
  })

  it('rejects an HSTS age that is not a number', () => {
    expect(runOverlay(STARTPROJECT, names, { env: { SECURE_HSTS_SECONDS: '1y' } })).toMatchObject({
      ok: false,
      error: 'ImproperlyConfigured',
    })
  })
})

describe('middleware', () => {
  it('puts WhiteNoise right after SecurityMiddleware in a tuple, once', () => {
    const middleware = withSettings('MIDDLEWARE = tuple(MIDDLEWARE)', ['MIDDLEWARE']).MIDDLEWARE as string[]
    expect(middleware.slice(0, 2)).toEqual([SECURITY, WHITENOISE])
    expect(middleware.filter((entry) => entry === WHITENOISE)).toHaveLength(1)
  })

  it('does not add WhiteNoise twice or move it', () => {
    const middleware = withSettings(`MIDDLEWARE = MIDDLEWARE + ["${WHITENOISE}"]`, ['MIDDLEWARE']).MIDDLEWARE as string[]
    expect(middleware.filter((entry) => entry === WHITENOISE)).toHaveLength(1)
    expect(middleware.at(-1)).toBe(WHITENOISE)
  })

  it('adds SecurityMiddleware when the project has none', () => {
    const middleware = withSettings(`MIDDLEWARE = [m for m in MIDDLEWARE if "security" not in m]`, ['MIDDLEWARE'])
      .MIDDLEWARE as string[]
    expect(middleware.slice(0, 2)).toEqual([SECURITY, WHITENOISE])
  })

  it('adds XFrameOptionsMiddleware only when X_FRAME_OPTIONS asks for it', () => {
    const without = 'MIDDLEWARE = [m for m in MIDDLEWARE if "clickjacking" not in m]'
    expect(withSettings(without, ['MIDDLEWARE']).MIDDLEWARE).not.toContain(
      'django.middleware.clickjacking.XFrameOptionsMiddleware',
    )
    const settings = withSettings(without, ['MIDDLEWARE', 'X_FRAME_OPTIONS'], { X_FRAME_OPTIONS: 'sameorigin' })
    expect(settings.MIDDLEWARE).toContain('django.middleware.clickjacking.XFrameOptionsMiddleware')
    expect(settings.X_FRAME_OPTIONS).toBe('SAMEORIGIN')
  })

  it('adds no WhiteNoise when it is not installed or is switched off', () => {
    expect(withSettings('', ['MIDDLEWARE'], {}, { withoutWhitenoise: true }).MIDDLEWARE).not.toContain(WHITENOISE)
    expect(withSettings('', ['MIDDLEWARE', 'STORAGES'], { DJANGO_WHITENOISE: 'off' })).toMatchObject({
      STORAGES: { staticfiles: { BACKEND: 'django.contrib.staticfiles.storage.StaticFilesStorage' } },
    })
  })
})

describe('static file storage', () => {
  const storage = (extra: string, env: Record<string, string> = {}) =>
    withSettings(extra, ['STORAGES', 'STATICFILES_STORAGE', 'MIDDLEWARE'], env)

  it('configures STORAGES with a default entry when the project sets neither name', () => {
    expect(storage('').STORAGES).toEqual({
      default: { BACKEND: 'django.core.files.storage.FileSystemStorage' },
      staticfiles: { BACKEND: 'whitenoise.storage.CompressedStaticFilesStorage' },
    })
  })

  it('merges into STORAGES, keeping default and OPTIONS, and keeps a chosen manifest', () => {
    const settings = storage(`
STORAGES = {
    "default": {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": {"bucket_name": "media"}},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage", "OPTIONS": {"manifest_strict": False}},
}`)
    expect(settings.STORAGES).toEqual({
      default: { BACKEND: 'storages.backends.s3.S3Storage', OPTIONS: { bucket_name: 'media' } },
      staticfiles: { BACKEND: 'whitenoise.storage.CompressedManifestStaticFilesStorage', OPTIONS: { manifest_strict: false } },
    })
  })

  it('restores a "default" entry that a replaced STORAGES lost', () => {
    const settings = storage('STORAGES = {"staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"}}')
    expect(settings.STORAGES).toEqual({
      default: { BACKEND: 'django.core.files.storage.FileSystemStorage' },
      staticfiles: { BACKEND: 'whitenoise.storage.CompressedManifestStaticFilesStorage' },
    })
  })

  it('keeps the legacy name when the project uses it (Django 4.2 refuses both)', () => {
    const settings = storage('STATICFILES_STORAGE = "django.contrib.staticfiles.storage.StaticFilesStorage"')
    expect(settings.STATICFILES_STORAGE).toBe('whitenoise.storage.CompressedStaticFilesStorage')
    expect(settings.STORAGES).toMatchObject({ staticfiles: { BACKEND: 'whitenoise.storage.CompressedStaticFilesStorage' } })
  })

  it('leaves static files on S3/GCS alone, without WhiteNoise', () => {
    const settings = storage(
      'STORAGES = {"default": {"BACKEND": "storages.backends.gcloud.GoogleCloudStorage"}, "staticfiles": {"BACKEND": "storages.backends.gcloud.GoogleCloudStorage"}}',
    )
    expect(settings.STORAGES).toMatchObject({ staticfiles: { BACKEND: 'storages.backends.gcloud.GoogleCloudStorage' } })
    expect(settings.MIDDLEWARE).not.toContain(WHITENOISE)
  })

  it("keeps a project's own local backend but still serves it with WhiteNoise", () => {
    const settings = storage(
      'STORAGES = {"default": {"BACKEND": "django.core.files.storage.FileSystemStorage"}, "staticfiles": {"BACKEND": "mysite.storage.Custom"}}',
    )
    expect(settings.STORAGES).toMatchObject({ staticfiles: { BACKEND: 'mysite.storage.Custom' } })
    expect(settings.MIDDLEWARE).toContain(WHITENOISE)
  })
})

describe('static and media paths', () => {
  it('resolves relative paths from the directory holding manage.py and adds trailing slashes', () => {
    const settings = withSettings('', ['STATIC_ROOT', 'MEDIA_ROOT', 'MEDIA_URL', 'STATIC_URL', 'BUILD_DIR'], {
      STATIC_ROOT: 'collected',
      MEDIA_ROOT: '/var/lib/media',
      MEDIA_URL: '/uploads',
      DJANGO_STATIC_URL: '/assets',
      BUILD_DIR: 'build',
    })
    expect(settings.STATIC_ROOT).toMatch(/overlay-unit-[^/]+\/collected$/)
    expect(settings.BUILD_DIR).toMatch(/overlay-unit-[^/]+\/build$/)
    expect(settings).toMatchObject({ MEDIA_ROOT: '/var/lib/media', MEDIA_URL: '/uploads/', STATIC_URL: '/assets/' })
  })

  it('drops STATICFILES_DIRS entries that are not in the artifact', () => {
    const settings = withSettings(
      'STATICFILES_DIRS = [BASE_DIR / "static", ("vendor", BASE_DIR / "vendor"), BASE_DIR / "frontend" / "dist"]',
      ['STATICFILES_DIRS'],
      {},
      { files: { 'static/app.css': 'body{}', 'vendor/x.js': '' } },
    )
    const directories = settings.STATICFILES_DIRS as unknown[]
    expect(directories).toHaveLength(2)
    expect(String(directories[0])).toMatch(/\/static$/)
    expect(directories[1]).toEqual(['vendor', expect.stringMatching(/\/vendor$/)])
  })
})

describe('DATABASE_URL', () => {
  const database = (url: string, extra = '', env: Record<string, string> = {}) =>
    (withSettings(extra, ['DATABASES'], { DATABASE_URL: url, ...env }).DATABASES as { default: Record<string, unknown> }).default

  it('parses PostgreSQL with an encoded password, a port and options', () => {
    expect(database('postgres://blog:p%40ss%3Aword@db.internal:6543/blog_prod?sslmode=require&connect_timeout=5')).toEqual({
      ENGINE: 'django.db.backends.postgresql',
      NAME: 'blog_prod',
      USER: 'blog',
      PASSWORD: 'p@ss:word',
      HOST: 'db.internal',
      PORT: 6543,
      OPTIONS: { sslmode: 'require', connect_timeout: 5 },
      CONN_MAX_AGE: 60,
      CONN_HEALTH_CHECKS: true,
    })
  })

  it("parses Dokku's postgres:// URL and the Cloud SQL socket forms", () => {
    expect(database('postgres://postgres:secret@dokku-postgres-blog:5432/blog')).toMatchObject({
      HOST: 'dokku-postgres-blog',
      PORT: 5432,
      NAME: 'blog',
    })
    expect(database('postgres://app:pw@//cloudsql/proj:europe-west1:db/blog')).toMatchObject({
      HOST: '/cloudsql/proj:europe-west1:db',
      NAME: 'blog',
      PORT: '',
    })
    expect(database('postgres://app:pw@%2Fcloudsql%2Fproj%3Aeurope-west1%3Adb/blog')).toMatchObject({
      HOST: '/cloudsql/proj:europe-west1:db',
      NAME: 'blog',
    })
    expect(database('postgresql:///blog?host=/var/run/postgresql')).toMatchObject({
      HOST: '/var/run/postgresql',
      NAME: 'blog',
      USER: '',
    })
    expect(database('postgres://u:p@[::1]:5433/blog')).toMatchObject({ HOST: '::1', PORT: 5433 })
  })

  it('parses MySQL and SQLite', () => {
    expect(database('mysql://root:pw@mysql:3306/shop?charset=utf8mb4')).toMatchObject({
      ENGINE: 'django.db.backends.mysql',
      HOST: 'mysql',
      OPTIONS: { charset: 'utf8mb4' },
    })
    expect(database('sqlite:////var/data/db.sqlite3')).toMatchObject({
      ENGINE: 'django.db.backends.sqlite3',
      NAME: '/var/data/db.sqlite3',
    })
    expect(database('sqlite:///db.sqlite3').NAME).toMatch(/overlay-unit-[^/]+\/db\.sqlite3$/)
    expect(database('sqlite://:memory:').NAME).toBe(':memory:')
    expect(database('sqlite://').NAME).toBe(':memory:')
  })

  it('keeps per-database behaviour and options of the same engine, and honours DATABASE_CONN_MAX_AGE', () => {
    const extra = 'DATABASES["default"]["ATOMIC_REQUESTS"] = True\nDATABASES["default"]["OPTIONS"] = {"timeout": 20}'
    expect(database('sqlite:////tmp/x.db', extra, { DATABASE_CONN_MAX_AGE: '0' })).toMatchObject({
      ATOMIC_REQUESTS: true,
      OPTIONS: { timeout: 20 },
      CONN_MAX_AGE: 0,
      CONN_HEALTH_CHECKS: false,
    })
    expect(database('postgres://u:p@h/db', extra).OPTIONS).toBeUndefined()
  })

  it("keeps the project's own CONN_MAX_AGE unless DATABASE_CONN_MAX_AGE is set", () => {
    const extra = 'DATABASES["default"]["CONN_MAX_AGE"] = 300'
    expect(database('postgres://u:p@h/db', extra)).toMatchObject({ CONN_MAX_AGE: 300 })
    expect(database('postgres://u:p@h/db', extra).CONN_HEALTH_CHECKS).toBeUndefined()
    expect(database('postgres://u:p@h/db', extra, { DJANGO_DATABASE_CONN_MAX_AGE: '5' })).toMatchObject({
      CONN_MAX_AGE: 5,
      CONN_HEALTH_CHECKS: true,
    })
  })

  it('rejects an unknown scheme without echoing the URL', () => {
    const result = runOverlay(STARTPROJECT, ['DATABASES'], { env: { DATABASE_URL: 'oracle://scott:tiger-secret@db/orcl' } })
    expect(result).toMatchObject({ ok: false, error: 'ImproperlyConfigured' })
    const message = result.ok ? '' : result.message
    expect(message).toMatch(/'oracle:\/\/', which is not a supported database/)
    expect(message).not.toContain('tiger-secret')
  })
})

describe('the project module', () => {
  it('copies every upper-case setting even when __all__ leaves names out', () => {
    const settings = withSettings('__all__ = ["SECRET_KEY"]\nEXTRA_SETTING = "kept"', [
      'EXTRA_SETTING',
      'INSTALLED_APPS',
      'ROOT_URLCONF',
    ])
    expect(settings.EXTRA_SETTING).toBe('kept')
    expect(settings.ROOT_URLCONF).toBe('mysite.urls')
  })

  it('survives an __all__ naming something undefined, where import * would fail', () => {
    expect(withSettings('__all__ = ["NOT_DEFINED"]', ['ROOT_URLCONF']).ROOT_URLCONF).toBe('mysite.urls')
  })

  it('keeps a django-environ project working under its own variable names', () => {
    const environ = `
import environ
env = environ.Env()
SECRET_KEY = env("DJANGO_SECRET_KEY")
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost"])
DATABASES = {"default": env.db("DATABASE_URL", default="sqlite:////tmp/env.sqlite3")}
`
    const settings = withSettings(environ, ['SECRET_KEY', 'ALLOWED_HOSTS', 'DATABASES'], {
      DJANGO_SECRET_KEY: 'cookiecutter-style-secret',
    })
    expect(settings.SECRET_KEY).toBe('cookiecutter-style-secret')
    expect(settings.ALLOWED_HOSTS).toEqual(['localhost'])
    expect((settings.DATABASES as Record<string, Record<string, unknown>>).default?.NAME).toBe('/tmp/env.sqlite3')
  })

  it('states DEFAULT_AUTO_FIELD only when the project does not', () => {
    expect(withSettings('del DEFAULT_AUTO_FIELD', ['DEFAULT_AUTO_FIELD']).DEFAULT_AUTO_FIELD).toBe('django.db.models.AutoField')
    expect(withSettings('', ['DEFAULT_AUTO_FIELD']).DEFAULT_AUTO_FIELD).toBe('django.db.models.BigAutoField')
  })
})
