import type { Finding, FindingLevel } from './model.js'
import { compareText } from './order.js'

/**
 * Stable finding codes. Tests, docs and the actions match on these; never rename one, add a new
 * code instead.
 *
 * Project layout
 * - several-manage-py            notice   several manage.py at the shallowest depth; the first in sorted order was used
 * - several-wsgi-modules         notice   several wsgi.py files; the one next to the settings package was used
 * - wsgi-not-found               warning  no WSGI or ASGI application: neither setting, nor a wsgi.py/asgi.py defining `application`
 * - asgi-only                    notice   an ASGI application and no WSGI one: served with gunicorn's uvicorn worker
 *
 * Settings module
 * - settings-dev-default-overridden  notice   the default was a development module; its production sibling was used
 * - settings-dev-module              warning  the chosen module looks like development settings and has no production sibling
 * - settings-default-not-found       warning  a setdefault("DJANGO_SETTINGS_MODULE", ...) names a module that is not in the repository
 * - settings-module-differs          notice   the chosen module is not the one manage.py defaults to (local commands use another module)
 * - settings-import-unresolved       warning  an unconditional `from x import *` in a settings file could not be found in the repository
 * - settings-unsupported-pattern     warning  django-configurations, split_settings.include, exec or dynamic imports: not followed
 * - settings-defines-all             notice   a settings module defines __all__, so `from it import *` does not copy every setting
 *
 * Settings values
 * - secret-key-hardcoded         warning  SECRET_KEY is a literal in the repository
 * - secret-key-insecure          warning  SECRET_KEY is a `django-insecure-` literal
 * - secret-key-insecure-default  notice   SECRET_KEY comes from the environment but falls back to a literal
 * - secret-key-missing           warning  no SECRET_KEY in the settings chain
 * - debug-true                   warning  DEBUG is the literal True
 * - debug-env-default-true       warning  DEBUG comes from the environment but defaults to on ("true", "1", True)
 * - allowed-hosts-empty          notice   ALLOWED_HOSTS is an empty literal, or not set at all
 * - allowed-hosts-local-only     notice   ALLOWED_HOSTS lists only localhost/loopback addresses
 * - database-sqlite              warning  the default database is SQLite
 * - database-sqlite-fallback     notice   the database URL comes from the environment but falls back to SQLite
 * - static-root-missing          warning  django.contrib.staticfiles is installed but STATIC_ROOT is not set
 * - staticfiles-storage-legacy   notice   STATICFILES_STORAGE is used (removed in Django 5.1); STORAGES replaces it
 *
 * Python and dependencies
 * - python-version-missing       notice   nothing in the repository pins a Python version
 * - python-version-eol           warning  the pinned Python version no longer receives security fixes
 * - python-version-disagree      warning  two declarations of the Python version name different minors (or a range excludes the one used)
 * - several-dependency-managers  warning  files of several dependency managers declare different packages (notice when they agree)
 * - no-dependency-files          warning  no requirements.txt, pyproject.toml or Pipfile was found
 * - dependencies-outside-working-directory  warning  none in the deployed folder, but one above working-directory
 * - requirements-include-missing warning  a `-r`/`-c` include names a file that does not exist
 * - requirements-include-cycle   warning  requirements files include each other
 * - pipfile-without-lock         notice   Pipfile without Pipfile.lock: the build cannot install a locked set
 * - installed-app-not-declared   warning  INSTALLED_APPS/MIDDLEWARE uses a package that no dependency file declares
 * - database-driver-not-declared warning  the database engine is PostgreSQL/MySQL but no driver package is declared
 * - unreadable-dependency-file   warning  a pyproject.toml/Pipfile/lock file is not valid TOML/JSON
 *
 * Existing files
 * - procfile-web-migrates        warning  the Procfile's web process runs `migrate` at start
 */
export type FindingCode =
  | 'several-manage-py'
  | 'several-wsgi-modules'
  | 'wsgi-not-found'
  | 'asgi-only'
  | 'settings-dev-default-overridden'
  | 'settings-dev-module'
  | 'settings-default-not-found'
  | 'settings-module-differs'
  | 'settings-import-unresolved'
  | 'settings-database-conditional'
  | 'settings-unsupported-pattern'
  | 'settings-defines-all'
  | 'secret-key-hardcoded'
  | 'secret-key-insecure'
  | 'secret-key-insecure-default'
  | 'secret-key-missing'
  | 'debug-true'
  | 'debug-env-default-true'
  | 'allowed-hosts-empty'
  | 'allowed-hosts-local-only'
  | 'database-sqlite'
  | 'database-sqlite-fallback'
  | 'static-root-missing'
  | 'staticfiles-storage-legacy'
  | 'python-version-missing'
  | 'python-version-eol'
  | 'python-version-disagree'
  | 'several-dependency-managers'
  | 'no-dependency-files'
  | 'dependencies-outside-working-directory'
  | 'requirements-include-missing'
  | 'requirements-include-cycle'
  | 'pipfile-without-lock'
  | 'installed-app-not-declared'
  | 'database-driver-not-declared'
  | 'unreadable-dependency-file'
  | 'procfile-web-migrates'

export function finding(
  level: FindingLevel,
  code: FindingCode,
  message: string,
  where?: { file: string; line?: number },
): Finding {
  const result: Finding = { level, code, message }
  if (where) {
    result.file = where.file
    if (where.line !== undefined) result.line = where.line
  }
  return result
}

const LEVEL_ORDER: Record<FindingLevel, number> = { error: 0, warning: 1, notice: 2 }

/** Findings carry no meaningful order; sort them so the model is deterministic and warnings come first. */
export function sortFindings(findings: Finding[]): Finding[] {
  return [...findings].sort(
    (a, b) =>
      LEVEL_ORDER[a.level] - LEVEL_ORDER[b.level] ||
      compareText(a.code, b.code) ||
      compareText(a.file ?? '', b.file ?? '') ||
      (a.line ?? 0) - (b.line ?? 0) ||
      compareText(a.message, b.message),
  )
}
