import { InputError } from '@django-deploy/shared/errors'
import { InputReader, type InputSource, type KeyValue } from '@django-deploy/shared/inputs'
import { isSecretName, maskConfigValue, urlPassword } from '@django-deploy/shared/github'
import { splitShellWords } from '@django-deploy/shared/runtime'
import { commandLine, DokkuArgumentError } from './dokku/command.js'
import { checkAppName } from './names.js'
import { parseHostKeys, type HostKeyPolicy } from './ssh/host-keys.js'
import { readDeployKey, type DeployKey } from './ssh/private-key.js'
import { parseTarget, type SshTarget } from './target.js'

/**
 * Every input of action.yml, read and validated before anything touches the network or the disk.
 * Secrets (the key, its passphrase, config values whose name says secret) are handed to `setSecret` the moment they
 * are read, before any validation can quote them in an error.
 */
export type ReviewAppMode = 'auto' | 'destroy' | 'false'
export type Builder = 'auto' | 'herokuish' | 'dockerfile'

export interface DokkuInputs {
  target: SshTarget
  app: string
  /** Undefined when the input is empty: a fork's pull request gets no secrets (main.ts decides what that means). */
  key: DeployKey | undefined
  hostKeys: HostKeyPolicy
  workingDirectory: string
  settingsModule?: string
  /** The remote deploy branch; undefined = the app's own (git:report). */
  branch?: string
  createApp: boolean
  postgres: boolean
  storage: boolean
  config: KeyValue[]
  domains: string[]
  letsencrypt: boolean
  letsencryptEmail?: string
  migrate: boolean
  /** Each line of post-deploy as the words after `python manage.py`. */
  postDeploy: string[][]
  reviewApp: ReviewAppMode
  settingsPatch: 'overlay' | 'none'
  builder: Builder
  force: boolean
  timeoutMs: number
  dryRun: boolean
  /** Path to GET after the deploy, or undefined for no check. */
  httpCheck?: string
}

/** Config keys the platform owns: setting them by hand breaks Dokku or is overwritten by it. */
const RESERVED_CONFIG = new Set([
  'PORT',
  'GIT_REV',
  'DOKKU_PROXY_PORT',
  'DOKKU_PROXY_SSL_PORT',
  'DOKKU_APP_TYPE',
  'DOKKU_APP_RESTORE',
  'DJANGO_DEPLOY_MANAGED_CONFIG',
])

export function readInputs(source: InputSource, setSecret: (value: string) => void): DokkuInputs {
  const read = new InputReader(source)

  // Secrets first, masked before anything can echo them.
  const keyText = read.raw('ssh-private-key')
  if (keyText !== '') setSecret(keyText)
  const passphrase = read.optional('ssh-passphrase')
  if (passphrase !== undefined) setSecret(passphrase)
  // Only values whose name says secret (or that the user marked) are masked: docs/secret-masking.md.
  const secretConfigKeys = read
    .raw('secret-config-keys')
    .split(/[\s,]+/)
    .filter((name) => name !== '')
  // Raw lines of secret keys first: a parse error quotes the line it cannot read.
  maskRawConfigLines(read.raw('config'), secretConfigKeys, setSecret)
  const config = read.keyValues('config')
  for (const { key: name, value } of config) maskConfigValue(name, value, setSecret, secretConfigKeys)

  const target = parseTarget({ host: read.raw('host'), port: read.raw('port'), user: read.raw('user') })
  let app = read.raw('app')
  if (target.urlApp !== undefined) {
    if (app !== '' && app !== target.urlApp)
      throw new InputError(
        'app',
        `is '${app}' but the host URL names app '${target.urlApp}'.`,
        'Name the app in one place only (the app input).',
      )
    app = app || target.urlApp
  }
  checkAppName(app)

  const key = keyText === '' ? undefined : readDeployKey(keyText, passphrase)
  for (const derived of key?.secrets ?? []) setSecret(derived)

  const insecure = read.boolean('insecure-skip-host-key-check', false)
  const hostKeys = parseHostKeys(read.raw('ssh-host-key'), target.host, target.port, insecure)

  const branch = read.optional('branch')
  if (branch !== undefined) checkBranch(branch)

  for (const { key: name } of config) {
    if (RESERVED_CONFIG.has(name) || name.startsWith('DOKKU_')) {
      throw new InputError(
        'config',
        `${name} is managed by Dokku or this action and cannot be set here.`,
        name === 'PORT' ? 'Dokku sets PORT for the container; gunicorn binds to it.' : 'Remove it from config.',
      )
    }
  }
  const postgres = read.boolean('postgres', false)
  if (postgres && config.some(({ key: name }) => name === 'DATABASE_URL')) {
    throw new InputError(
      'config',
      'sets DATABASE_URL while postgres is true, so two databases would compete.',
      'Remove DATABASE_URL from config to use the linked Postgres service, or set postgres: false to use your own database.',
    )
  }

  const letsencrypt = read.boolean('letsencrypt', false)
  const domains = readDomains(read.raw('domains'))
  if (letsencrypt && domains.length === 0) {
    throw new InputError(
      'letsencrypt',
      "needs at least one domain: certificates are issued for the app's domains.",
      'Add your domain(s) to the domains input.',
    )
  }
  const letsencryptEmail = read.optional('letsencrypt-email')
  if (letsencryptEmail !== undefined && !/^[^\s@'"]+@[^\s@'"]+\.[^\s@'"]+$/.test(letsencryptEmail)) {
    throw new InputError('letsencrypt-email', `'${letsencryptEmail}' is not an e-mail address.`)
  }

  return {
    target,
    app,
    key,
    hostKeys,
    workingDirectory: rootAsEmpty(read.path('working-directory')),
    settingsModule: read.optional('settings-module'),
    branch,
    createApp: read.boolean('create-app', true),
    postgres,
    storage: read.boolean('storage', true),
    config,
    domains,
    letsencrypt,
    letsencryptEmail,
    migrate: read.boolean('migrate', true),
    postDeploy: read.lines('post-deploy').map((line, index) => readManagementCommand(line, index + 1)),
    reviewApp: read.choice('review-app', ['auto', 'destroy', 'false'] as const, 'auto'),
    settingsPatch: read.choice('settings-patch', ['overlay', 'none'] as const, 'overlay'),
    builder: read.choice('builder', ['auto', 'herokuish', 'dockerfile'] as const, 'auto'),
    force: read.boolean('force', false),
    timeoutMs: read.minutes('timeout', 20),
    dryRun: read.boolean('dry-run', false),
    httpCheck: readHttpCheck(read.raw('http-check')),
  }
}

/** git check-ref-format rules that matter here, plus "no spaces": Dokku passes git:* arguments unquoted. */
function checkBranch(branch: string): void {
  const bad =
    // eslint-disable-next-line no-control-regex
    /[\s~^:?*[\\\x00-\x1f\x7f]|\.\.|@\{|\/\/|^[-/.]|[/.]$|\.lock$/.test(branch) ||
    branch.split('/').some((part) => part.startsWith('.'))
  if (bad)
    throw new InputError(
      'branch',
      `'${branch}' is not a valid git branch name.`,
      'Use the branch Dokku deploys from, e.g. main or master (dokku git:report APP).',
    )
}

function readDomains(text: string): string[] {
  const domains = [
    ...new Set(
      text
        .split(/[\s,]+/)
        .map((domain) => domain.trim().toLowerCase().replace(/\.$/, ''))
        .filter(Boolean),
    ),
  ]
  for (const domain of domains) {
    if (/^[a-z][a-z0-9+.-]*:\/\//.test(domain))
      throw new InputError(
        'domains',
        `'${domain}' is a URL; list bare domain names.`,
        'Write app.example.com, not https://app.example.com.',
      )
    const valid =
      domain.length <= 253 && /^(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/.test(domain)
    if (!valid)
      throw new InputError(
        'domains',
        `'${domain}' is not a valid domain name.`,
        'One domain per line (or comma-separated), e.g. blog.example.com.',
      )
  }
  return domains
}

/** The repository root is '' here: the deploy and detection code treat an empty folder as the root. */
function rootAsEmpty(relative: string): string {
  return relative === '.' ? '' : relative
}

function readManagementCommand(line: string, number: number): string[] {
  let words: string[]
  try {
    words = splitShellWords(line)
  } catch (error) {
    throw new InputError(
      'post-deploy',
      `line ${number}: ${(error as Error).message}.`,
      'Quote arguments with spaces, e.g. loaddata "my fixture.json".',
    )
  }
  // Accept the full form too: "python manage.py createcachetable", "./manage.py x", "manage.py x".
  if (words[0] === 'python' || words[0] === 'python3') words = words.slice(1)
  if (words[0] === 'manage.py' || words[0] === './manage.py') words = words.slice(1)
  if (words.length === 0 || !/^[a-z_][a-z0-9_]*$/.test(words[0] ?? '')) {
    throw new InputError(
      'post-deploy',
      `line ${number} ('${line}') does not start with a management command name.`,
      'Write one management command per line, e.g. createcachetable or loaddata initial.json.',
    )
  }
  try {
    commandLine(['run', 'app', 'python', 'manage.py', ...words])
  } catch (error) {
    if (error instanceof DokkuArgumentError) throw new InputError('post-deploy', `line ${number}: ${error.message}.`)
    throw error
  }
  return words
}

function readHttpCheck(text: string): string | undefined {
  const value = text.trim()
  if (value === '' || value.toLowerCase() === 'false') return undefined
  if (value.toLowerCase() === 'true') return '/'
  if (value.startsWith('/') && !/\s/.test(value)) return value
  throw new InputError(
    'http-check',
    `must be true, false or a path starting with '/', got '${value}'.`,
    'For example http-check: /healthz',
  )
}

/**
 * Before the config is parsed, mask each raw line (and each line of a KEY<<EOF block) that belongs
 * to a secret key or holds a URL password, so that a parse error quoting the line shows no secret.
 */
function maskRawConfigLines(raw: string, marked: readonly string[], setSecret: (value: string) => void): void {
  let inSecretBlock: string | undefined
  for (const line of raw.split(/\r?\n/)) {
    const trimmed = line.trim()
    if (inSecretBlock !== undefined) {
      if (trimmed === inSecretBlock) inSecretBlock = undefined
      else setSecret(trimmed)
      continue
    }
    const heredoc = /^([^=<\s]+)\s*<<\s*(\S+)$/.exec(trimmed)
    if (heredoc) {
      if (isSecretName(heredoc[1] ?? '', marked)) inSecretBlock = heredoc[2]
      continue
    }
    // A line with no KEY= cannot be judged by its name (often a stray line of a pasted secret).
    if (!trimmed.includes('=')) {
      setSecret(trimmed)
      continue
    }
    const name = trimmed.slice(0, trimmed.indexOf('=')).trim()
    if (isSecretName(name, marked) || urlPassword(trimmed.slice(trimmed.indexOf('=') + 1))) setSecret(trimmed)
  }
}

/** The deploy key, once the run is known to deploy (an empty input on a fork's pull request is a skip, not an error). */
export function requireKey(inputs: Pick<DokkuInputs, 'key'>): DeployKey {
  if (inputs.key) return inputs.key
  throw new InputError(
    'ssh-private-key',
    'is required.',
    'Store the private deploy key as a repository secret and pass it: ssh-private-key: ${{ secrets.DOKKU_SSH_KEY }}.',
  )
}
