import { execFileSync, spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll } from 'vitest'
import { generateOverlay } from '../../src/settings/overlay.js'
import { memoryReader } from '../../src/settings/read-file.js'
import { projectModel } from './project-model.js'

export const PYTHON = '/usr/bin/python3'

/**
 * Runs a generated overlay for real: writes a throwaway `mysite/settings.py` (the given body),
 * the overlay beside it, and imports it through django.conf.settings in a fresh /usr/bin/python3
 * with exactly the given environment. Returns the requested settings as JSON values (tuples →
 * lists, Paths → strings), or the exception when the import fails.
 */
export type SettingsResult = { ok: true; settings: Record<string, unknown> } | { ok: false; error: string; message: string }

const roots: string[] = []
afterAll(() => {
  for (const root of roots) rmSync(root, { recursive: true, force: true })
})

export interface RunOptions {
  env?: Record<string, string>
  /** Pretend whitenoise is not installed. */
  withoutWhitenoise?: boolean
  /** Extra files, relative to the project directory. */
  files?: Record<string, string>
}

export function runOverlay(settingsBody: string, names: readonly string[], options: RunOptions = {}): SettingsResult {
  const root = mkdtempSync(path.join(tmpdir(), 'overlay-unit-'))
  roots.push(root)
  const files: Record<string, string> = {
    'manage.py': '',
    'mysite/__init__.py': '',
    'mysite/settings.py': settingsBody,
    ...options.files,
  }
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(root, name)), { recursive: true })
    writeFileSync(path.join(root, name), content)
  }
  const overlay = generateOverlay(projectModel(), { readFile: memoryReader({}) })
  writeFileSync(path.join(root, overlay.file.path), overlay.file.content)
  const script = `
import json, sys
if ${options.withoutWhitenoise ? 'True' : 'False'}:
    sys.modules["whitenoise"] = None  # find_spec() then answers None, as when it is not installed
sys.path.insert(0, ${JSON.stringify(root)})
from django.conf import settings
try:
    settings._setup()
    values = {name: getattr(settings, name, "<unset>") for name in json.loads(sys.argv[1])}
except Exception as error:
    print(json.dumps({"ok": False, "error": type(error).__name__, "message": str(error)}))
    sys.exit(0)
def plain(value):
    if isinstance(value, (list, tuple)):
        return [plain(item) for item in value]
    if isinstance(value, dict):
        return {str(key): plain(item) for key, item in value.items()}
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return str(value)
print(json.dumps({"ok": True, "settings": plain(values)}))
`
  const result = spawnSync(PYTHON, ['-c', script, JSON.stringify(names)], {
    cwd: root,
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', DJANGO_SETTINGS_MODULE: overlay.module, ...options.env },
  })
  if (result.status !== 0) throw new Error(`python failed (${result.status}):\n${result.stderr}`)
  const parsed = JSON.parse(result.stdout.trim().split('\n').at(-1) ?? '') as SettingsResult
  return parsed
}

/** The settings of a freshly started project, the base most cases add to. */
export const STARTPROJECT = `
from pathlib import Path
BASE_DIR = Path(__file__).resolve().parent.parent
SECRET_KEY = "django-insecure-local-only"
DEBUG = True
ALLOWED_HOSTS = []
INSTALLED_APPS = [
    "django.contrib.admin", "django.contrib.auth", "django.contrib.contenttypes",
    "django.contrib.sessions", "django.contrib.messages", "django.contrib.staticfiles",
]
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]
ROOT_URLCONF = "mysite.urls"
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": BASE_DIR / "db.sqlite3"}}
STATIC_URL = "static/"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
`

/** Checks a Python source parses with an older grammar (the overlay must run on Python 3.6+). */
export function parsesAs(source: string, version: [number, number]): boolean {
  const check = `import ast, sys; ast.parse(sys.stdin.read(), feature_version=(${version[0]}, ${version[1]}))`
  try {
    execFileSync(PYTHON, ['-c', check], { input: source, stdio: ['pipe', 'ignore', 'pipe'] })
    return true
  } catch {
    return false
  }
}
