import { ActionError } from '@django-deploy/shared/errors'
import { DokkuCommandError, type Dokku } from './dokku/client.js'
import { lines, notACommand } from './dokku/output.js'

/**
 * What the server has now, read with read-only commands only (safe in a dry run). Reads that do
 * not depend on each other run concurrently as channels of the one SSH connection.
 */
export interface DokkuVersion {
  raw: string
  major: number
  minor: number
  patch: number
}

export interface Mount {
  host: string
  container: string
}

export interface AppState {
  exists: boolean
  /** A deploy lock file is present (apps:locked). */
  locked: boolean
  /** git:report: the app's own deploy branch ('' when unset) and the global one. */
  deployBranch: string
  globalDeployBranch: string
  config: Record<string, string>
  mounts: Mount[]
  domains: string[]
  letsencryptActive: boolean
  builderSelected: string
  /** `urls APP`, one per line. */
  urls: string[]
  /** Branch → commit of the app's repository (git-upload-pack's ref advertisement), when asked for. */
  branches: Map<string, string>
}

export type PluginState = 'installed' | 'missing' | 'unchecked'

export interface PostgresState {
  plugin: PluginState
  service: string
  exists: boolean
  linked: boolean
}

export interface RemoteState {
  version: DokkuVersion
  app: AppState
  postgres: PostgresState
  letsencryptPlugin: PluginState
}

export interface ReadStateOptions {
  app: string
  postgresService?: string
  checkLetsencrypt: boolean
  checkBuilder: boolean
  /** Lists the branches of an existing app's repository (deliver/remote-refs.ts); read with the rest. */
  listBranches?: (app: string) => Promise<Map<string, string>>
}

export function parseVersion(text: string): DokkuVersion {
  const raw = text.trim().split('\n')[0] ?? ''
  const match = /^dokku version v?(\d+)\.(\d+)\.(\d+)/.exec(raw)
  if (!match) {
    throw new ActionError(`The server did not answer like Dokku: 'version' printed '${raw.slice(0, 80) || '(nothing)'}'.`, {
      input: 'ssh-private-key',
      hint: "The key must be added with 'dokku ssh-keys:add' (as root on the server), which makes every login run Dokku; a key in a normal user's authorized_keys opens a shell instead. The SSH user must be 'dokku'.",
    })
  }
  return { raw, major: Number(match[1]), minor: Number(match[2]), patch: Number(match[3]) }
}

export function atLeast(version: DokkuVersion, minor: number, patch = 0): boolean {
  if (version.major !== 0) return version.major > 0
  return version.minor > minor || (version.minor === minor && version.patch >= patch)
}

export async function readVersion(dokku: Dokku): Promise<DokkuVersion> {
  const result = await dokku.run(['version'])
  return parseVersion(result.exitCode === 0 ? result.stdout : `${result.stdout}${result.stderr}`)
}

const EMPTY_APP: AppState = {
  exists: false,
  locked: false,
  deployBranch: '',
  globalDeployBranch: '',
  config: {},
  mounts: [],
  domains: [],
  letsencryptActive: false,
  builderSelected: '',
  urls: [],
  branches: new Map(),
}

export async function readRemoteState(dokku: Dokku, options: ReadStateOptions): Promise<RemoteState> {
  const { app } = options
  // One round: every read is sent at once, the app's reads on the guess that it exists (for a new
  // app they answer "does not exist" and are ignored). Only the branch listing waits for
  // apps:exists, because git-upload-pack would create a missing app.
  const exists = dokku.run(['apps:exists', app])
  const appRead = (args: string[]) => dokku.run(args)
  const [
    version,
    existsResult,
    postgresExists,
    letsencryptProbe,
    report,
    config,
    storage,
    domains,
    locked,
    urls,
    branches,
    linked,
    letsencrypt,
    builder,
  ] = await Promise.all([
    readVersion(dokku),
    exists,
    options.postgresService ? dokku.run(['postgres:exists', options.postgresService]) : undefined,
    // Without the app, letsencrypt:active cannot be asked; `letsencrypt:help` shows whether the plugin is there.
    options.checkLetsencrypt ? dokku.run(['letsencrypt:help']) : undefined,
    appRead(['git:report', app]),
    appRead(['config:export', '--format', 'json', app]),
    appRead(['storage:list', app]),
    appRead(['domains:report', app, '--domains-app-vhosts']),
    appRead(['apps:locked', app]),
    appRead(['urls', app]),
    exists.then((result) =>
      result.exitCode === 0 && options.listBranches ? options.listBranches(app) : new Map<string, string>(),
    ),
    options.postgresService ? appRead(['postgres:linked', options.postgresService, app]) : undefined,
    options.checkLetsencrypt ? appRead(['letsencrypt:active', app]) : undefined,
    options.checkBuilder ? appRead(['builder:report', app, '--builder-selected']) : undefined,
  ])
  if (existsResult.exitCode !== 0 && existsResult.exitCode !== 20) throw new DokkuCommandError(['apps:exists', app], existsResult)

  const postgres: PostgresState = {
    plugin: postgresExists === undefined ? 'unchecked' : notACommand(postgresExists.stderr) ? 'missing' : 'installed',
    service: options.postgresService ?? '',
    exists: postgresExists?.exitCode === 0,
    linked: postgresExists?.exitCode === 0 && linked?.exitCode === 0,
  }
  const letsencryptPlugin: PluginState =
    letsencryptProbe === undefined ? 'unchecked' : notACommand(letsencryptProbe.stderr) ? 'missing' : 'installed'
  if (existsResult.exitCode === 20) return { version, app: EMPTY_APP, postgres, letsencryptPlugin }

  for (const [args, result] of [
    [['git:report', app], report],
    [['config:export', app], config],
    [['storage:list', app], storage],
    [['domains:report', app], domains],
    [['urls', app], urls],
  ] as const) {
    if (result.exitCode !== 0) throw new DokkuCommandError(args, result)
  }
  const gitReport = parseReport(report.stdout)
  let parsedConfig: Record<string, string>
  try {
    parsedConfig = JSON.parse(config.stdout || '{}') as Record<string, string>
  } catch {
    throw new ActionError(`config:export --format json ${app} did not print JSON.`, {
      hint: 'This Dokku version is too old for config:export --format json; upgrade Dokku (0.19 or newer).',
    })
  }
  return {
    version,
    app: {
      exists: true,
      locked: locked.exitCode === 0,
      deployBranch: gitReport['git deploy branch'] ?? '',
      globalDeployBranch: gitReport['git global deploy branch'] ?? '',
      config: parsedConfig,
      mounts: parseMounts(storage.stdout),
      domains: domains.stdout.trim().split(/\s+/).filter(Boolean),
      letsencryptActive: letsencryptPlugin === 'installed' && letsencrypt?.stdout.trim() === 'true',
      builderSelected: builder?.exitCode === 0 ? builder.stdout.trim() : '',
      urls: lines(urls.stdout)
        .map((line) => line.trim())
        .filter((line) => /^https?:\/\//.test(line)),
      branches,
    },
    postgres,
    letsencryptPlugin,
  }
}

/** A `<plugin>:report APP` in its stdout form: "       Git deploy branch:     main" → { 'git deploy branch': 'main' }. */
export function parseReport(text: string): Record<string, string> {
  const result: Record<string, string> = {}
  for (const line of lines(text)) {
    const match = /^\s+([^:]+):\s*(.*)$/.exec(line)
    if (match?.[1]) result[match[1].trim().toLowerCase()] = (match[2] ?? '').trim()
  }
  return result
}

/** storage:list without a TTY: `host:container[:options]` per line. */
export function parseMounts(text: string): Mount[] {
  return lines(text)
    .map((line) => line.trim())
    .filter((line) => line.startsWith('/') && line.includes(':'))
    .map((line) => {
      const [host = '', container = ''] = line.split(':')
      return { host, container }
    })
}
