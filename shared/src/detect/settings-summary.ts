import { finding } from './findings.js'
import type { Finding, JsonValue, SettingFact, SettingsFacts, SettingsSummary } from './model.js'
import { effectiveValue, stringItems } from './settings-facts.js'

/**
 * Conclusions from the merged settings facts, and the findings they call for. Every action reads
 * the summary rather than re-interpreting facts, so they all agree on e.g. "is WhiteNoise on".
 */

const WHITENOISE_MIDDLEWARE = 'whitenoise.middleware.WhiteNoiseMiddleware'
const LOCAL_HOSTS = new Set(['localhost', '.localhost', '127.0.0.1', '[::1]', '::1', '0.0.0.0'])

function objectValue(value: JsonValue | undefined): Record<string, JsonValue> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? value : undefined
}

function stringAt(value: JsonValue | undefined, ...keys: string[]): string | undefined {
  let current = value
  for (const key of keys) current = objectValue(current)?.[key]
  return typeof current === 'string' ? current : undefined
}

/** An environment default that means "on": True, 1, or a string such as "true"/"1"/"yes"/"on". */
function isTruthyDefault(value: JsonValue | undefined): boolean {
  if (value === true || value === 1) return true
  return typeof value === 'string' && ['true', '1', 'yes', 'on', 't', 'y'].includes(value.trim().toLowerCase())
}

/** Python truthiness of a literal. */
function truthy(value: JsonValue): boolean {
  if (Array.isArray(value)) return value.length > 0
  if (typeof value === 'object' && value !== null) return Object.keys(value).length > 0
  return Boolean(value)
}

function secretKeyKind(fact: SettingFact | undefined): SettingsSummary['secretKey'] {
  if (!fact) return 'missing'
  if (fact.value.kind === 'env') return 'env'
  if (fact.value.kind === 'expression') return 'expression'
  const value = fact.value.value
  if (typeof value !== 'string') return 'expression'
  return value.startsWith('django-insecure-') ? 'insecure-literal' : 'literal'
}

function debugKind(fact: SettingFact | undefined): SettingsSummary['debug'] {
  if (!fact) return 'missing'
  if (fact.value.kind === 'env') return 'env'
  if (fact.value.kind === 'expression') return 'expression'
  const value = fact.value.value
  if (typeof value === 'object' && value !== null && ('$expr' in value || '$env' in value)) return 'expression'
  return truthy(value) ? 'true' : 'false'
}

/** The default database, whether written out as a dict or read from a URL variable. */
function defaultDatabase(facts: SettingsFacts): { engine?: string; urlVariable?: string; urlDefault?: string } {
  const fact = facts.DATABASES
  if (!fact) return {}
  if (fact.value.kind === 'env') return { urlVariable: fact.value.variable }
  const databases = effectiveValue(fact)
  const entry = objectValue(databases)?.default
  const placeholder = objectValue(entry)
  if (placeholder && typeof placeholder.$env === 'string') {
    const fallback = placeholder.default
    const urlDefault = typeof fallback === 'string' ? fallback : stringAt(fallback, 'prefix')
    return { urlVariable: placeholder.$env, ...(urlDefault === undefined ? {} : { urlDefault }) }
  }
  const engine = stringAt(entry, 'ENGINE')
  return engine === undefined ? {} : { engine }
}

export function summariseSettings(facts: SettingsFacts): SettingsSummary {
  const middleware = stringItems(facts.MIDDLEWARE)
  const database = defaultDatabase(facts)
  const storageSetting: SettingsSummary['storageSetting'] = facts.STORAGES
    ? 'STORAGES'
    : facts.STATICFILES_STORAGE
      ? 'STATICFILES_STORAGE'
      : 'none'
  const legacyBackend = effectiveValue(facts.STATICFILES_STORAGE)
  const staticfilesBackend =
    storageSetting === 'STORAGES'
      ? stringAt(effectiveValue(facts.STORAGES), 'staticfiles', 'BACKEND')
      : typeof legacyBackend === 'string'
        ? legacyBackend
        : undefined
  const summary: SettingsSummary = {
    secretKey: secretKeyKind(facts.SECRET_KEY),
    debug: debugKind(facts.DEBUG),
    whitenoiseMiddleware: middleware.includes(WHITENOISE_MIDDLEWARE),
    storageSetting,
    installedApps: stringItems(facts.INSTALLED_APPS),
    middleware,
  }
  // Keys in the order model.ts declares them, so the JSON reads the same for every project.
  return {
    ...(database.engine === undefined ? {} : { databaseEngine: database.engine }),
    ...(database.urlVariable === undefined ? {} : { databaseUrlVariable: database.urlVariable }),
    secretKey: summary.secretKey,
    debug: summary.debug,
    whitenoiseMiddleware: summary.whitenoiseMiddleware,
    ...(staticfilesBackend === undefined ? {} : { staticfilesBackend }),
    storageSetting: summary.storageSetting,
    installedApps: summary.installedApps,
    middleware: summary.middleware,
  }
}

export function settingsFindings(facts: SettingsFacts, summary: SettingsSummary): Finding[] {
  const findings: Finding[] = []
  const at = (fact: SettingFact | undefined) => (fact ? { file: fact.at.file, line: fact.at.line } : undefined)

  for (const other of facts.DATABASES?.conditionalAssignments ?? []) {
    findings.push(
      finding(
        'notice',
        'settings-database-conditional',
        `DATABASES at ${other.at.file}:${other.at.line} is assigned only under a condition${other.dependsOn ? ` that depends on the environment variable${other.dependsOn.length > 1 ? 's' : ''} ${other.dependsOn.join(', ')}` : ''}; the unconditional DATABASES at ${facts.DATABASES!.at.file}:${facts.DATABASES!.at.line} is taken as the database.`,
        { file: other.at.file, line: other.at.line },
      ),
    )
  }
  const secret = facts.SECRET_KEY
  if (summary.secretKey === 'insecure-literal') {
    findings.push(
      finding(
        'warning',
        'secret-key-insecure',
        'SECRET_KEY is a hard-coded `django-insecure-` key (the one startproject generated). Read it from the environment (SECRET_KEY = os.environ["SECRET_KEY"]) and set a new random secret on the platform.',
        at(secret),
      ),
    )
  } else if (summary.secretKey === 'literal') {
    findings.push(
      finding(
        'warning',
        'secret-key-hardcoded',
        'SECRET_KEY is hard-coded in the repository, so everyone who can read it can forge sessions and password-reset links. Read it from the environment (SECRET_KEY = os.environ["SECRET_KEY"]) and rotate the key.',
        at(secret),
      ),
    )
  } else if (summary.secretKey === 'missing') {
    findings.push(
      finding(
        'warning',
        'secret-key-missing',
        'The settings chain never sets SECRET_KEY, so Django refuses to start. Add SECRET_KEY = os.environ["SECRET_KEY"] to the production settings and set the secret on the platform.',
      ),
    )
  } else if (secret?.value.kind === 'env' && typeof secret.value.default === 'string' && secret.value.default !== '') {
    findings.push(
      finding(
        'notice',
        'secret-key-insecure-default',
        `SECRET_KEY falls back to a hard-coded value when ${secret.value.variable} is not set. Make sure ${secret.value.variable} is set in production, or drop the default so a missing secret fails loudly.`,
        at(secret),
      ),
    )
  }

  if (summary.debug === 'true') {
    findings.push(
      finding(
        'warning',
        'debug-true',
        'DEBUG is True, which shows tracebacks and settings to every visitor. Set DEBUG = False in the production settings, or read it from the environment with a False default.',
        at(facts.DEBUG),
      ),
    )
  }

  const debug = facts.DEBUG
  if (debug?.value.kind === 'env' && isTruthyDefault(debug.value.default)) {
    findings.push(
      finding(
        'warning',
        'debug-env-default-true',
        `DEBUG reads ${debug.value.variable}, which defaults to ${JSON.stringify(debug.value.default)} when unset, so a deploy that forgets it runs with DEBUG on. Set ${debug.value.variable}=False on the platform, or make the default False.`,
        at(debug),
      ),
    )
  }

  const hosts = facts.ALLOWED_HOSTS
  const hostsValue = effectiveValue(hosts)
  if (!hosts || (Array.isArray(hostsValue) && hostsValue.length === 0)) {
    findings.push(
      finding(
        'notice',
        'allowed-hosts-empty',
        `ALLOWED_HOSTS is ${hosts ? 'empty' : "not set (Django's default is empty)"}: with DEBUG off, Django answers 400 to every request. Read it from the environment, e.g. ALLOWED_HOSTS = os.environ.get("ALLOWED_HOSTS", "").split(",").`,
        at(hosts),
      ),
    )
  }

  const hostItems = stringItems(hosts)
  if (hostItems.length > 0 && hostItems.every((host) => LOCAL_HOSTS.has(host))) {
    findings.push(
      finding(
        'notice',
        'allowed-hosts-local-only',
        `ALLOWED_HOSTS only allows local addresses (${hostItems.join(', ')}): with DEBUG off, Django answers 400 to requests for the site's real domain. Read the hosts from the environment, e.g. ALLOWED_HOSTS = os.environ.get("ALLOWED_HOSTS", "").split(",").`,
        at(hosts),
      ),
    )
  }

  const database = defaultDatabase(facts)
  if (database.engine?.endsWith('sqlite3')) {
    findings.push(
      finding(
        'warning',
        'database-sqlite',
        'The default database is SQLite. On Dokku and Cloud Run the container filesystem is replaced on every deploy, so the data would be lost (fine for static builds). Use PostgreSQL, e.g. DATABASES = {"default": dj_database_url.config()} with DATABASE_URL set.',
        at(facts.DATABASES),
      ),
    )
  } else if (database.urlDefault?.startsWith('sqlite')) {
    findings.push(
      finding(
        'notice',
        'database-sqlite-fallback',
        `The database URL comes from ${database.urlVariable} but falls back to SQLite when it is not set; set ${database.urlVariable} on the platform so data is not lost on redeploy.`,
        at(facts.DATABASES),
      ),
    )
  }

  if (summary.installedApps.includes('django.contrib.staticfiles') && !facts.STATIC_ROOT) {
    findings.push(
      finding(
        'warning',
        'static-root-missing',
        'STATIC_ROOT is not set, so collectstatic cannot run. Set it, e.g. STATIC_ROOT = BASE_DIR / "staticfiles".',
        at(facts.INSTALLED_APPS),
      ),
    )
  }

  if (facts.STATICFILES_STORAGE) {
    findings.push(
      finding(
        'notice',
        'staticfiles-storage-legacy',
        'STATICFILES_STORAGE was removed in Django 5.1 (ignored there); use STORAGES = {"default": {...}, "staticfiles": {"BACKEND": ...}} instead.',
        at(facts.STATICFILES_STORAGE),
      ),
    )
  }
  return findings
}
