/**
 * The detection model: everything the three actions need to know about a Django project, read
 * statically (files are parsed, never executed). It is plain data, JSON-serialisable, and its
 * paths are POSIX paths relative to the repository root, so the same checkout gives the same
 * model on every machine and a model can be asserted against an expected JSON file.
 */

/** Where a fact came from, for messages and GitHub annotations. */
export interface Provenance {
  /** Path relative to the repository root. */
  file: string
  line: number
}

/**
 * A value read from a settings file.
 * - `literal`: a Python literal (str, int, float, bool, None, list/tuple/set → array, dict → object),
 *   or a list concatenation of literal settings already known (`A + B`, `[*A, "x"]`);
 *   inside containers, parts that are not literals appear as placeholders (see `ExprPlaceholder`,
 *   `EnvPlaceholder`), so `DATABASES.default.ENGINE` is readable even when `NAME` is
 *   `BASE_DIR / "db.sqlite3"`.
 * - `env`: read from the environment (`os.environ[...]`, `os.environ.get`, `os.getenv`,
 *   django-environ's `env(...)`/`env.bool(...)`/`env.db()`, decouple's `config(...)`,
 *   `dj_database_url.config()`), with the variable name and the default when one is given.
 *   `cast` is the django-environ method (`bool`, `list`, `db`, ...), decouple's `cast=` source, or
 *   `db` for dj-database-url. When the read is wrapped (`os.environ.get("DEBUG", "0") == "1"`,
 *   `os.getenv("HOSTS", "").split(",")`), `expression` holds the whole source and `variable`
 *   is the (first) variable read inside it.
 * - `expression`: anything else, kept as its source text.
 */
export type SettingValue =
  | {
      kind: 'literal'
      value: JsonValue
      /**
       * Set when the value was computed from other literal settings rather than written out:
       * `INSTALLED_APPS = DJANGO_APPS + LOCAL_APPS` (cookiecutter-django) keeps that source here.
       */
      source?: string
    }
  | { kind: 'env'; variable: string; default?: JsonValue; cast?: string; expression?: string }
  | { kind: 'expression'; source: string }

/**
 * A non-literal part inside a literal container: `{ "$expr": "BASE_DIR / 'db.sqlite3'" }`.
 * `prefix` is the literal text an f-string or string concatenation starts with
 * (`f"sqlite:///{BASE_DIR}/db"` → "sqlite:///"), so URL schemes stay readable.
 */
export interface ExprPlaceholder {
  $expr: string
  prefix?: string
}

/**
 * An environment read inside a literal container:
 * `{ "$env": "DATABASE_URL", "default"?: ..., "cast"?: "db", "$expr"?: "<source when wrapped>" }`.
 */
export interface EnvPlaceholder {
  $env: string
  default?: JsonValue
  cast?: string
  $expr?: string
}

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue }

/** The final state of one setting after following the whole settings chain (last write wins). */
export interface SettingFact {
  value: SettingValue
  /** The assignment that decided the value. */
  at: Provenance
  /** True when the deciding assignment is inside `if`/`try`/`for`/`with`, so it may not apply. */
  conditional: boolean
  /**
   * For list/tuple settings modified after assignment (`.append`, `.insert`, `.extend`, `+=`,
   * `X = X + [...]`): the items added, in order. Non-literal additions appear as `{ "$expr": ... }`.
   */
  added?: JsonValue[]
  /**
   * Every modification after the deciding assignment, in execution order (also the ones in
   * `added`, and item assignments such as `STORAGES["staticfiles"]["BACKEND"] = ...`).
   * `value` stays the value as assigned; `effectiveValue()` (settings-facts.ts) applies these.
   */
  updates?: SettingUpdate[]
  /**
   * DATABASES only: assignments inside `if`/`try` after the unconditional one. They do not replace
   * it (they may not run); `dependsOn` names the environment variables their condition reads.
   */
  conditionalAssignments?: Array<{ at: Provenance; dependsOn?: string[] }>
}

/** One modification of a setting after it was assigned. */
export interface SettingUpdate {
  /**
   * append/insert/remove: `value` is the item; extend (`.extend`, `+=`, `X = X + [...]`) and
   * prepend (`X = [...] + X`): `value` is the sequence; set-item (`X["a"]["b"] = v`): `value` is
   * the new value at `keys`; update (`dict.update`, `|=`): `value` is the mapping.
   */
  op: 'append' | 'insert' | 'extend' | 'prepend' | 'remove' | 'set-item' | 'update'
  /** Subscript path inside the setting (`STORAGES["staticfiles"].update(...)` → ["staticfiles"]). */
  keys?: JsonValue[]
  /** `insert` position. */
  index?: JsonValue
  value: JsonValue
  at: Provenance
  conditional: boolean
}

/** Which rule chose the settings module, in order of precedence. */
export type SettingsDecision =
  | 'input' // the action's `settings-module` input
  | 'environment' // DJANGO_SETTINGS_MODULE in the step's environment
  | 'wsgi-default' // os.environ.setdefault(...) in the WSGI module
  | 'manage-default' // os.environ.setdefault(...) in manage.py
  | 'production-sibling' // the default was a dev module; a production/prod sibling was preferred
  | 'only-settings-file' // no default found anywhere; the single settings.py in the tree

export interface SettingsInfo {
  /** Dotted module name, e.g. "mysite.settings.production". */
  module: string
  decidedBy: SettingsDecision
  /** Human-readable explanation, e.g. "wsgi.py defaults to mysite.settings.dev; preferred its sibling production.py". */
  reason: string
  /** The module manage.py defaults to, when it has a setdefault call. */
  manageDefault?: string
  /** The module the WSGI file defaults to, when it has a setdefault call. */
  wsgiDefault?: string
  /**
   * Every settings file the chosen module star-imports (transitively), in the order Python
   * finishes executing them: a base imported at the top comes first, the chosen module is always
   * last (an optional `try: from .local import *` at the bottom of it, when the file exists, comes
   * just before it). Facts are merged in true execution order regardless.
   */
  files: string[]
  /** True when a settings module defines `__all__` (so `from x import *` would not copy every setting). */
  definesAll: boolean
}

export type DependencyManager = 'pip' | 'poetry' | 'pipenv' | 'uv' | 'pdm' | 'pyproject' | 'none'

export interface DependencyInfo {
  /** The manager the build will use. */
  manager: DependencyManager
  /** The files that declared dependencies for that manager, e.g. ["requirements.txt", "requirements/base.txt"]. */
  files: string[]
  /** Every manager whose files were found (more than one triggers a warning). */
  managersFound: DependencyManager[]
  /** With no dependency file in the deployed folder: the ones found above it (working-directory set too deep). */
  outsideDeployedFolder?: string[]
  /** Lock file used by the chosen manager, if any (poetry.lock, uv.lock, Pipfile.lock, pdm.lock). */
  lockFile?: string
  /**
   * Declared runtime packages (no dev groups), keyed by PEP 503 normalised name, value = version
   * specifier without spaces ("" when none; Poetry's "^4.2" kept as written; "@ <url>" for direct
   * references; several files' specifiers joined with ",").
   */
  packages: Record<string, string>
}

export interface PythonInfo {
  /**
   * "3.12" or "3.12.4"; undefined when nothing in the repository says. From a range (`requires`),
   * the newest minor that satisfies it and that the declared Django version supports.
   */
  version?: string
  /**
   * The file that gave it, relative to the repository root ("runtime.txt", "app/.python-version",
   * "pyproject.toml", "Pipfile", "Pipfile.lock"), or "input" for the `python-version` input.
   */
  source?: string
  /** The range it was derived from, when the source gives a range (`requires-python = ">=3.10"`). */
  requires?: string
}

/** Packages that change what the actions do. True when declared as a dependency or in INSTALLED_APPS. */
export interface Features {
  wagtail: boolean
  djangoBakery: boolean
  wagtailBakery: boolean
  djangoDistill: boolean
  whitenoise: boolean
  gunicorn: boolean
  uvicorn: boolean
  psycopg: boolean
  psycopg2: boolean
  mysqlclient: boolean
  djDatabaseUrl: boolean
  djangoEnviron: boolean
  djangoStorages: boolean
}

export interface ProcfileInfo {
  file: string
  /** Process type → command, e.g. { web: "gunicorn mysite.wsgi", release: "python manage.py migrate" }. */
  processes: Record<string, string>
}

export interface ExistingFiles {
  /** Paths relative to the repository root. Never overwritten by anything we generate. */
  dockerfile?: string
  dockerignore?: string
  procfile?: ProcfileInfo
  appJson?: string
  netlifyToml?: string
}

/**
 * The settings the actions care about, as found after following the settings chain.
 * Secret values are never in the model: a literal SECRET_KEY (or its environment fallback) and
 * PASSWORD/TOKEN/SECRET/API_KEY entries inside settings read "<redacted>" (see redact.ts); the
 * summary still says what kind of value it was.
 */
export interface SettingsFacts {
  /** Whether BASE_DIR is a `Path` or a `str` decides how generated settings join paths. */
  BASE_DIR?: SettingFact
  SECRET_KEY?: SettingFact
  DEBUG?: SettingFact
  ALLOWED_HOSTS?: SettingFact
  CSRF_TRUSTED_ORIGINS?: SettingFact
  SECURE_PROXY_SSL_HEADER?: SettingFact
  DATABASES?: SettingFact
  STATIC_ROOT?: SettingFact
  STATIC_URL?: SettingFact
  STATICFILES_DIRS?: SettingFact
  STATICFILES_STORAGE?: SettingFact
  STORAGES?: SettingFact
  MEDIA_ROOT?: SettingFact
  MEDIA_URL?: SettingFact
  INSTALLED_APPS?: SettingFact
  MIDDLEWARE?: SettingFact
  ROOT_URLCONF?: SettingFact
  WSGI_APPLICATION?: SettingFact
  ASGI_APPLICATION?: SettingFact
  BUILD_DIR?: SettingFact
  BAKERY_VIEWS?: SettingFact
  /** django-compressor: with COMPRESS_OFFLINE on, the build must run `manage.py compress` (build/compress.ts). */
  COMPRESS_ENABLED?: SettingFact
  COMPRESS_OFFLINE?: SettingFact
}

/** Conclusions drawn from the facts, so every action reads them the same way. */
export interface SettingsSummary {
  /** "django.db.backends.postgresql", ... or undefined when DATABASES["default"]["ENGINE"] is not a literal. */
  databaseEngine?: string
  /** The variable the default database URL is read from (dj-database-url, `env.db()`), e.g. "DATABASE_URL". */
  databaseUrlVariable?: string
  /** 'literal' = hard-coded in the repository (a leak and a check --deploy warning); 'env' = read from the environment. */
  secretKey: 'literal' | 'insecure-literal' | 'env' | 'expression' | 'missing'
  debug: 'true' | 'false' | 'env' | 'expression' | 'missing'
  whitenoiseMiddleware: boolean
  /** The static files storage backend, from STORAGES["staticfiles"] or STATICFILES_STORAGE. */
  staticfilesBackend?: string
  /** Which setting configures storage: the Django 4.2+ dict, the legacy name, or neither. */
  storageSetting: 'STORAGES' | 'STATICFILES_STORAGE' | 'none'
  installedApps: string[]
  middleware: string[]
}

export type FindingLevel = 'error' | 'warning' | 'notice'

export interface Finding {
  level: FindingLevel
  /** Stable identifier for tests and docs, e.g. "several-dependency-managers"; the full list is in findings.ts. */
  code: string
  message: string
  file?: string
  line?: number
}

/** An environment variable the settings read at import without a default: unset, the import fails. */
export interface RequiredEnvVar {
  variable: string
  /** Settings file, relative to the repository root. */
  file: string
  line: number
  /** How it is read, e.g. "env() without default=". */
  how: string
}

export interface ProjectModel {
  /** Always 1; bumped when the shape changes. */
  schemaVersion: 1
  /** The directory searched, relative to the repository root ("" for the root itself). */
  searchRoot: string
  /** Directory holding manage.py, relative to the repository root ("" for the root). */
  appDir: string
  /** manage.py, relative to the repository root. */
  managePy: string
  settings: SettingsInfo
  /** "mysite.wsgi.application", from WSGI_APPLICATION or the WSGI file found. */
  wsgiApplication?: string
  asgiApplication?: string
  python: PythonInfo
  dependencies: DependencyInfo
  features: Features
  existing: ExistingFiles
  facts: SettingsFacts
  /** Variables the settings chain needs at import (see required-env.ts for the deploy check). */
  requiredEnv?: RequiredEnvVar[]
  summary: SettingsSummary
  /** Warnings and notices gathered on the way (errors are thrown, not collected). */
  findings: Finding[]
}

export interface DetectOptions {
  /** Repository root (absolute). Paths in the model are relative to it. */
  repoRoot: string
  /** Subfolder to search, relative to repoRoot (the `working-directory` input). Default: the root. */
  workingDirectory?: string
  /** The `settings-module` input. */
  settingsModule?: string
  /** The step's environment, for DJANGO_SETTINGS_MODULE. Default: none (pass process.env explicitly). */
  environment?: Record<string, string | undefined>
  /** Python interpreter used to parse settings (ast module only). Default: "python3". */
  python?: string
  /** The `python-version` input; wins over every file in the repository. */
  pythonVersion?: string
  /**
   * Called once manage.py is found and unambiguous, before the settings are read: an action that
   * overlaps the slower settings analysis with its server reads waits for this, so a missing or
   * ambiguous project fails before the first remote command.
   */
  onLocated?: (managePy: string) => void
}
