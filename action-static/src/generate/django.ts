import { copyFile, mkdir, stat, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { ActionError } from '@django-deploy/shared/errors'
import type { ProjectModel } from '@django-deploy/shared/detect'
import type { CommandRunner } from '@django-deploy/shared/runtime'
import type { Logger } from '@django-deploy/shared/runtime'
import { BUILD_SECRET_KEY, buildEnvironment, overlayEnvironment, renderOverlay } from '@django-deploy/shared/settings'

/**
 * Running the user's Django project for the build, with the shared production settings overlay
 * (DEBUG off, WhiteNoise, hosts from the environment) and without touching the checkout:
 *
 * - the overlay module is written to a private directory on PYTHONPATH (not beside the settings
 *   module), under a name of its own;
 * - STATIC_ROOT (collectstatic) goes to the private directory;
 * - without `database-url` the content comes from a *copy* of the repository's SQLite file (or a
 *   new one), migrated, plus `fixtures` loaded into it. A `database-url` is used as is: no
 *   migration is ever run against it (it is usually the live site's database).
 */
export const OVERLAY_MODULE = 'django_deploy_static_settings'

/** The overlay module the build runs with (the plan shows the same text, so the same size). */
export function staticOverlay(project: ProjectModel, appDir: string): string {
  return renderOverlay({ module: OVERLAY_MODULE, baseModule: project.settings.module, repoPath: `${OVERLAY_MODULE}.py` }, appDir)
}

export interface DjangoOptions {
  project: ProjectModel
  /** Absolute repository root (project paths are relative to it). */
  repoRoot: string
  /** Private scratch directory of this run. */
  workDir: string
  python: string
  runner: CommandRunner
  log: Logger
  /** Public origin (`base-url`), when known. */
  baseUrl?: string
  databaseUrl?: string
  fixtures: string[]
  timeoutMs: number
  /** Extra variables for every command (e.g. BUILD_DIR for bakery). */
  extraEnv?: Record<string, string>
}

export interface DjangoFacts {
  django: string
  engine?: string
  databaseName?: string
  staticUrl: string
  staticRoot: string
  mediaUrl?: string
  mediaRoot?: string
  installedApps: string[]
  gunicorn: boolean
  bakery: boolean
  wagtailBakery: boolean
  distill: boolean
  distillVersion?: string
  sitesFramework: boolean
  /**
   * django-compressor with offline compression on (as it reads its settings): where it writes
   * (COMPRESS_ROOT) and its manifest, relative to it. Null otherwise.
   */
  compressOffline: { root: string; manifest: string } | null
}

export interface PreparedDjango {
  appDir: string
  env: Record<string, string>
  facts: DjangoFacts
  /** How the content was provided, for the summary. */
  content: string
  manage(args: string[], what: string): Promise<string>
  /** `python <args>` in the app directory with the build environment; stdout, or an ActionError naming `what`. */
  python(args: string[], what: string): Promise<string>
}

const PROBE = String.raw`
import json
from importlib.util import find_spec
import django
django.setup()
from django.conf import settings

def version(distribution, module):
    try:
        from importlib.metadata import version as v
        return v(distribution)
    except Exception:
        pass
    try:
        return getattr(__import__(module), "__version__", None)
    except Exception:
        return None

def compress_offline():
    # django-compressor's own reading of its settings (its defaults included: COMPRESS_ENABLED is
    # "not DEBUG"): {% compress %} blocks then render only what "manage.py compress" wrote.
    if "compressor" not in settings.INSTALLED_APPS:
        return None
    from compressor.conf import settings as compressor
    if not (compressor.COMPRESS_ENABLED and compressor.COMPRESS_OFFLINE):
        return None
    return {
        "root": str(compressor.COMPRESS_ROOT),
        "manifest": compressor.COMPRESS_OUTPUT_DIR.strip("/") + "/" + compressor.COMPRESS_OFFLINE_MANIFEST,
    }

db = settings.DATABASES.get("default", {})
print("DJANGO-DEPLOY-PROBE " + json.dumps({
    "django": django.get_version(),
    "engine": db.get("ENGINE"),
    "databaseName": str(db.get("NAME")) if db.get("NAME") else None,
    "staticUrl": settings.STATIC_URL,
    "staticRoot": str(settings.STATIC_ROOT),
    "mediaUrl": settings.MEDIA_URL or None,
    "mediaRoot": str(settings.MEDIA_ROOT) if settings.MEDIA_ROOT else None,
    "installedApps": list(settings.INSTALLED_APPS),
    "gunicorn": find_spec("gunicorn") is not None,
    "bakery": find_spec("bakery") is not None,
    "wagtailBakery": find_spec("wagtailbakery") is not None,
    "distill": find_spec("django_distill") is not None,
    "distillVersion": version("django-distill", "django_distill") if find_spec("django_distill") else None,
    "sitesFramework": "django.contrib.sites" in settings.INSTALLED_APPS,
    "compressOffline": compress_offline(),
}))
`

/**
 * The project loaded with the build's settings (overlay, environment, the settings probe), nothing
 * changed yet: what a dry run reads to say exactly what the run will do.
 */
export async function loadDjango(options: DjangoOptions): Promise<Omit<PreparedDjango, 'content'>> {
  const { project, runner } = options
  const appDir = path.join(options.repoRoot, project.appDir)
  const overlayDir = path.join(options.workDir, 'settings')
  await mkdir(overlayDir, { recursive: true })
  // An absolute app directory: the overlay then resolves relative paths from manage.py's folder
  // even though it lives outside the project.
  await writeFile(path.join(overlayDir, `${OVERLAY_MODULE}.py`), staticOverlay(project, appDir))

  const base = options.baseUrl ? new URL(options.baseUrl) : undefined
  const staticRoot = path.join(options.workDir, 'staticfiles')
  const env: Record<string, string> = {
    ...buildEnvironment(project, OVERLAY_MODULE),
    ...overlayEnvironment({
      settingsModule: OVERLAY_MODULE,
      hosts: ['127.0.0.1', 'localhost', ...(base ? [base.hostname] : [])],
      https: base?.protocol === 'https:',
      secretKey: BUILD_SECRET_KEY,
      staticRoot,
      project,
    }),
    PYTHONPATH: [overlayDir, process.env.PYTHONPATH].filter(Boolean).join(path.delimiter),
    PYTHONDONTWRITEBYTECODE: '1',
    PYTHONUNBUFFERED: '1',
    ...(options.extraEnv ?? {}),
  }
  // HSTS and the SSL redirect make no sense for a build that only the crawler talks to.
  if (base?.protocol === 'https:') Object.assign(env, { SECURE_SSL_REDIRECT: 'false', SECURE_HSTS_SECONDS: '0' })

  const python = async (args: string[], what: string, extra: Record<string, string> = {}): Promise<string> => {
    const result = await runner.run(options.python, args, {
      cwd: appDir,
      env: { ...env, ...extra },
      timeoutMs: options.timeoutMs,
    })
    if (result.exitCode !== 0) {
      throw new ActionError(`${what} failed (exit code ${result.exitCode}):\n${tail(result.stderr || result.stdout)}`, {
        hint: 'Fix the error above; it happens with your settings plus the production overlay (DEBUG off). Set settings-module if the wrong settings were used.',
      })
    }
    return result.stdout
  }
  const manage = (args: string[], what: string): Promise<string> => python([path.basename(project.managePy), ...args], what)

  const probeOutput = await python(['-c', PROBE], 'Loading the Django settings')
  const line = probeOutput.split('\n').find((entry) => entry.startsWith('DJANGO-DEPLOY-PROBE '))
  if (!line)
    throw new ActionError('Loading the Django settings printed nothing readable.', {
      hint: 'Does the settings module print to stdout or exit early?',
    })
  const facts = JSON.parse(line.slice('DJANGO-DEPLOY-PROBE '.length)) as DjangoFacts
  facts.staticUrl = rootRelative(facts.staticUrl) ?? '/static/'
  facts.mediaUrl = rootRelative(facts.mediaUrl)
  return { appDir, env, facts, manage, python }
}

/**
 * Where the content comes from, in the words the run and the dry-run plan both use: database-url
 * as is, else a copy of the settings' SQLite file when it exists, else a new SQLite database.
 */
export async function contentSource(
  options: Pick<DjangoOptions, 'databaseUrl' | 'fixtures' | 'repoRoot'>,
  loaded: Pick<PreparedDjango, 'appDir' | 'facts'>,
): Promise<{ content: string; copyFrom?: string }> {
  const fixtures = options.fixtures.length ? `, with fixtures ${options.fixtures.join(', ')}` : ''
  if (options.databaseUrl) return { content: `the database at database-url (not migrated)${fixtures}` }
  const { facts } = loaded
  const source =
    facts.engine?.endsWith('sqlite3') && facts.databaseName && facts.databaseName !== ':memory:'
      ? path.resolve(loaded.appDir, facts.databaseName)
      : undefined
  const exists = source
    ? await stat(source).then(
        (info) => info.isFile(),
        () => false,
      )
    : false
  if (source && exists)
    return { content: `a copy of ${path.relative(options.repoRoot, source) || source}, migrated${fixtures}`, copyFrom: source }
  return { content: `a new SQLite database, migrated${fixtures}` }
}

/**
 * `beside`: work that needs the loaded settings but not the database (collectstatic), run while the
 * database is migrated and loaded: on two cores that is one Python process's time saved. The
 * database copy is made and DATABASE_URL set before it starts, so even a project that opened its
 * database on import would open the copy. Its result comes back as `besideResult`; the database's
 * error, when both fail, is the one reported (it is the earlier step).
 */
export async function prepareDjango<T = undefined>(
  options: DjangoOptions,
  beside?: (loaded: Omit<PreparedDjango, 'content'>) => Promise<T> | undefined,
): Promise<PreparedDjango & { besideResult?: T }> {
  const { log } = options
  const loaded = await loadDjango(options)
  const { env, manage } = loaded
  const { content, copyFrom } = await contentSource(options, loaded)
  if (options.databaseUrl) {
    env.DATABASE_URL = options.databaseUrl
  } else {
    const copy = path.join(options.workDir, 'content.sqlite3')
    if (copyFrom) await copyFile(copyFrom, copy)
    env.DATABASE_URL = `sqlite:///${copy}`
  }
  const alongside = beside?.(loaded)
  alongside?.catch(() => undefined) // awaited below, after the database
  try {
    if (!options.databaseUrl) {
      await log.group('Database: migrate', async () => {
        log.info(await manage(['migrate', '--noinput'], 'manage.py migrate'))
      })
    }
    if (options.fixtures.length) {
      await log.group(`Database: loaddata ${options.fixtures.join(' ')}`, async () => {
        log.info(await manage(['loaddata', ...options.fixtures], 'manage.py loaddata'))
      })
    }
  } catch (error) {
    await alongside?.catch(() => undefined)
    throw error
  }
  return { ...loaded, content, besideResult: await alongside }
}

/** STATIC_URL/MEDIA_URL as a root-relative path, or undefined when it is on another host. */
function rootRelative(url: string | null | undefined): string | undefined {
  if (!url) return undefined
  if (/^[a-z]+:\/\//i.test(url) || url.startsWith('//')) return undefined
  const withSlash = url.startsWith('/') ? url : `/${url}`
  return withSlash.endsWith('/') ? withSlash : `${withSlash}/`
}

function tail(text: string): string {
  const lines = text.trim().split('\n')
  return lines.slice(-25).join('\n')
}
