import { readdir, stat } from 'node:fs/promises'
import { join, relative, resolve } from 'node:path'
import { run, type RunResult } from './process.js'

/** Debian's Python, where Django 4.2, gunicorn, whitenoise, psycopg2... are installed. Never the `python3` on PATH. */
export const PYTHON = '/usr/bin/python3'

/**
 * Variables removed from the environment Python code runs in, so a developer's shell (or CI's)
 * cannot change what a fixture does: settings selection, database, secrets, virtualenvs.
 */
const SCRUBBED =
  /^(DJANGO_.*|DATABASE_URL|SECRET_KEY|DEBUG|ALLOWED_HOSTS|CSRF_TRUSTED_ORIGINS|STATIC_ROOT|STATIC_URL|MEDIA_ROOT|MEDIA_URL|PYTHONPATH|PYTHONHOME|PYTHONSTARTUP|PYTHONSAFEPATH|VIRTUAL_ENV|CONDA_PREFIX|PIPENV_.*|POETRY_.*|UV_.*|EXAMPLE_BROKEN_LINK|GUNICORN_CMD_ARGS|WEB_CONCURRENCY|PORT)$/

export type EnvOverrides = Record<string, string | undefined>

/**
 * The environment for running a fixture: the current one minus SCRUBBED variables, with
 * PYTHONDONTWRITEBYTECODE/PYTHONUNBUFFERED set, a UTF-8 locale, /usr/bin first on PATH, then
 * `overrides` (a value of `undefined` removes a variable).
 */
export function pythonEnv(overrides: EnvOverrides = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {}
  for (const [key, value] of Object.entries(process.env)) if (!SCRUBBED.test(key)) env[key] = value
  env.PATH = `/usr/bin:/bin:${process.env.PATH ?? ''}`
  env.PYTHONDONTWRITEBYTECODE = '1'
  env.PYTHONUNBUFFERED = '1'
  env.LANG = 'C.UTF-8'
  env.LC_ALL = 'C.UTF-8'
  for (const [key, value] of Object.entries(overrides)) {
    if (value === undefined) delete env[key]
    else env[key] = value
  }
  return env
}

const SKIP_DIRS = new Set([
  '.git',
  'node_modules',
  '__pycache__',
  '.venv',
  'venv',
  '.tox',
  '.nox',
  'staticfiles',
  'media',
  'static',
])

/**
 * The directory holding manage.py under `projectDir`: the shallowest one, at most 3 levels deep
 * (like Heroku's buildpack). Throws if there is none, or if two are equally shallow.
 */
export async function findAppDir(projectDir: string): Promise<string> {
  let level = [projectDir]
  for (let depth = 0; depth <= 3 && level.length > 0; depth++) {
    const found: string[] = []
    const next: string[] = []
    for (const dir of level) {
      let entries
      try {
        entries = await readdir(dir, { withFileTypes: true })
      } catch {
        continue
      }
      for (const entry of entries) {
        if (entry.isFile() && entry.name === 'manage.py') found.push(dir)
        else if (entry.isDirectory() && !SKIP_DIRS.has(entry.name) && !entry.name.startsWith('.'))
          next.push(join(dir, entry.name))
      }
    }
    if (found.length === 1) return found[0] as string
    if (found.length > 1) {
      throw new Error(
        `several manage.py files at the same depth under ${projectDir}: ${found.map((d) => relative(projectDir, d) || '.').join(', ')}`,
      )
    }
    level = next
  }
  throw new Error(`no manage.py under ${projectDir} (searched 3 levels deep)`)
}

export interface PythonOptions {
  /** Added to pythonEnv(); `undefined` removes a variable. */
  env?: EnvOverrides
  cwd?: string
  /** Default 120 s. */
  timeoutMs?: number
  input?: string
}

/** Run Debian's Python with `args`. Resolves with the exit code and output; never throws for a failure exit. */
export function runPython(args: readonly string[], options: PythonOptions = {}): Promise<RunResult> {
  return run(PYTHON, args, { cwd: options.cwd, env: pythonEnv(options.env), timeoutMs: options.timeoutMs, input: options.input })
}

export interface ManageOptions extends Omit<PythonOptions, 'cwd'> {
  /** Sets DJANGO_SETTINGS_MODULE (otherwise manage.py's own default applies). */
  settingsModule?: string
  /** The directory with manage.py, if not found by findAppDir(projectDir). Relative paths are relative to projectDir. */
  appDir?: string
}

/**
 * `python manage.py <args>` in the project's app directory (where manage.py is, e.g. `src/` for
 * a src layout), with a scrubbed environment (see pythonEnv).
 */
export async function manage(projectDir: string, args: readonly string[], options: ManageOptions = {}): Promise<RunResult> {
  const appDir = options.appDir ? resolve(projectDir, options.appDir) : await findAppDir(projectDir)
  if (!(await stat(join(appDir, 'manage.py')).catch(() => undefined))) throw new Error(`no manage.py in ${appDir}`)
  const env: EnvOverrides = { ...options.env }
  if (options.settingsModule !== undefined) env.DJANGO_SETTINGS_MODULE = options.settingsModule
  return runPython(['manage.py', ...args], { cwd: appDir, env, timeoutMs: options.timeoutMs, input: options.input })
}
