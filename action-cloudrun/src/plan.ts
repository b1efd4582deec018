import { ActionError } from '@django-deploy/shared/errors'
import { MIGRATE_COMMAND } from '@django-deploy/shared/build'
import { overlayEnvironment } from '@django-deploy/shared/settings'
import type { ProjectModel } from '@django-deploy/shared/detect'
import type { PlanStep } from '@django-deploy/shared/plan'
import type { CloudRunInputs } from './inputs.js'
import { hostOf, MIGRATE_JOB_SUFFIX, predictedServiceUrl, tagUrlFor } from './names.js'

/**
 * The decisions of a run as pure functions of the inputs and what gcloud reported, so the exact
 * command lines are unit-tested without running anything: where traffic goes (production,
 * safe rollout, pull-request preview), which host names Django must accept, and every gcloud argv.
 */
export interface ServiceFacts {
  project: string
  region: string
  /** The service exists already (a redeploy). */
  exists: boolean
  /** Project number: from the existing service's namespace or `projects describe`; undefined when unknown. */
  projectNumber?: string
  /** URLs the service has now (run.googleapis.com/urls annotation, status.url). */
  urls: string[]
  /** Traffic no longer follows the latest revision (an earlier --no-traffic deploy pinned it). */
  trafficPinned: boolean
}

export interface Target {
  kind: 'production' | 'preview'
  /** The tag the new revision gets (preview: pr-N; safe rollout: the check tag). */
  tag?: string
  noTraffic: boolean
  /** Check this tag's URL (or the service URL when `tag` is undefined and the service is new). */
  check: boolean
  /** `update-traffic --to-latest` after the deploy (and the check). */
  moveTraffic: boolean
  migrate: boolean
  /** Why migrations are skipped, for the log and summary. */
  migrateSkipped?: string
}

/** The tag a safe rollout checks the new revision through, when the user gave none. */
export const CHECK_TAG = 'candidate'

export function chooseTarget(
  inputs: CloudRunInputs,
  facts: Pick<ServiceFacts, 'exists' | 'trafficPinned'>,
  pullRequest?: number,
): Target {
  if (pullRequest !== undefined) {
    const tag = inputs.tag ?? `pr-${pullRequest}`
    if (!facts.exists) {
      throw new ActionError(
        `Service ${inputs.service} does not exist yet, so pull request #${pullRequest} cannot get a preview revision: a new service cannot be deployed without traffic.`,
        {
          hint: 'Deploy the default branch once (a push to it) to create the service; previews of pull requests then get their own tagged URL without taking traffic.',
        },
      )
    }
    return {
      kind: 'preview',
      tag,
      noTraffic: true,
      check: inputs.safeRollout,
      moveTraffic: false,
      migrate: false,
      migrateSkipped: inputs.migrate
        ? 'a preview shares the production database, so its migrations run when the pull request is merged and deployed'
        : undefined,
    }
  }
  const migrate = inputs.migrate
  if (!facts.exists) {
    return { kind: 'production', tag: inputs.tag, noTraffic: false, check: inputs.safeRollout, moveTraffic: false, migrate }
  }
  if (inputs.safeRollout) {
    return { kind: 'production', tag: inputs.tag ?? CHECK_TAG, noTraffic: true, check: true, moveTraffic: true, migrate }
  }
  // Without a safe rollout traffic still has to follow the new revision, also after a preview pinned it.
  return { kind: 'production', tag: inputs.tag, noTraffic: false, check: false, moveTraffic: facts.trafficPinned, migrate }
}

/** The events whose `closed` action ends a pull request (`pull_request_review*` never close one). */
const CLOSING_EVENTS = new Set(['pull_request', 'pull_request_target'])

/** A closed pull request's run: which tag its previews were deployed under, to remove. */
export interface PreviewRemoval {
  pullRequest: number
  tag: string
}

/**
 * A run for a closed pull request removes the preview instead of deploying: the default tag
 * `pr-<N>`, or the explicit `tag`, since that is the tag the pull request's runs deployed under
 * (the same input in the same workflow). Undefined for every other event and action.
 */
export function previewRemoval(
  inputs: Pick<CloudRunInputs, 'tag'>,
  event: { eventName: string; action?: string; pullRequest?: number } | undefined,
): PreviewRemoval | undefined {
  if (!event || !CLOSING_EVENTS.has(event.eventName) || event.action !== 'closed' || event.pullRequest === undefined)
    return undefined
  return { pullRequest: event.pullRequest, tag: inputs.tag ?? `pr-${event.pullRequest}` }
}

/** Every URL the service answers on after this deploy: the ones it has, plus the predicted one. */
export function serviceUrls(inputs: Pick<CloudRunInputs, 'service'>, facts: ServiceFacts): string[] {
  const urls = [...facts.urls]
  if (facts.projectNumber) urls.unshift(predictedServiceUrl(inputs.service, facts.projectNumber, facts.region))
  return [...new Set(urls)]
}

/** Host names for ALLOWED_HOSTS: the service's, and the tag's when the revision is tagged. */
export function allowedHosts(urls: string[], tag?: string): string[] {
  const hosts = urls.map(hostOf)
  if (tag) hosts.push(...urls.map((url) => hostOf(tagUrlFor(url, tag))))
  return [...new Set(hosts)]
}

/**
 * The environment of the service and the migration job: the overlay's variables (settings module,
 * hosts, HTTPS), CLOUDRUN_SERVICE_URLS (the variable Google's Django guide reads), then the user's
 * env-vars, which win, except that their ALLOWED_HOSTS / CSRF_TRUSTED_ORIGINS are added to ours.
 *
 * The host and HTTPS variables are set whatever the settings: the overlay reads them, settings
 * that read ALLOWED_HOSTS themselves use them too, and a prebuilt image (often built by an earlier
 * run of this action, overlay inside) has no other way to learn the service's host names.
 * DJANGO_SETTINGS_MODULE is set only when known: a prebuilt image's own ENV decides otherwise.
 */
export function environment(options: {
  inputs: Pick<CloudRunInputs, 'envVars'>
  project?: ProjectModel
  /** The overlay module, the project's own module (settings-patch: none), or undefined for a prebuilt image. */
  settingsModule?: string
  urls: string[]
  tag?: string
  /** The generated image's server settings (serverEnvironment); undefined for an image whose CMD is not ours. */
  server?: Record<string, string>
}): Record<string, string> {
  const hosts = allowedHosts(options.urls, options.tag)
  const env = overlayEnvironment({
    settingsModule: options.settingsModule ?? '',
    hosts,
    https: true,
    project: options.project,
    hsts: { seconds: 3600 },
  })
  if (!options.settingsModule) delete env.DJANGO_SETTINGS_MODULE
  Object.assign(env, options.server)
  if (options.urls.length)
    env.CLOUDRUN_SERVICE_URLS = [
      ...new Set([...options.urls, ...(options.tag ? options.urls.map((url) => tagUrlFor(url, options.tag as string)) : [])]),
    ].join(',')
  for (const { key, value } of options.inputs.envVars) {
    if ((key === 'ALLOWED_HOSTS' || key === 'CSRF_TRUSTED_ORIGINS') && env[key])
      env[key] = [
        ...new Set([
          ...value
            .split(',')
            .map((part) => part.trim())
            .filter(Boolean),
          ...env[key].split(','),
        ]),
      ].join(',')
    else env[key] = value
  }
  return env
}

/** Cloud Run's default: one vCPU per instance. */
const DEFAULT_CPUS = 1

/**
 * gunicorn's shape on Cloud Run, as variables the generated image's CMD reads (WEB_CONCURRENCY,
 * GUNICORN_THREADS): one worker per whole vCPU and eight threads each, as Google advises for
 * Python there (the image's own default, two workers, suits a Dokku host). It also starts faster:
 * two workers importing Django at once on one vCPU hold back the first response (test/bench/cloudrun.bench.ts).
 */
export function serverEnvironment(inputs: Pick<CloudRunInputs, 'cpu'>): Record<string, string> {
  const cpus =
    inputs.cpu === undefined
      ? DEFAULT_CPUS
      : inputs.cpu.endsWith('m')
        ? Number(inputs.cpu.slice(0, -1)) / 1000
        : Number(inputs.cpu)
  return { GUNICORN_THREADS: '8', WEB_CONCURRENCY: String(Math.max(1, Math.floor(cpus))) }
}

/**
 * The `--env-vars-file`: JSON, which is YAML, and keeps every value byte for byte (commas, quotes,
 * newlines, `^` and `=`), none of which survive `--set-env-vars` without escaping.
 */
export function envVarsFile(env: Record<string, string>): string {
  const keys = Object.keys(env).sort()
  return `{\n${keys.map((key, i) => `  ${JSON.stringify(key)}: ${JSON.stringify(env[key])}${i < keys.length - 1 ? ',' : ''}`).join('\n')}\n}\n`
}

export function imageRepository(inputs: Pick<CloudRunInputs, 'region' | 'repository' | 'service'>, project: string): string {
  return `${inputs.region}-docker.pkg.dev/${project}/${inputs.repository}/${inputs.service}`
}

export function where(facts: Pick<ServiceFacts, 'region' | 'project'>): string[] {
  return ['--region', facts.region, '--project', facts.project]
}

export function secretsFlag(inputs: Pick<CloudRunInputs, 'secrets'>): string[] {
  return inputs.secrets.length
    ? ['--update-secrets', inputs.secrets.map((secret) => `${secret.env}=${secret.reference}`).join(',')]
    : []
}

export function describeServiceArgs(
  inputs: Pick<CloudRunInputs, 'service'>,
  facts: Pick<ServiceFacts, 'region' | 'project'>,
): string[] {
  return ['run', 'services', 'describe', inputs.service, ...where(facts), '--format', 'json']
}

export function buildArgs(sourceDir: string, tag: string, project: string): string[] {
  // --suppress-logs: the log would otherwise stream to stdout ahead of the JSON; it is fetched on failure.
  return ['builds', 'submit', sourceDir, '--tag', tag, '--project', project, '--suppress-logs', '--format', 'json']
}

export function migrateJobName(service: string): string {
  return `${service}${MIGRATE_JOB_SUFFIX}`
}

/** What the service and its migration job share: the image, the place, the environment, the database connection, the identity. */
function runtimeFlags(inputs: CloudRunInputs, facts: ServiceFacts, image: string, envFile: string): string[] {
  return [
    '--image',
    image,
    ...where(facts),
    '--env-vars-file',
    envFile,
    ...secretsFlag(inputs),
    ...(inputs.cloudsqlInstance ? ['--set-cloudsql-instances', inputs.cloudsqlInstance] : []),
    ...(inputs.serviceAccount ? ['--service-account', inputs.serviceAccount] : []),
  ]
}

/** `run jobs executions describe` / `run revisions describe`, as JSON: where a failure's log is. */
export function describeExecutionArgs(execution: string, facts: Pick<ServiceFacts, 'region' | 'project'>): string[] {
  return ['run', 'jobs', 'executions', 'describe', execution, ...where(facts), '--format', 'json']
}

export function describeRevisionArgs(revision: string, facts: Pick<ServiceFacts, 'region' | 'project'>): string[] {
  return ['run', 'revisions', 'describe', revision, ...where(facts), '--format', 'json']
}

export function migrateArgs(inputs: CloudRunInputs, facts: ServiceFacts, image: string, envFile: string): string[] {
  const [program, ...args] = MIGRATE_COMMAND
  return [
    'run',
    'jobs',
    'deploy',
    migrateJobName(inputs.service),
    ...runtimeFlags(inputs, facts, image, envFile),
    '--command',
    program as string,
    // `=` keeps gcloud from reading "--noinput" inside the list as a flag of its own.
    `--args=${args.join(',')}`,
    // A failed migration is not retried: it would fail the same way, and slower.
    '--max-retries',
    '0',
    '--task-timeout',
    `${Math.max(60, Math.round(inputs.timeoutMs / 1000))}s`,
    '--execute-now',
    '--wait',
    '--format',
    'json',
  ]
}

export function deployArgs(
  inputs: CloudRunInputs,
  facts: ServiceFacts,
  target: Target,
  image: string,
  envFile: string,
): string[] {
  const args = ['run', 'deploy', inputs.service, ...runtimeFlags(inputs, facts, image, envFile)]
  if (inputs.cpu) args.push('--cpu', inputs.cpu)
  if (inputs.memory) args.push('--memory', inputs.memory)
  if (inputs.concurrency !== undefined) args.push('--concurrency', String(inputs.concurrency))
  if (inputs.minInstances !== undefined) args.push('--min-instances', String(inputs.minInstances))
  if (inputs.maxInstances !== undefined) args.push('--max-instances', String(inputs.maxInstances))
  args.push(inputs.cpuBoost ? '--cpu-boost' : '--no-cpu-boost')
  args.push(inputs.allowUnauthenticated ? '--allow-unauthenticated' : '--no-allow-unauthenticated')
  if (target.noTraffic) args.push('--no-traffic')
  if (target.tag) args.push('--tag', target.tag)
  args.push(...inputs.flags, '--format', 'json')
  return args
}

export function updateTrafficArgs(inputs: Pick<CloudRunInputs, 'service'>, facts: ServiceFacts): string[] {
  return ['run', 'services', 'update-traffic', inputs.service, '--to-latest', ...where(facts), '--format', 'json']
}

/**
 * Remove a tag and nothing else: gcloud drops the tag from its traffic target and keeps the target
 * only when it still serves a share, so production traffic is untouched and the revision stays.
 */
export function removeTagArgs(
  inputs: Pick<CloudRunInputs, 'service'>,
  facts: Pick<ServiceFacts, 'region' | 'project'>,
  tag: string,
): string[] {
  return ['run', 'services', 'update-traffic', inputs.service, '--remove-tags', tag, ...where(facts), '--format', 'json']
}

/** The plan's first steps in every kind of run: gcloud found (or installed), then signed in when a key is given. */
export function gcloudSetupSteps(inputs: Pick<CloudRunInputs, 'gcloudVersion' | 'credentials'>): PlanStep[] {
  return [
    {
      kind: 'command',
      title: 'Find or install gcloud',
      detail: `gcloud version --format json${inputs.gcloudVersion ? ` (want ${inputs.gcloudVersion})` : ''}`,
    },
    ...(inputs.credentials
      ? [
          {
            kind: 'command' as const,
            title: 'Authenticate with the key, in a private gcloud configuration',
            detail: 'gcloud auth activate-service-account --key-file <RUNNER_TEMP>/…/key.json',
          },
        ]
      : []),
  ]
}
