import { ActionError } from '../errors.js'
import type { ProjectModel } from '../detect/model.js'
import { requiredProjectVariables, type ProjectVariable } from './project-variables.js'
import type { OverlayVariableName } from './variables.js'

/**
 * The environment every action gives the deployed app, built the same way everywhere: the
 * overlay's variables (variables.ts) from what the platform knows (its host names, whether TLS
 * ends in front of the app, the database it provisioned), plus the project's own variable names
 * where its settings would otherwise fail to import.
 *
 * Recommended per platform:
 * - Cloud Run: `https: true`, hosts = the service URL's host (+ custom domains),
 *   `hsts: { seconds: 31536000 }` (run.app is HSTS-preloaded anyway).
 * - Dokku: `https` = whether Let's Encrypt (or another certificate) is enabled; hosts = the app's
 *   domains; `mediaRoot` = the container path of the persistent storage mount.
 * - Static (local freeze): `https: false`, hosts = ["localhost", "127.0.0.1"].
 */
export interface OverlayEnvironmentOptions {
  /** The overlay's dotted module (`Overlay.module`), set as DJANGO_SETTINGS_MODULE. */
  settingsModule: string
  /** Public host names, without scheme or port ("example.com", ".example.com" for subdomains, "*"). */
  hosts: readonly string[]
  /** True when the site is served over HTTPS by a TLS-terminating proxy. */
  https: boolean
  secretKey?: string
  databaseUrl?: string
  /** Origins trusted beyond `hosts` (another front-end, an admin domain); scheme optional. */
  extraOrigins?: readonly string[]
  staticRoot?: string
  staticUrl?: string
  mediaRoot?: string
  mediaUrl?: string
  buildDir?: string
  hsts?: { seconds?: number; includeSubdomains?: boolean; preload?: boolean }
  /** DEBUG; the overlay keeps it off when unset. */
  debug?: boolean
  /** Also set the variables the project's settings read without a default (project-variables.ts). */
  project?: ProjectModel
}

type OverlayEnvironment = Partial<Record<OverlayVariableName | 'DJANGO_SETTINGS_MODULE', string>>

/** Variable → value, keys sorted, only what is known (never an empty value). */
export function overlayEnvironment(options: OverlayEnvironmentOptions): Record<string, string> {
  const hosts = unique(options.hosts.map((host) => checkedHost(host)))
  const scheme = options.https ? 'https' : 'http'
  const origins = unique([
    ...hosts.filter((host) => host !== '*').map((host) => `${scheme}://${host.startsWith('.') ? `*${host}` : host}`),
    ...(options.extraOrigins ?? []).map((origin) => checkedOrigin(origin, scheme)),
  ])
  const env: OverlayEnvironment = {
    DJANGO_SETTINGS_MODULE: options.settingsModule,
    DJANGO_HTTPS: options.https ? 'true' : 'false',
  }
  if (hosts.length) env.ALLOWED_HOSTS = hosts.join(',')
  if (origins.length) env.CSRF_TRUSTED_ORIGINS = origins.join(',')
  if (options.secretKey) env.SECRET_KEY = options.secretKey
  if (options.databaseUrl) env.DATABASE_URL = options.databaseUrl
  if (options.debug !== undefined) env.DEBUG = options.debug ? 'true' : 'false'
  if (options.staticRoot) env.STATIC_ROOT = options.staticRoot
  if (options.staticUrl) env.STATIC_URL = options.staticUrl
  if (options.mediaRoot) env.MEDIA_ROOT = options.mediaRoot
  if (options.mediaUrl) env.MEDIA_URL = options.mediaUrl
  if (options.buildDir) env.BUILD_DIR = options.buildDir
  if (options.hsts?.seconds !== undefined) {
    if (!Number.isInteger(options.hsts.seconds) || options.hsts.seconds < 0)
      throw new ActionError(`HSTS seconds must be a whole number of 0 or more, not ${options.hsts.seconds}.`)
    env.SECURE_HSTS_SECONDS = String(options.hsts.seconds)
  }
  if (options.hsts?.includeSubdomains !== undefined) env.SECURE_HSTS_INCLUDE_SUBDOMAINS = String(options.hsts.includeSubdomains)
  if (options.hsts?.preload !== undefined) env.SECURE_HSTS_PRELOAD = String(options.hsts.preload)

  const result: Record<string, string> = { ...(env as Record<string, string>) }
  if (options.project) {
    const values: Partial<Record<ProjectVariable['setting'], string>> = {
      SECRET_KEY: env.SECRET_KEY,
      DEBUG: options.debug ? 'True' : 'False',
      ALLOWED_HOSTS: env.ALLOWED_HOSTS,
      CSRF_TRUSTED_ORIGINS: env.CSRF_TRUSTED_ORIGINS,
      DATABASE_URL: env.DATABASE_URL,
    }
    for (const mirror of requiredProjectVariables(options.project)) {
      const value = values[mirror.setting]
      if (value !== undefined && result[mirror.variable] === undefined) result[mirror.variable] = value
    }
  }
  return sortedRecord(result)
}

/** Stands in for SECRET_KEY while building (collectstatic); long enough for check W009, never used at runtime. */
export const BUILD_SECRET_KEY = 'build-time-placeholder-secret-key-not-used-at-runtime-0123456789'

/**
 * The environment for build-time commands (collectstatic in the Dockerfile, the static freeze's
 * setup): the overlay module, a throwaway SECRET_KEY, and placeholders for the variables the
 * project's settings cannot import without. Nothing here is a secret, so it may appear in a
 * Dockerfile `RUN` line — scoped to that line, never `ENV`, so it cannot leak into runtime.
 */
export function buildEnvironment(
  project: ProjectModel,
  settingsModule: string,
  options: { allRequired?: boolean } = {},
): Record<string, string> {
  const env: Record<string, string> = { DJANGO_SETTINGS_MODULE: settingsModule, SECRET_KEY: BUILD_SECRET_KEY }
  for (const required of requiredProjectVariables(project)) {
    if (env[required.variable] === undefined) env[required.variable] = placeholderFor(required)
  }
  // allRequired (an image's build steps): every other variable the settings need at import gets a
  // harmless placeholder too (REDIS_URL, DJANGO_ADMIN_URL...), never the real value.
  if (options.allRequired) {
    for (const read of project.requiredEnv ?? []) env[read.variable] ??= genericPlaceholder(read.variable)
  }
  return sortedRecord(env)
}

/** A value that parses as what the name suggests, and connects nowhere. */
function genericPlaceholder(variable: string): string {
  if (/(PORT|TIMEOUT|SECONDS|COUNT|SIZE)$/.test(variable)) return '0'
  if (/CACHE/.test(variable) && /URL$/.test(variable)) return 'locmemcache://'
  if (/REDIS/.test(variable)) return 'redis://localhost:6379/0'
  if (/URL$|URI$|DSN$/.test(variable)) return 'http://localhost/'
  return 'build-placeholder'
}

function placeholderFor(variable: ProjectVariable): string {
  switch (variable.setting) {
    case 'SECRET_KEY':
      return BUILD_SECRET_KEY
    case 'DEBUG':
      return 'False'
    case 'ALLOWED_HOSTS':
      return 'localhost'
    case 'CSRF_TRUSTED_ORIGINS':
      return 'http://localhost'
    case 'DATABASE_URL':
      // In memory: nothing is written, and no database server is needed at build time.
      return 'sqlite://:memory:'
  }
}

function checkedHost(host: string): string {
  const trimmed = host.trim().toLowerCase()
  if (!trimmed || /[\s,/]/.test(trimmed) || trimmed.includes('://')) {
    throw new ActionError(
      `'${host}' is not a host name: give names like example.com or .example.com, without scheme, path or commas.`,
    )
  }
  return trimmed
}

function checkedOrigin(origin: string, scheme: string): string {
  const trimmed = origin.trim().replace(/\/+$/, '')
  if (!trimmed || /[\s,]/.test(trimmed)) throw new ActionError(`'${origin}' is not an origin: give one like https://example.com.`)
  const withScheme = trimmed.includes('://') ? trimmed : `${scheme}://${trimmed}`
  return withScheme.replace('://.', '://*.')
}

function unique(values: string[]): string[] {
  return [...new Set(values)]
}

function sortedRecord(record: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
}
