import { generateKeyPairSync } from 'node:crypto'
import { describe, expect, it, vi } from 'vitest'
import { InputError } from '@django-deploy/shared/errors'
import { inputSourceFrom } from '@django-deploy/shared/inputs'
import { readInputs, splitFlags } from '../src/inputs.js'

const PEM = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()
const KEY = {
  type: 'service_account',
  project_id: 'key-project',
  private_key_id: '0123456789abcdef0123456789abcdef01234567',
  private_key: PEM,
  client_email: 'deployer@key-project.iam.gserviceaccount.com',
  client_id: '109876543210987654321',
  token_uri: 'https://oauth2.googleapis.com/token',
}

function read(values: Record<string, string>) {
  const secrets: string[] = []
  const source = inputSourceFrom({ region: 'europe-west1', service: 'blog', ...values })
  try {
    const inputs = readInputs(source, (value) => secrets.push(value))
    return { inputs, secrets, error: undefined }
  } catch (error) {
    return { inputs: undefined, secrets, error: error as InputError }
  }
}

/** The InputError for these values: which input, what, and the fix. */
function refused(values: Record<string, string>): { input?: string; message: string; hint?: string } {
  const { error } = read(values)
  expect(error, JSON.stringify(values)).toBeInstanceOf(InputError)
  return { input: error?.input, message: error?.message ?? '', hint: error?.hint }
}

describe('readInputs', () => {
  it('reads the defaults of action.yml', () => {
    expect(read({}).inputs).toEqual({
      projectId: undefined,
      region: 'europe-west1',
      service: 'blog',
      credentials: undefined,
      image: undefined,
      repository: 'cloud-run-source-deploy',
      workingDirectory: '',
      settingsModule: undefined,
      settingsPatch: 'overlay',
      envVars: [],
      secrets: [],
      cloudsqlInstance: undefined,
      migrate: true,
      allowUnauthenticated: true,
      allowSqlite: false,
      cpu: undefined,
      memory: undefined,
      concurrency: undefined,
      minInstances: undefined,
      maxInstances: undefined,
      cpuBoost: true,
      serviceAccount: undefined,
      tag: undefined,
      safeRollout: true,
      gcloudVersion: undefined,
      flags: [],
      timeoutMs: 30 * 60_000,
      dryRun: false,
    })
  })

  it('normalises working-directory', () => {
    expect(read({ 'working-directory': './' }).inputs?.workingDirectory).toBe('')
    expect(read({ 'working-directory': 'apps/site/' }).inputs?.workingDirectory).toBe('apps/site')
  })

  it('takes an absolute working-directory inside $GITHUB_WORKSPACE, and refuses one outside it', () => {
    vi.stubEnv('GITHUB_WORKSPACE', '/home/runner/work/blog/blog')
    try {
      expect(read({ 'working-directory': '/home/runner/work/blog/blog/apps/site' }).inputs?.workingDirectory).toBe('apps/site')
      expect(read({ 'working-directory': '/home/runner/work/blog/blog' }).inputs?.workingDirectory).toBe('')
      const { error } = read({ 'working-directory': '/srv/site' })
      expect(error?.input).toBe('working-directory')
      expect(error?.message).toMatch(/outside the repository/)
      expect(read({ 'working-directory': '../site' }).error?.input).toBe('working-directory')
    } finally {
      vi.unstubAllEnvs()
    }
  })
})

describe('service, region, project', () => {
  it.each([
    ['My_Blog', "'My_Blog' has uppercase letters; Cloud Run service names are lowercase.", "'my-blog'"],
    ['1blog', "'1blog' must start with a lowercase letter.", "'blog'"],
    ['blog-', "'blog-' must not end with a dash.", "'blog'"],
    ['my_blog', "'my_blog' may contain only lowercase letters, digits and dashes.", "'my-blog'"],
    ['b'.repeat(50), `'${'b'.repeat(50)}' is 50 characters long; Cloud Run allows at most 49.`, `'${'b'.repeat(49)}'`],
  ])('service %j is refused with the rule and a valid suggestion', (service, message, suggestion) => {
    const error = refused({ service })
    expect(error).toMatchObject({ input: 'service', message })
    expect(error.hint).toContain(suggestion)
    expect(error.hint).toContain('lowercase letters, digits and dashes, start with a letter and have at most 49 characters')
  })

  it('accepts the longest valid name', () => {
    expect(read({ service: `a${'-1'.repeat(24)}` }).inputs?.service).toHaveLength(49)
  })

  it('requires service and region, saying what to add', () => {
    expect(refused({ service: '' })).toMatchObject({
      input: 'service',
      message: 'is required but was not set.',
      hint: "Add 'service: my-site' (the Cloud Run service to create or update).",
    })
    expect(refused({ region: '' })).toMatchObject({ input: 'region', message: 'is required but was not set.' })
  })

  it('refuses a zone or a made-up region', () => {
    expect(refused({ region: 'us-central1-a' })).toMatchObject({
      input: 'region',
      message: "'us-central1-a' is not a Google Cloud region name.",
      hint: "Regions look like 'europe-west1' or 'us-central1' (a zone such as 'us-central1-a' is not a region).",
    })
    expect(refused({ region: 'Europe' }).input).toBe('region')
  })

  it('refuses a project name or number where the ID belongs, and takes the key’s project otherwise', () => {
    expect(refused({ 'project-id': 'My Project' })).toMatchObject({
      input: 'project-id',
      message: "'My Project' is not a project ID.",
    })
    expect(refused({ 'project-id': '123456789012' }).input).toBe('project-id')
    expect(read({ 'credentials-json': JSON.stringify(KEY) }).inputs?.projectId).toBe('key-project')
    expect(read({ 'credentials-json': JSON.stringify(KEY), 'project-id': 'other-proj' }).inputs?.projectId).toBe('other-proj')
  })
})

describe('credentials-json', () => {
  it('accepts a service-account key and masks it whole and its private parts, before anything else', () => {
    const json = JSON.stringify(KEY, null, 2)
    const { inputs, secrets } = read({ 'credentials-json': json })
    expect(inputs?.credentials).toEqual({ json, clientEmail: KEY.client_email, projectId: 'key-project' })
    expect(secrets.slice(0, 3)).toEqual([json, PEM, KEY.private_key_id])
    // The account's email is no secret (and often the runtime service-account the plan shows).
    expect(secrets).not.toContain(KEY.client_email)
  })

  it('malformed JSON: named, masked, and how to store it', () => {
    const broken = JSON.stringify(KEY).slice(0, 300)
    const { error, secrets } = read({ 'credentials-json': broken })
    expect(error).toMatchObject({ input: 'credentials-json', message: 'is not valid JSON.' })
    expect(error?.hint).toContain('Paste the whole key file')
    expect(error?.hint).toContain('Base64-encoded keys are not accepted')
    expect(secrets).toEqual([broken])
    expect(error?.message).not.toContain('PRIVATE')
  })

  it('workload identity configuration: points at google-github-actions/auth', () => {
    expect(refused({ 'credentials-json': JSON.stringify({ type: 'external_account', audience: 'x' }) })).toMatchObject({
      input: 'credentials-json',
      message: 'is a workload identity federation configuration, not a service-account key.',
      hint: 'Use google-github-actions/auth before this step for keyless authentication and leave credentials-json empty.',
    })
  })

  it('other credentials, missing fields, a damaged private key', () => {
    expect(refused({ 'credentials-json': JSON.stringify({ ...KEY, type: 'authorized_user' }) }).message).toBe(
      "is a 'authorized_user' credential, not a service-account key.",
    )
    expect(
      refused({ 'credentials-json': JSON.stringify({ type: 'service_account', client_email: KEY.client_email }) }).message,
    ).toBe('is not a service-account key (missing private_key, private_key_id, token_uri).')
    expect(refused({ 'credentials-json': '[1, 2]' }).message).toBe(
      'is not a service-account key (missing type, client_email, private_key, private_key_id, token_uri).',
    )
    const damaged = refused({ 'credentials-json': JSON.stringify({ ...KEY, private_key: 'MIIEvQIBADANBgkqhkiG9w0BAQEFAASC' }) })
    expect(damaged).toMatchObject({ input: 'credentials-json', message: 'has a private_key that is not a PEM private key.' })
  })
})

describe('env-vars', () => {
  it('keeps values byte for byte and masks only the values whose name says secret (or URL passwords)', () => {
    const { inputs, secrets } = read({
      'env-vars': [
        'GREETING=Hello, "world"',
        'APP_ENV=production',
        'DJANGO_SECRET_KEY=s3cr3t-value-0123',
        'AWS_ACCESS_KEY_ID=AKIAEXAMPLE',
        'SENTRY_DSN=https://abc@o1.ingest.sentry.io/1',
        'DATABASE_URL=postgres://app:p%40ss-word@/blog?host=/cloudsql/demo-proj:europe-west1:main',
        'PUBLIC_URL=https://example.com/a:b@c',
        'MULTI<<EOF',
        'line one',
        'line two',
        'EOF',
      ].join('\n'),
    })
    expect(inputs?.envVars).toEqual([
      { key: 'GREETING', value: 'Hello, "world"' },
      { key: 'APP_ENV', value: 'production' },
      { key: 'DJANGO_SECRET_KEY', value: 's3cr3t-value-0123' },
      { key: 'AWS_ACCESS_KEY_ID', value: 'AKIAEXAMPLE' },
      { key: 'SENTRY_DSN', value: 'https://abc@o1.ingest.sentry.io/1' },
      { key: 'DATABASE_URL', value: 'postgres://app:p%40ss-word@/blog?host=/cloudsql/demo-proj:europe-west1:main' },
      { key: 'PUBLIC_URL', value: 'https://example.com/a:b@c' },
      { key: 'MULTI', value: 'line one\nline two' },
    ])
    expect(secrets).toEqual([
      's3cr3t-value-0123',
      'AKIAEXAMPLE',
      'https://abc@o1.ingest.sentry.io/1',
      'p%40ss-word',
      'p@ss-word',
      'postgres://app:p%40ss-word@/blog?host=/cloudsql/demo-proj:europe-west1:main',
    ])
  })

  it('refuses names that Cloud Run sets or reserves', () => {
    expect(refused({ 'env-vars': 'PORT=8000' })).toMatchObject({
      input: 'env-vars',
      message: 'PORT is set by Cloud Run itself and cannot be given.',
      hint: 'Remove PORT from env-vars.',
    })
    expect(refused({ 'env-vars': 'K_SERVICE=x' }).message).toContain('K_SERVICE is set by Cloud Run')
    expect(refused({ 'env-vars': 'X_GOOGLE_THING=1' })).toMatchObject({
      input: 'env-vars',
      message: 'X_GOOGLE_THING: names starting with X_GOOGLE_ are reserved by Google.',
    })
  })

  it('masks secret values even when a later line is invalid', () => {
    const { error, secrets } = read({ 'env-vars': 'API_TOKEN=first-token-value\nPORT=1' })
    expect(error?.input).toBe('env-vars')
    expect(secrets).toContain('first-token-value')
  })

  it('never masks ordinary values: DEBUG=1, FEATURE=true, WORKERS=4, APP_ENV=production', () => {
    const { secrets } = read({ 'env-vars': 'DEBUG=1\nFEATURE=true\nWORKERS=4\nAPP_ENV=production\nKEYBOARD=us-intl' })
    expect(secrets).toEqual([])
  })
})

describe('secrets', () => {
  it('reads ENV=SECRET:VERSION and full resource names', () => {
    expect(
      read({
        secrets:
          'SECRET_KEY=django-secret-key:latest\n# a comment\nDATABASE_URL = db-url:3\nAPI=projects/123456789012/secrets/api-token/versions/2',
      }).inputs?.secrets,
    ).toEqual([
      { env: 'SECRET_KEY', reference: 'django-secret-key:latest' },
      { env: 'DATABASE_URL', reference: 'db-url:3' },
      { env: 'API', reference: 'projects/123456789012/secrets/api-token/versions/2' },
    ])
  })

  it('a missing version: says how to write it', () => {
    expect(refused({ secrets: 'SECRET_KEY=django-secret-key' })).toEqual({
      input: 'secrets',
      message: "SECRET_KEY: no version given for secret 'django-secret-key'.",
      hint: 'Write SECRET_KEY=django-secret-key:latest, or pin a version number (SECRET_KEY=django-secret-key:3).',
    })
  })

  it('not a reference, not ENV=..., reserved, or given twice', () => {
    expect(refused({ secrets: 'SECRET_KEY=my secret value' })).toMatchObject({
      input: 'secrets',
      message: "SECRET_KEY: 'my secret value' is not a Secret Manager reference.",
    })
    expect(refused({ secrets: 'django-secret-key:latest' })).toMatchObject({
      input: 'secrets',
      message: "'django-secret-key:latest' is not ENV=SECRET:VERSION.",
      hint: 'Write one per line, e.g. SECRET_KEY=django-secret-key:latest.',
    })
    expect(refused({ secrets: 'SECRET_KEY=a:latest:3' }).input).toBe('secrets')
    expect(refused({ secrets: 'PORT=port:1' }).message).toBe('PORT is set by Cloud Run itself.')
    expect(refused({ 'env-vars': 'SECRET_KEY=x', secrets: 'SECRET_KEY=key:latest' })).toMatchObject({
      input: 'secrets',
      message: 'SECRET_KEY is given twice (in env-vars or secrets).',
    })
  })
})

describe('other inputs', () => {
  it.each([
    [{ image: 'blog:latest' }, 'image', "'blog:latest' is not a container image reference."],
    [{ image: 'europe-west1-docker.pkg.dev/p/r/blog:v1 extra' }, 'image', 'is not a container image reference.'],
    [{ repository: 'My_Repo' }, 'repository', "'My_Repo' is not an Artifact Registry repository name."],
    [{ 'cloudsql-instance': 'main' }, 'cloudsql-instance', "'main' is not a Cloud SQL connection name."],
    [{ cpu: 'two' }, 'cpu', "'two' is not a CPU amount."],
    [{ memory: '512' }, 'memory', "'512' is not a memory size."],
    [{ 'min-instances': '5', 'max-instances': '2' }, 'min-instances', 'is 5, more than max-instances (2).'],
    [{ 'max-instances': '0' }, 'max-instances', 'must be at least 1, got 0.'],
    [{ concurrency: 'lots' }, 'concurrency', "must be a whole number, got 'lots'."],
    [{ 'service-account': 'blog-runtime' }, 'service-account', "'blog-runtime' is not a service account email."],
    [
      { tag: 'PR_7' },
      'tag',
      "'PR_7' must start with a lowercase letter and contain only lowercase letters, digits and dashes (not ending with one).",
    ],
    [{ tag: 'a'.repeat(57) }, 'tag', `is too long: "${'a'.repeat(57)}---blog" must fit in 63 characters (a DNS label).`],
    [{ 'gcloud-version': 'latest' }, 'gcloud-version', "'latest' is not a gcloud version."],
    [{ 'settings-patch': 'edit' }, 'settings-patch', "must be one of 'overlay', 'none', got 'edit'."],
    [{ timeout: '0' }, 'timeout', "must be a number of minutes between 0 and 360, got '0'."],
    [{ 'dry-run': 'maybe' }, 'dry-run', "must be true or false, got 'maybe'."],
  ])('%j is refused naming %s', (values, input, message) => {
    const error = refused(values as Record<string, string>)
    expect(error.input).toBe(input)
    expect(error.message).toContain(message)
  })

  it('accepts the forms Cloud Run takes', () => {
    const { inputs } = read({
      image: `europe-west1-docker.pkg.dev/p-1/repo/blog:v1.2@sha256:${'0'.repeat(64)}`,
      'cloudsql-instance': 'example.com:demo-proj:europe-west1:main',
      cpu: '500m',
      memory: '2Gi',
      'service-account': '123456789012-compute@developer.gserviceaccount.com',
      tag: 'staging',
      'gcloud-version': '578.0.0',
      timeout: '1.5',
    })
    expect(inputs).toMatchObject({ cpu: '500m', memory: '2Gi', tag: 'staging', gcloudVersion: '578.0.0', timeoutMs: 90_000 })
  })
})

describe('flags', () => {
  it('splits like a shell without expansion', () => {
    expect(splitFlags(`--vpc-connector=main --labels "team=web,tier=front" --description 'a b' --x=""`)).toEqual([
      '--vpc-connector=main',
      '--labels',
      'team=web,tier=front',
      '--description',
      'a b',
      '--x=',
    ])
    expect(splitFlags('')).toEqual([])
  })

  it('refuses flags the action owns, unclosed quotes and a leading non-flag', () => {
    expect(refused({ flags: '--timeout=300 --no-traffic' })).toMatchObject({
      input: 'flags',
      message: '--no-traffic is set by the action.',
    })
    expect(refused({ flags: '--env-vars-file=other.yaml' }).message).toBe('--env-vars-file is set by the action.')
    expect(refused({ flags: '--labels "a=b' })).toMatchObject({ input: 'flags', message: 'has an unclosed " quote.' })
    expect(refused({ flags: 'vpc-connector main' })).toMatchObject({
      input: 'flags',
      message: "must start with a flag, got 'vpc-connector'.",
    })
  })
})
