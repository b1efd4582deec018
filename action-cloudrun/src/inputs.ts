import { InputError } from '@django-deploy/shared/errors'
import { InputReader, type InputSource, type KeyValue } from '@django-deploy/shared/inputs'
import { maskConfigValue } from '@django-deploy/shared/github'
import { splitShellWords, UnbalancedQuoteError } from '@django-deploy/shared/runtime'
import { CLOUDSQL_INSTANCE, PROJECT_ID, REGION, serviceNameProblem, suggestServiceName, tagProblem } from './names.js'

/**
 * Every input of action.yml, read and validated before anything runs. Secrets (the key file and
 * its private parts, env-vars values that are secret) go to `setSecret` the moment they are read,
 * before any validation could quote them in an error; other env-vars values stay readable (see
 * `maskEnvValue` and docs/secret-masking.md).
 */
export interface Credentials {
  /** The key file's JSON, exactly as given (written to RUNNER_TEMP only). */
  json: string
  clientEmail: string
  projectId?: string
}

export interface SecretRef {
  env: string
  /** SECRET:VERSION or projects/NUMBER/secrets/SECRET[:VERSION], as gcloud takes it. */
  reference: string
}

export interface CloudRunInputs {
  projectId?: string
  region: string
  service: string
  credentials?: Credentials
  image?: string
  repository: string
  workingDirectory: string
  settingsModule?: string
  settingsPatch: 'overlay' | 'none'
  envVars: KeyValue[]
  secrets: SecretRef[]
  cloudsqlInstance?: string
  migrate: boolean
  allowUnauthenticated: boolean
  /** Deploy a project whose database is SQLite anyway (each instance gets its own throwaway copy). */
  allowSqlite: boolean
  cpu?: string
  memory?: string
  concurrency?: number
  minInstances?: number
  maxInstances?: number
  cpuBoost: boolean
  serviceAccount?: string
  /** Explicit tag; on pull_request the planner defaults to pr-<N>. */
  tag?: string
  safeRollout: boolean
  gcloudVersion?: string
  /** Extra `gcloud run deploy` flags, split into words. */
  flags: string[]
  timeoutMs: number
  dryRun: boolean
}

/** Set by Cloud Run itself; a value given here would be refused by the API. */
const RESERVED_ENV = new Set([
  'PORT',
  'K_SERVICE',
  'K_REVISION',
  'K_CONFIGURATION',
  'CLOUD_RUN_JOB',
  'CLOUD_RUN_EXECUTION',
  'CLOUD_RUN_TASK_INDEX',
  'CLOUD_RUN_TASK_ATTEMPT',
  'CLOUD_RUN_TASK_COUNT',
])
/** Flags the action sets itself: given again through `flags`, they would fight the action's choice. */
const OWNED_FLAGS = [
  '--image',
  '--region',
  '--project',
  '--format',
  '--env-vars-file',
  '--set-env-vars',
  '--update-env-vars',
  '--clear-env-vars',
  '--no-traffic',
  '--tag',
  '--source',
  '--async',
]

export function readInputs(source: InputSource, setSecret: (value: string) => void): CloudRunInputs {
  const read = new InputReader(source)

  const credentials = readCredentials(read.raw('credentials-json'), setSecret)
  const envVars = read.keyValues('env-vars')
  for (const variable of envVars) maskEnvValue(variable, setSecret)
  for (const { key } of envVars) {
    if (RESERVED_ENV.has(key))
      throw new InputError('env-vars', `${key} is set by Cloud Run itself and cannot be given.`, `Remove ${key} from env-vars.`)
    if (key.startsWith('X_GOOGLE_'))
      throw new InputError('env-vars', `${key}: names starting with X_GOOGLE_ are reserved by Google.`, 'Choose another name.')
  }

  const service = read.string('service', {
    required: true,
    hint: "Add 'service: my-site' (the Cloud Run service to create or update).",
  })
  const serviceProblem = serviceNameProblem(service)
  if (serviceProblem)
    throw new InputError(
      'service',
      `'${service}' ${serviceProblem}`,
      `Cloud Run names use lowercase letters, digits and dashes, start with a letter and have at most 49 characters, e.g. '${suggestServiceName(service)}'.`,
    )

  const region = read.string('region', {
    required: true,
    hint: "Add 'region: europe-west1' (any Cloud Run region; `gcloud run regions list` shows them).",
  })
  if (!REGION.test(region))
    throw new InputError(
      'region',
      `'${region}' is not a Google Cloud region name.`,
      "Regions look like 'europe-west1' or 'us-central1' (a zone such as 'us-central1-a' is not a region).",
    )

  const projectId = read.optional('project-id') ?? credentials?.projectId
  if (projectId !== undefined && !PROJECT_ID.test(projectId)) {
    throw new InputError(
      'project-id',
      `'${projectId}' is not a project ID.`,
      'Use the project ID (lowercase, e.g. my-project-123), not the project name or number.',
    )
  }

  const image = read.optional('image')
  if (
    image !== undefined &&
    (/\s/.test(image) || !/^[a-z0-9.-]+(:\d+)?\/[^:@\s]+(:[\w][\w.-]{0,127})?(@sha256:[0-9a-f]{64})?$/.test(image))
  ) {
    throw new InputError(
      'image',
      `'${image}' is not a container image reference.`,
      "Give a full reference such as 'europe-west1-docker.pkg.dev/my-project/my-repo/my-site:v1' or '...@sha256:<digest>'.",
    )
  }
  const repository = read.string('repository', { default: 'cloud-run-source-deploy' })
  if (!/^[a-z]([a-z0-9-]{0,61}[a-z0-9])?$/.test(repository)) {
    throw new InputError(
      'repository',
      `'${repository}' is not an Artifact Registry repository name.`,
      'Repository names use lowercase letters, digits and dashes, and start with a letter.',
    )
  }

  const secrets = read.lines('secrets').map((line) => parseSecret(line))
  const seen = new Set(envVars.map(({ key }) => key))
  for (const secret of secrets) {
    if (seen.has(secret.env))
      throw new InputError(
        'secrets',
        `${secret.env} is given twice (in env-vars or secrets).`,
        'A variable is either a plain value (env-vars) or a secret (secrets), once.',
      )
    seen.add(secret.env)
  }

  const cloudsqlInstance = read.optional('cloudsql-instance')
  if (cloudsqlInstance !== undefined && !CLOUDSQL_INSTANCE.test(cloudsqlInstance)) {
    throw new InputError(
      'cloudsql-instance',
      `'${cloudsqlInstance}' is not a Cloud SQL connection name.`,
      'Use the instance connection name PROJECT:REGION:INSTANCE, as `gcloud sql instances describe INSTANCE --format "value(connectionName)"` prints it.',
    )
  }

  const cpu = read.optional('cpu')
  if (cpu !== undefined && !/^(\d+(\.\d+)?|\d+m)$/.test(cpu))
    throw new InputError(
      'cpu',
      `'${cpu}' is not a CPU amount.`,
      "Use a number of CPUs such as '1', '2' or '0.5', or millicpu such as '500m'.",
    )
  const memory = read.optional('memory')
  if (memory !== undefined && !/^\d+(Mi|Gi|M|G)$/.test(memory))
    throw new InputError('memory', `'${memory}' is not a memory size.`, "Use a size such as '512Mi' or '2Gi'.")
  const minInstances = read.integer('min-instances', { min: 0, max: 1000 })
  const maxInstances = read.integer('max-instances', { min: 1, max: 1000 })
  if (minInstances !== undefined && maxInstances !== undefined && minInstances > maxInstances) {
    throw new InputError(
      'min-instances',
      `is ${minInstances}, more than max-instances (${maxInstances}).`,
      'Lower min-instances or raise max-instances.',
    )
  }

  const serviceAccount = read.optional('service-account')
  if (
    serviceAccount !== undefined &&
    !/^[a-z][a-z0-9-]{4,28}[a-z0-9]@[a-z0-9.-]+\.iam\.gserviceaccount\.com$|^\d+-compute@developer\.gserviceaccount\.com$/.test(
      serviceAccount,
    )
  ) {
    throw new InputError(
      'service-account',
      `'${serviceAccount}' is not a service account email.`,
      'Use the full email, e.g. my-site@my-project.iam.gserviceaccount.com.',
    )
  }

  const tag = read.optional('tag')
  if (tag !== undefined) {
    const problem = tagProblem(tag, service)
    if (problem) throw new InputError('tag', `'${tag}' ${problem}`, "Use something like 'pr-12' or 'staging'.")
  }

  const flags = splitFlags(read.raw('flags'))
  for (const flag of flags) {
    const name = flag.split('=')[0] ?? ''
    if (OWNED_FLAGS.includes(name))
      throw new InputError(
        'flags',
        `${name} is set by the action.`,
        `Remove ${name} from flags; use the action's own inputs (image, region, project-id, env-vars, tag) instead.`,
      )
  }

  const gcloudVersion = read.optional('gcloud-version')
  if (gcloudVersion !== undefined && !/^\d+\.\d+\.\d+$/.test(gcloudVersion)) {
    throw new InputError(
      'gcloud-version',
      `'${gcloudVersion}' is not a gcloud version.`,
      "Give an exact release such as '578.0.0'.",
    )
  }

  // '' for the repository root: detection and the build context treat an empty folder as the root.
  const workingDirectory = read.path('working-directory')
  return {
    projectId,
    region,
    service,
    credentials,
    image,
    repository,
    workingDirectory: workingDirectory === '.' ? '' : workingDirectory,
    settingsModule: read.optional('settings-module'),
    settingsPatch: read.choice('settings-patch', ['overlay', 'none'] as const, 'overlay'),
    envVars,
    secrets,
    cloudsqlInstance,
    migrate: read.boolean('migrate', true),
    allowUnauthenticated: read.boolean('allow-unauthenticated', true),
    allowSqlite: read.boolean('allow-sqlite', false),
    cpu,
    memory,
    concurrency: read.integer('concurrency', { min: 1, max: 1000 }),
    minInstances,
    maxInstances,
    cpuBoost: read.boolean('cpu-boost', true),
    serviceAccount,
    tag,
    safeRollout: read.boolean('safe-rollout', true),
    gcloudVersion,
    flags,
    timeoutMs: read.minutes('timeout', 30),
    dryRun: read.boolean('dry-run', false),
  }
}

/**
 * An env-vars value is masked, and registered so no output or summary can carry it, only when it is
 * a secret: its name says so (`isSecretName`, the list in docs/secret-masking.md) or it is a URL
 * with a password (DATABASE_URL, REDIS_URL), whose password is registered on its own too. Ordinary
 * values ("production", "true", "1") stay readable: masking them would star out every log line
 * that says the same word. Real secrets belong in `secrets`.
 */
export function maskEnvValue({ key, value }: KeyValue, setSecret: (value: string) => void): void {
  maskConfigValue(key, value, setSecret)
}

/**
 * The key file: well-formed JSON of a service-account key. Masked whole and line by line (the
 * registry does both), and its private key and key id on their own, since a log line could show
 * either without the rest of the file. The account's email and client id are not secret (IAM lists
 * them) and are often the runtime `service-account` too, which the plan shows.
 */
function readCredentials(text: string, setSecret: (value: string) => void): Credentials | undefined {
  if (text === '') return undefined
  setSecret(text)
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    throw new InputError(
      'credentials-json',
      'is not valid JSON.',
      'Paste the whole key file that `gcloud iam service-accounts keys create` wrote into a repository secret, and pass it as ${{ secrets.NAME }}. (Base64-encoded keys are not accepted.)',
    )
  }
  const key = json && typeof json === 'object' && !Array.isArray(json) ? (json as Record<string, unknown>) : {}
  for (const field of ['private_key', 'private_key_id']) {
    const value = key[field]
    if (typeof value === 'string' && value !== '') setSecret(value)
  }
  if (key.type === 'external_account') {
    throw new InputError(
      'credentials-json',
      'is a workload identity federation configuration, not a service-account key.',
      'Use google-github-actions/auth before this step for keyless authentication and leave credentials-json empty.',
    )
  }
  const missing = ['type', 'client_email', 'private_key', 'private_key_id', 'token_uri'].filter(
    (field) => typeof key[field] !== 'string' || key[field] === '',
  )
  if (key.type !== 'service_account' || missing.length) {
    throw new InputError(
      'credentials-json',
      missing.length
        ? `is not a service-account key (missing ${missing.join(', ')}).`
        : `is a '${String(key.type)}' credential, not a service-account key.`,
      'Create a key with `gcloud iam service-accounts keys create key.json --iam-account SA_EMAIL` and store the whole file as a secret.',
    )
  }
  if (!/-----BEGIN (RSA )?PRIVATE KEY-----/.test(key.private_key as string)) {
    throw new InputError(
      'credentials-json',
      'has a private_key that is not a PEM private key.',
      'The secret was probably cut or re-encoded; store the key file exactly as downloaded.',
    )
  }
  return {
    json: text,
    clientEmail: key.client_email as string,
    projectId: typeof key.project_id === 'string' ? key.project_id : undefined,
  }
}

function parseSecret(line: string): SecretRef {
  const equals = line.indexOf('=')
  const env = equals > 0 ? line.slice(0, equals).trim() : ''
  const reference = equals > 0 ? line.slice(equals + 1).trim() : ''
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(env) || reference === '') {
    throw new InputError(
      'secrets',
      `'${line}' is not ENV=SECRET:VERSION.`,
      'Write one per line, e.g. SECRET_KEY=django-secret-key:latest.',
    )
  }
  if (RESERVED_ENV.has(env)) throw new InputError('secrets', `${env} is set by Cloud Run itself.`, `Remove ${env}.`)
  const remote = /^projects\/\d{1,19}\/secrets\/[a-zA-Z0-9_-]{1,255}(:[a-z0-9]+|\/versions\/[a-z0-9]+)?$/.test(reference)
  const local = /^([a-zA-Z0-9_-]{1,255}):(latest|\d+)$/.exec(reference)
  if (!remote && !local) {
    if (/^[a-zA-Z0-9_-]{1,255}$/.test(reference)) {
      throw new InputError(
        'secrets',
        `${env}: no version given for secret '${reference}'.`,
        `Write ${env}=${reference}:latest, or pin a version number (${env}=${reference}:3).`,
      )
    }
    throw new InputError(
      'secrets',
      `${env}: '${reference}' is not a Secret Manager reference.`,
      'Use SECRET:VERSION (e.g. django-secret-key:latest) or projects/NUMBER/secrets/SECRET:VERSION.',
    )
  }
  return { env, reference }
}

/** Split `flags` like a shell splits words and quotes (no expansion). */
export function splitFlags(text: string): string[] {
  let words: string[]
  try {
    words = splitShellWords(text)
  } catch (error) {
    if (error instanceof UnbalancedQuoteError)
      throw new InputError('flags', `has an unclosed ${error.quote} quote.`, 'Close the quote.')
    throw error
  }
  if (words.length && !(words[0] ?? '').startsWith('--'))
    throw new InputError(
      'flags',
      `must start with a flag, got '${words[0]}'.`,
      'Write flags as --name=value, e.g. --vpc-connector=my-connector.',
    )
  return words
}
