/**
 * The environment contract of the production settings overlay: every variable the generated
 * module reads, what it means and what happens when it is unset. The overlay's Python, the
 * actions' environment helpers (environment.ts) and the documentation all come from this one
 * list, so a variable cannot be read under one name and set under another.
 *
 * Names follow Django's setting names where there is one (so the docs of the setting apply), and
 * each of those is also read with a `DJANGO_` prefix (cookiecutter-django and the Wagtail guides
 * use that spelling); the plain name wins when both are set. Variables that are not Django
 * settings carry the `DJANGO_` prefix only.
 *
 * A variable that is unset **or blank** counts as unset everywhere: a blank list never becomes
 * `[""]` (which fails check 4_0.E001 for CSRF_TRUSTED_ORIGINS and matches nothing in ALLOWED_HOSTS).
 */

export type OverlayVariableKind = 'string' | 'secret' | 'boolean' | 'integer' | 'list' | 'path' | 'url-path' | 'database-url'

export interface OverlayVariable {
  /** The name the actions set. */
  readonly name: string
  /** Other names read when `name` is unset, in order. */
  readonly aliases: readonly string[]
  readonly kind: OverlayVariableKind
  /** One sentence: what it controls. */
  readonly meaning: string
  /** What the overlay does when the variable is unset or blank. */
  readonly whenUnset: string
}

/** `NAME` plus its `DJANGO_NAME` alias: the spelling for every variable named after a setting. */
function setting(name: string, kind: OverlayVariableKind, meaning: string, whenUnset: string): OverlayVariable {
  return { name, aliases: [`DJANGO_${name}`], kind, meaning, whenUnset }
}

function own(name: string, kind: OverlayVariableKind, meaning: string, whenUnset: string): OverlayVariable {
  return { name, aliases: [], kind, meaning, whenUnset }
}

export const OVERLAY_VARIABLES = [
  setting(
    'SECRET_KEY',
    'secret',
    'The secret key that signs sessions, CSRF tokens and password reset links.',
    "The project's own SECRET_KEY is kept.",
  ),
  setting(
    'SECRET_KEY_FALLBACKS',
    'list',
    'Previous secret keys still accepted while rotating (comma-separated).',
    "The project's own value is kept.",
  ),
  setting('DEBUG', 'boolean', 'Debug mode. Never turn it on for a public site.', 'Off, whatever the project settings say.'),
  setting(
    'ALLOWED_HOSTS',
    'list',
    'Host names the site answers to (comma-separated; a URL is reduced to its host; ".example.com" matches subdomains). Replaces the project value.',
    "The project's own list is kept (blank entries dropped).",
  ),
  setting(
    'CSRF_TRUSTED_ORIGINS',
    'list',
    'Extra origins trusted for unsafe requests (comma-separated). "https://" is added when the scheme is missing ("http://" when DJANGO_HTTPS is false) and ".example.com" becomes "https://*.example.com". Added to the project value.',
    "The project's own list is kept (blank entries dropped, schemes added).",
  ),
  setting(
    'DATABASE_URL',
    'database-url',
    'The default database as a URL: postgres://, postgresql://, postgis://, mysql://, sqlite:///relative.db, sqlite:////absolute.db. Query parameters become OPTIONS.',
    "The project's own DATABASES are kept.",
  ),
  setting(
    'DATABASE_CONN_MAX_AGE',
    'integer',
    'Seconds a database connection is reused (0 closes it after each request); health checks are on when above 0.',
    "The project's own CONN_MAX_AGE, else 60, when DATABASE_URL is set.",
  ),
  setting(
    'STATIC_ROOT',
    'path',
    'Where collectstatic writes files (relative paths are taken from the directory holding manage.py).',
    "The project's value, or <manage.py directory>/staticfiles when it has none.",
  ),
  setting(
    'STATIC_URL',
    'url-path',
    'URL prefix of static files (a trailing slash is added).',
    "The project's value, or /static/ when it has none.",
  ),
  setting(
    'MEDIA_ROOT',
    'path',
    'Where uploaded files are stored: a persistent volume on Dokku (relative paths are taken from the directory holding manage.py).',
    "The project's own value is kept.",
  ),
  setting(
    'MEDIA_URL',
    'url-path',
    'URL prefix of uploaded files (a trailing slash is added).',
    "The project's own value is kept.",
  ),
  own(
    'DJANGO_HTTPS',
    'boolean',
    'The site is served over HTTPS by a TLS-terminating proxy. True turns on SSL redirect, secure cookies, HSTS and the X-Forwarded-Proto header; false turns them all off (an HTTP-only site keeps working, "__Secure-" cookie name prefixes are dropped).',
    "The project's own SECURE_*/cookie settings are kept.",
  ),
  setting(
    'SECURE_PROXY_SSL_HEADER',
    'string',
    'The header the proxy uses to say the request was HTTPS, as "X-Forwarded-Proto" or "HTTP_X_FORWARDED_PROTO,https"; "off" removes it. Only set it behind a proxy that always sets or strips that header.',
    'X-Forwarded-Proto: https when DJANGO_HTTPS is true; otherwise the project value.',
  ),
  setting('SECURE_SSL_REDIRECT', 'boolean', 'Redirect plain HTTP requests to HTTPS.', 'Follows DJANGO_HTTPS.'),
  setting('SESSION_COOKIE_SECURE', 'boolean', 'Send the session cookie over HTTPS only.', 'Follows DJANGO_HTTPS.'),
  setting('CSRF_COOKIE_SECURE', 'boolean', 'Send the CSRF cookie over HTTPS only.', 'Follows DJANGO_HTTPS.'),
  setting(
    'SECURE_HSTS_SECONDS',
    'integer',
    'Strict-Transport-Security max-age. Browsers then refuse plain HTTP for that long: start small, raise it once HTTPS is known to work.',
    '3600 when DJANGO_HTTPS is true, 0 when it is false; otherwise the project value.',
  ),
  setting(
    'SECURE_HSTS_INCLUDE_SUBDOMAINS',
    'boolean',
    'Apply HSTS to every subdomain too (a policy choice for the whole domain; check --deploy warns W005 while it is off).',
    "The project's own value is kept.",
  ),
  setting(
    'SECURE_HSTS_PRELOAD',
    'boolean',
    'Ask browsers to preload HSTS (hard to undo; check --deploy warns W021 while it is off).',
    "The project's own value is kept.",
  ),
  setting(
    'X_FRAME_OPTIONS',
    'string',
    'DENY or SAMEORIGIN; also adds XFrameOptionsMiddleware when the project removed it.',
    "The project's own value and middleware are kept.",
  ),
  setting(
    'BUILD_DIR',
    'path',
    'Output directory of django-bakery / wagtail-bakery builds (relative paths are taken from the directory holding manage.py).',
    "The project's own value is kept.",
  ),
  own(
    'DJANGO_WHITENOISE',
    'boolean',
    'Serve static files with WhiteNoise (when it is installed and static files are not on S3/GCS).',
    'On.',
  ),
  own(
    'DJANGO_LOG_LEVEL',
    'string',
    'Level of the console logging added when the project has no LOGGING setting (so 500 errors reach the platform log).',
    'INFO.',
  ),
] as const satisfies readonly OverlayVariable[]

export type OverlayVariableName = (typeof OVERLAY_VARIABLES)[number]['name']

/** Every name the overlay reads, aliases included (for masking, docs, and "is this ours?" checks). */
export const OVERLAY_VARIABLE_NAMES: readonly string[] = OVERLAY_VARIABLES.flatMap((variable) => [
  variable.name,
  ...variable.aliases,
])

export function overlayVariable(name: OverlayVariableName): OverlayVariable {
  const found = OVERLAY_VARIABLES.find((variable) => variable.name === name)
  if (!found) throw new Error(`unknown overlay variable ${name}`)
  return found
}
