import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { homedir } from 'node:os'
import { isAbsolute, join, resolve } from 'node:path'
import { parse as parseYaml } from 'yaml'
import { flagValue, GcloudFailure, runError, type ParsedCommand } from './parse.js'
import { REGIONS } from './resources.js'
import type { CloudState, Revision } from './state.js'

/** What a command handler works with, and what it prints. */
export interface Context {
  parsed: ParsedCommand
  state: CloudState
  env: NodeJS.ProcessEnv
  cwd: string
  stdout: string[]
  stderr: string[]
  /** Recorded with the call: contents of files the command read. */
  read: Record<string, unknown>
  /** The state directory (GCLOUD_STANDIN_STATE), absolute: it labels this cloud's containers. */
  stateDir: string
  /** Write to stdout now (a streamed build log), ahead of what the command prints at its end. */
  live: (text: string) => void
}

/** A failure that is the stand-in's own limit, not gcloud's behaviour (exit 3, never mistaken for gcloud). */
export function notModelled(what: string): GcloudFailure {
  return new GcloudFailure(`gcloud stand-in: ${what} is not modelled (test/standins/gcloud/README.md)\n`, 3)
}

export function fail(ctx: Context, message: string, exitCode = 1): GcloudFailure {
  return runError(ctx.parsed.dotted, message, exitCode)
}

/** Print `value` the way `--format json` does (2-space indent, sorted keys); other formats are not modelled. */
export function printResource(ctx: Context, value: unknown, options: { defaultOutput?: 'none' } = {}): void {
  const format = flagValue(ctx.parsed, '--format')
  if (format === undefined && options.defaultOutput === 'none') return
  if (format !== 'json')
    throw notModelled(
      `output format ${format === undefined ? '(the default)' : `'${format}'`} for gcloud ${ctx.parsed.name}; pass --format json`,
    )
  ctx.stdout.push(`${JSON.stringify(sortKeys(value), null, 2)}\n`)
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys)
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .filter((key) => (value as Record<string, unknown>)[key] !== undefined)
        .map((key) => [key, sortKeys((value as Record<string, unknown>)[key])]),
    )
  }
  return value
}

export function configDir(env: NodeJS.ProcessEnv): string {
  return env.CLOUDSDK_CONFIG || join(env.HOME || homedir(), '.config', 'gcloud')
}

interface StoredConfig {
  account?: string
  properties?: Record<string, string>
}

export function readConfig(env: NodeJS.ProcessEnv): StoredConfig {
  const file = join(configDir(env), 'standin-config.json')
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as StoredConfig) : {}
}

export function writeConfig(env: NodeJS.ProcessEnv, config: StoredConfig): void {
  mkdirSync(configDir(env), { recursive: true })
  writeFileSync(join(configDir(env), 'standin-config.json'), `${JSON.stringify(config, null, 1)}\n`)
}

/** A property as gcloud resolves it: CLOUDSDK_SECTION_NAME, then the active configuration. */
export function property(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const [section, key] = name.includes('/') ? name.split('/', 2) : ['core', name]
  const fromEnv = env[`CLOUDSDK_${section}_${key}`.toUpperCase().replace(/-/g, '_')]
  if (fromEnv) return fromEnv
  return readConfig(env).properties?.[`${section}/${key}`]
}

export function projectOf(ctx: Context): string {
  const project = flagValue(ctx.parsed, '--project') ?? property(ctx.env, 'core/project')
  if (!project) {
    throw fail(
      ctx,
      'The [project] resource is not properly specified. Please specify the argument [--project] on the command line or set the property [core/project].',
    )
  }
  return project
}

/** The region of a Cloud Run command; gcloud asks for one, or the API refuses one it does not know. */
export function regionOf(ctx: Context): string {
  const region = flagValue(ctx.parsed, '--region') ?? property(ctx.env, 'run/region')
  if (!region) throw fail(ctx, 'You must specify a region. Either use the `--region` flag or set the run/region property.')
  if (!REGIONS.includes(region)) {
    throw fail(
      ctx,
      'Deployment endpoint was not found. The provided region was invalid. Pass the `--region` flag or set the `run/region` property to a valid region and retry.' +
        `\nAvailable regions:\n${REGIONS.map((r) => `* ${r}`).join('\n')}`,
    )
  }
  return region
}

const NO_ACCOUNT = `You do not currently have an active account selected.
Please run:

  $ gcloud auth login

to obtain new credentials.

If you have already logged in with a different account, run:

  $ gcloud config set account ACCOUNT

to select an already authenticated account to use.`

/** A service-account key or an external-account (workload identity) file, checked as gcloud checks it. */
export function readCredentialFile(ctx: Context, path: string): { account: string; type: string } {
  let text: string
  try {
    text = readFileSync(isAbsolute(path) ? path : resolve(ctx.cwd, path), 'utf8')
  } catch {
    throw fail(ctx, `Unable to read file [${path}]: [Errno 2] No such file or directory: '${path}'`)
  }
  let json: Record<string, unknown>
  try {
    json = JSON.parse(text) as Record<string, unknown>
  } catch {
    // gcloud quotes Python's json error; its position wording differs from JavaScript's.
    throw fail(ctx, `Could not read json file ${path}: Expecting value: line 1 column 1 (char 0)`)
  }
  if (json.type === 'external_account') {
    const impersonation =
      typeof json.service_account_impersonation_url === 'string'
        ? /serviceAccounts\/([^:]+):/.exec(json.service_account_impersonation_url)?.[1]
        : undefined
    return { account: impersonation ?? 'principal://iam.googleapis.com/workload-identity-pool', type: 'external_account' }
  }
  const valid =
    json.type === 'service_account' &&
    typeof json.client_email === 'string' &&
    typeof json.private_key_id === 'string' &&
    typeof json.private_key === 'string' &&
    json.private_key.includes('-----BEGIN PRIVATE KEY-----')
  if (!valid) throw fail(ctx, 'The .json key file is not in a valid format.')
  return { account: json.client_email as string, type: 'service_account' }
}

/** The authenticated account: the credential-file override (google-github-actions/auth), else the configuration's. */
export function accountOf(ctx: Context): string {
  const override = ctx.env.CLOUDSDK_AUTH_CREDENTIAL_FILE_OVERRIDE
  if (override) return readCredentialFile(ctx, override).account
  const account = property(ctx.env, 'core/account') ?? readConfig(ctx.env).account
  if (!account) throw fail(ctx, NO_ACCOUNT)
  return account
}

/** Project access: an unknown project looks to the API like one the caller may not see. */
export function checkProject(ctx: Context, project: string, permission: string, resource: string): void {
  const account = accountOf(ctx)
  if (!ctx.state.projects[project]) {
    throw fail(
      ctx,
      `PERMISSION_DENIED: Permission '${permission}' denied on resource '${resource}' (or resource may not exist). This command is authenticated as ${account} which is the active account specified by the [core/account] property.`,
    )
  }
}

/** ArgDict values (`K=V,K2=V2`, or `^DELIM^K=V...`), as calliope's ArgDict splits them. */
export function parseArgDict(value: string): Array<[string, string]> {
  let delimiter = ','
  let text = value
  const alternate = /^\^([^^]+)\^/.exec(value)
  if (alternate) {
    delimiter = alternate[1] as string
    text = value.slice(alternate[0].length)
  }
  return text
    .split(delimiter)
    .filter((part) => part !== '')
    .map((part) => {
      const equals = part.indexOf('=')
      return equals < 0 ? [part, ''] : [part.slice(0, equals), part.slice(equals + 1)]
    })
}

export function parseArgList(value: string): string[] {
  const alternate = /^\^([^^]+)\^/.exec(value)
  if (alternate) return value.slice(alternate[0].length).split(alternate[1] as string)
  return value.split(',')
}

const RESERVED_ENV = ['PORT', 'K_SERVICE', 'K_REVISION', 'K_CONFIGURATION']

/** `--env-vars-file`: a YAML (or JSON) map of strings; gcloud checks the file at parse time. */
export function readEnvVarsFile(ctx: Context, path: string): Array<[string, string]> {
  const full = isAbsolute(path) ? path : resolve(ctx.cwd, path)
  if (!existsSync(full)) throw fail(ctx, `argument --env-vars-file: File [${path}] does not exist.`, 2)
  if (full.endsWith('.env')) throw notModelled('.env files for --env-vars-file')
  const text = readFileSync(full, 'utf8')
  let data: unknown
  try {
    data = parseYaml(text, { version: '1.2' })
  } catch (error) {
    throw fail(ctx, `Failed to parse YAML from [${path}]: ${(error as Error).message.split('\n')[0]}`)
  }
  if (!data || typeof data !== 'object' || Array.isArray(data)) {
    throw fail(ctx, `argument --env-vars-file: Invalid YAML/JSON data in [${path}], expected map-like data.`, 2)
  }
  const entries = Object.entries(data as Record<string, unknown>)
  for (const [key, value] of entries) {
    if (key === '') throw fail(ctx, 'argument --env-vars-file: Environment variable keys cannot be empty.', 2)
    if (key.startsWith('X_GOOGLE_')) {
      throw fail(
        ctx,
        'argument --env-vars-file: Environment variable keys that start with `X_GOOGLE_` are reserved for use by deployment tools and cannot be specified manually.',
        2,
      )
    }
    if (typeof value !== 'string') {
      const python = value === true ? 'True' : value === false ? 'False' : value === null ? 'None' : String(value)
      const type =
        typeof value === 'boolean'
          ? 'bool'
          : typeof value === 'number'
            ? Number.isInteger(value)
              ? 'int'
              : 'float'
            : value === null
              ? 'NoneType'
              : 'dict'
      throw fail(
        ctx,
        `argument --env-vars-file: Environment variable values must be strings. Found ${python} (type <class '${type}'>)`,
        2,
      )
    }
  }
  ctx.read.envVarsFile = Object.fromEntries(entries)
  return entries as Array<[string, string]>
}

export function checkReservedEnv(ctx: Context, env: Revision['env']): void {
  const reserved = env.filter((variable) => RESERVED_ENV.includes(variable.name)).map((variable) => variable.name)
  if (reserved.length) {
    throw fail(
      ctx,
      `spec.template.spec.containers[0].env: The following reserved env names were provided: ${reserved.join(', ')}. These values are automatically set by the system.`,
    )
  }
}

/** `--update-secrets`/`--set-secrets` values: ENV=SECRET:VERSION or ENV=projects/NUMBER/secrets/SECRET[:VERSION]. */
export function parseSecrets(ctx: Context, value: string): Revision['env'] {
  return parseArgDict(value).map(([name, reference]) => {
    const remote = /^projects\/([0-9]{1,19})\/secrets\/([a-zA-Z0-9-_]{1,255})(?::(.+)|\/versions\/(.+))?$/.exec(reference)
    if (remote) return { name, secret: { name: remote[2] as string, key: remote[3] ?? remote[4] ?? 'latest' } }
    const parts = reference.split(':')
    if (parts.length === 1)
      throw fail(ctx, `No secret version specified for ${name}. Use ${name}:latest to reference the latest version.`)
    if (parts.length > 2) throw fail(ctx, `Invalid secret spec '${reference}'`)
    const [secret, version] = parts as [string, string]
    if (!/^[a-zA-Z0-9-_]{1,255}$/.test(secret)) throw fail(ctx, `'${secret}' is not a valid secret name.`)
    return { name, secret: { name: secret, key: version } }
  })
}

/** Cloud Run resource names: gcloud's own check (flags.ValidateResource). */
export function validateResourceName(ctx: Context, name: string): void {
  if (!/^[a-z0-9-]{1,63}$/.test(name) || name.startsWith('-') || name.endsWith('-')) {
    throw fail(
      ctx,
      `Invalid resource name [${name}]. The name must use only lowercase alphanumeric characters and dashes, cannot begin or end with a dash, and cannot be longer than 63 characters.`,
    )
  }
}

export function now(): string {
  return new Date().toISOString()
}
