import { InputError } from '@django-deploy/shared/errors'
import { InputReader, type InputSource } from '@django-deploy/shared/inputs'
import { sanitizeAlias } from './netlify/alias.js'

/**
 * Every input of action.yml, read and validated before anything happens. Rules that depend on
 * the event (fork pull requests never get secrets) are applied in main.ts, which sees the event.
 */
export const GENERATORS = ['auto', 'crawl', 'bakery', 'distill', 'command'] as const
export const PROVIDERS = ['directory', 'netlify'] as const
export const MODES = ['all', 'build', 'deploy'] as const

export interface Inputs {
  workingDirectory: string
  settingsModule?: string
  generator: (typeof GENERATORS)[number]
  buildCommand?: string
  databaseUrl?: string
  fixtures: string[]
  /** Origin only, e.g. https://example.org (no trailing slash). */
  baseUrl?: string
  extraPaths: string[]
  outputDir: string
  failOnBrokenLinks: boolean
  /** Deploy to production even with less than half the pages of the current production deploy. */
  allowFewerPages: boolean
  provider: (typeof PROVIDERS)[number]
  netlifyAuthToken?: string
  netlifySiteId?: string
  netlifySiteName?: string
  production: 'auto' | 'true' | 'false'
  /** Already sanitised for Netlify. */
  alias?: string
  /** The alias as written, when sanitising changed it (to say so in the log). */
  aliasInput?: string
  prComment: boolean
  githubDeployment: boolean
  githubToken?: string
  mode: (typeof MODES)[number]
  timeoutMs: number
  dryRun: boolean
  /** Problems that do not stop the run (inputs that will be ignored). */
  warnings: string[]
}

export function readInputs(source: InputSource, setSecret: (value: string) => void): Inputs {
  const read = new InputReader(source)
  const warnings: string[] = []

  // Secrets first, so nothing below can print them.
  const netlifyAuthToken = read.optional('netlify-auth-token')
  if (netlifyAuthToken) setSecret(netlifyAuthToken)
  const databaseUrl = read.optional('database-url')
  if (databaseUrl) {
    setSecret(databaseUrl)
    const password = /^[a-z0-9+.-]+:\/\/[^:/@]*:([^@/]+)@/i.exec(databaseUrl)?.[1]
    if (password) setSecret(decodeURIComponent(password))
  }
  const githubToken = read.optional('github-token')
  if (githubToken) setSecret(githubToken)

  const workingDirectory = read.path('working-directory')
  const generator = read.choice('generator', GENERATORS, 'auto')
  const buildCommand = read.optional('build-command')
  if (generator === 'command' && !buildCommand) {
    throw new InputError(
      'build-command',
      'is required with generator: command.',
      'Give the shell command that writes the site into $OUTPUT_DIR (e.g. \'python manage.py build --build-dir "$OUTPUT_DIR"\').',
    )
  }
  if (buildCommand && generator !== 'command')
    warnings.push(`build-command is ignored because generator is '${generator}' (use generator: command to run it).`)

  if (databaseUrl && !/^[a-z][a-z0-9+.-]*:\/\//i.test(databaseUrl)) {
    throw new InputError(
      'database-url',
      'is not a database URL (expected scheme://…, e.g. postgres://user:password@host/name).',
      'Store the URL as a secret and pass it with database-url: ${{ secrets.DATABASE_URL }}.',
    )
  }
  const fixtures = read.lines('fixtures')

  const baseUrl = parseBaseUrl(read.optional('base-url'))
  const extraPaths = read.lines('extra-paths').map((entry) => {
    if (!entry.startsWith('/') || entry.startsWith('//'))
      throw new InputError(
        'extra-paths',
        `'${entry}' is not a path of the site.`,
        'Write one path per line, starting with /, e.g. /search/ or /campaign/2024/.',
      )
    return entry
  })
  const outputDir = read.path('output-dir', { default: '_site' })
  if (outputDir === '.')
    throw new InputError(
      'output-dir',
      'cannot be the repository itself: the build empties it first.',
      'Use a directory of its own, e.g. _site.',
    )

  const provider = read.choice('provider', PROVIDERS, 'directory')
  const mode = read.choice('mode', MODES, 'all')
  const netlifySiteId = read.optional('netlify-site-id')
  const netlifySiteName = read.optional('netlify-site-name')
  if (netlifySiteId && netlifySiteName) {
    throw new InputError(
      'netlify-site-name',
      'cannot be used together with netlify-site-id.',
      'Set netlify-site-id for an existing site, or netlify-site-name to find (and create when missing) a site by name.',
    )
  }
  if (netlifySiteName && !/^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/.test(netlifySiteName)) {
    throw new InputError(
      'netlify-site-name',
      `'${netlifySiteName}' is not a valid Netlify site name.`,
      'Use lower-case letters, digits and hyphens (it becomes <name>.netlify.app).',
    )
  }
  if (provider === 'directory') {
    const ignored = [
      netlifyAuthToken && 'netlify-auth-token',
      netlifySiteId && 'netlify-site-id',
      netlifySiteName && 'netlify-site-name',
    ].filter(Boolean)
    if (ignored.length)
      warnings.push(
        `${ignored.join(', ')} ${ignored.length > 1 ? 'are' : 'is'} ignored because provider is 'directory' (set provider: netlify to deploy).`,
      )
    if (mode === 'deploy')
      throw new InputError(
        'mode',
        "'deploy' needs provider: netlify; provider 'directory' only writes the site.",
        'Set provider: netlify (with netlify-auth-token and netlify-site-id), or use mode: build.',
      )
  }
  if (mode === 'deploy') {
    const ignored = [
      read.optional('generator') && 'generator',
      buildCommand && 'build-command',
      databaseUrl && 'database-url',
      fixtures.length && 'fixtures',
      extraPaths.length && 'extra-paths',
    ].filter(Boolean)
    if (ignored.length)
      warnings.push(
        `${ignored.join(', ')} ${ignored.length > 1 ? 'are' : 'is'} ignored in mode 'deploy', which only deploys output-dir.`,
      )
  }

  const production = read.choice('production', ['auto', 'true', 'false'] as const, 'auto')
  const aliasInput = read.optional('alias')
  const alias = aliasInput ? sanitizeAlias(aliasInput) : undefined
  if (alias && production === 'true') {
    throw new InputError(
      'alias',
      'cannot be combined with production: true; an alias deploy is a preview and leaves production alone.',
      'Remove alias to deploy to production, or set production: false (or auto).',
    )
  }

  return {
    workingDirectory,
    settingsModule: read.optional('settings-module'),
    generator,
    buildCommand,
    databaseUrl,
    fixtures,
    baseUrl,
    extraPaths,
    outputDir,
    failOnBrokenLinks: read.boolean('fail-on-broken-links', true),
    allowFewerPages: read.boolean('allow-fewer-pages', false),
    provider,
    netlifyAuthToken,
    netlifySiteId,
    netlifySiteName,
    production,
    alias,
    aliasInput: aliasInput && aliasInput !== alias ? aliasInput : undefined,
    prComment: read.boolean('pr-comment', true),
    githubDeployment: read.boolean('github-deployment', true),
    githubToken,
    mode,
    timeoutMs: read.minutes('timeout', 15),
    dryRun: read.boolean('dry-run', false),
    warnings,
  }
}

/** Called once it is known that this run deploys to Netlify (not for fork pull requests). */
export function requireNetlifyCredentials(inputs: Inputs): { token: string; site: { id?: string; name?: string } } {
  if (!inputs.netlifyAuthToken) {
    throw new InputError(
      'netlify-auth-token',
      'is required to deploy to Netlify.',
      'Create a personal access token in Netlify (User settings → Applications), store it as a repository secret and pass it: netlify-auth-token: ${{ secrets.NETLIFY_AUTH_TOKEN }}.',
    )
  }
  if (!inputs.netlifySiteId && !inputs.netlifySiteName) {
    throw new InputError(
      'netlify-site-id',
      'or netlify-site-name is required to deploy to Netlify.',
      'Set netlify-site-id to the Site ID (Site configuration → Site details), or netlify-site-name to use (and create when missing) a site by name.',
    )
  }
  return {
    token: inputs.netlifyAuthToken,
    site: inputs.netlifySiteId ? { id: inputs.netlifySiteId } : { name: inputs.netlifySiteName },
  }
}

function parseBaseUrl(value: string | undefined): string | undefined {
  if (!value) return undefined
  let url: URL
  try {
    url = new URL(value)
  } catch {
    throw new InputError(
      'base-url',
      `'${value}' is not a URL.`,
      'Give the public origin of the site, e.g. https://www.example.org.',
    )
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    throw new InputError('base-url', `'${value}' must start with https:// or http://.`)
  if (url.pathname !== '/' || url.search || url.hash) {
    throw new InputError(
      'base-url',
      `'${value}' has a path; the site is built for the root of its host.`,
      'Give the origin only, e.g. https://www.example.org (serving a Django site under a sub-path is not supported).',
    )
  }
  return url.origin
}
