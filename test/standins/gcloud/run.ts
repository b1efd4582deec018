import {
  accountOf,
  checkProject,
  checkReservedEnv,
  fail,
  notModelled,
  now,
  parseArgDict,
  parseArgList,
  parseSecrets,
  printResource,
  projectOf,
  readEnvVarsFile,
  regionOf,
  validateResourceName,
  type Context,
} from './context.js'
import { docker, envFlags, freePort, imageId, LABEL, stateTag, waitListening } from './docker.js'
import { flagSwitch, flagValue, GcloudFailure } from './parse.js'
import { executionJson, jobJson, revisionJson, revisionLogUrl, serviceJson, serviceUrls, tagUrl } from './resources.js'
import {
  cvcWord,
  hexId,
  nextCounter,
  type CloudState,
  type Execution,
  type Job,
  type Revision,
  type Service,
  type TrafficTarget,
} from './state.js'

/**
 * `gcloud run ...`: services (deploy, describe, update-traffic), revisions (describe) and jobs
 * (deploy, execute, describe, executions describe), with Cloud Run's semantics where a deploy
 * tool depends on them: a failed revision keeps the old one serving, `--no-traffic` pins traffic
 * to the current revision (and stays pinned until `update-traffic --to-latest`), `--tag` moves a
 * tag, a failed job execution fails `--wait`.
 */

function serviceKey(project: string, region: string, name: string): string {
  return `${project}/${region}/${name}`
}

function requireName(ctx: Context, kind: 'service' | 'job'): string {
  const name = ctx.parsed.positionals[0]
  if (!name) {
    const Kind = kind === 'service' ? 'service' : 'Job'
    throw fail(
      ctx,
      `Error parsing [${kind}].\nThe [${Kind}] resource is not properly specified.\nFailed to find attribute [${kind === 'service' ? 'service' : 'jobs'}]. The attribute can be set in the following ways: \n- provide the argument \`${kind.toUpperCase()}\` on the command line\n- specify the ${kind} name from an interactive prompt`,
    )
  }
  validateResourceName(ctx, name)
  return name
}

/** Environment changes in the order gcloud applies them to a container's env list. */
function applyEnvChanges(ctx: Context, current: Revision['env']): Revision['env'] {
  let env = current.map((variable) => ({ ...variable }))
  const literals = (entries: Array<[string, string]>, clearOthers: boolean): void => {
    const names = new Set(entries.map(([name]) => name))
    for (const variable of env) {
      if (names.has(variable.name) && variable.secret) {
        throw fail(
          ctx,
          `Cannot update environment variable [${variable.name}] to string literal because it has already been set with a different type.`,
        )
      }
    }
    env = env.filter((variable) => variable.secret || (!clearOthers && !names.has(variable.name)))
    env.push(...entries.map(([name, value]) => ({ name, value })))
  }
  const file = flagValue(ctx.parsed, '--env-vars-file')
  if (file !== undefined) literals(readEnvVarsFile(ctx, file), true)
  const set = flagValue(ctx.parsed, '--set-env-vars')
  if (set !== undefined) literals(parseArgDict(set), true)
  if (flagSwitch(ctx.parsed, '--clear-env-vars')) env = env.filter((variable) => variable.secret)
  const remove = flagValue(ctx.parsed, '--remove-env-vars')
  if (remove !== undefined) {
    const names = new Set(parseArgList(remove))
    env = env.filter((variable) => variable.secret || !names.has(variable.name))
  }
  const update = flagValue(ctx.parsed, '--update-env-vars')
  if (update !== undefined) literals(parseArgDict(update), false)

  const secretChanges = (secrets: Revision['env'], clearOthers: boolean): void => {
    for (const secret of secrets) {
      if (env.some((variable) => variable.name === secret.name && !variable.secret)) {
        throw fail(
          ctx,
          `Cannot update environment variable [${secret.name}] to the given type because it has already been set with a different type.`,
        )
      }
    }
    const names = new Set(secrets.map((secret) => secret.name))
    env = env.filter((variable) => !variable.secret || (!clearOthers && !names.has(variable.name)))
    env.push(...secrets)
  }
  const setSecrets = flagValue(ctx.parsed, '--set-secrets')
  if (setSecrets !== undefined) secretChanges(parseSecrets(ctx, setSecrets), true)
  if (flagSwitch(ctx.parsed, '--clear-secrets')) env = env.filter((variable) => !variable.secret)
  const removeSecrets = flagValue(ctx.parsed, '--remove-secrets')
  if (removeSecrets !== undefined) {
    const names = new Set(parseArgList(removeSecrets))
    env = env.filter((variable) => !variable.secret || !names.has(variable.name))
  }
  const updateSecrets = flagValue(ctx.parsed, '--update-secrets')
  if (updateSecrets !== undefined) secretChanges(parseSecrets(ctx, updateSecrets), false)
  checkReservedEnv(ctx, env)
  return env
}

function applyCloudSql(ctx: Context, current: string[]): string[] {
  const set = flagValue(ctx.parsed, '--set-cloudsql-instances')
  if (set !== undefined) return parseArgList(set).filter(Boolean)
  if (flagSwitch(ctx.parsed, '--clear-cloudsql-instances')) return []
  const add = flagValue(ctx.parsed, '--add-cloudsql-instances')
  if (add !== undefined) return [...new Set([...current, ...parseArgList(add)])]
  const remove = flagValue(ctx.parsed, '--remove-cloudsql-instances')
  if (remove !== undefined) return current.filter((instance) => !parseArgList(remove).includes(instance))
  return current
}

function checkCloudSql(ctx: Context, instances: string[]): void {
  for (const instance of instances) {
    if (!/^[a-z][a-z0-9-]*(:[a-z0-9-]+)?:[a-z0-9-]+:[a-z][a-z0-9-]*$/.test(instance)) {
      throw fail(
        ctx,
        `spec.template.metadata.annotations[run.googleapis.com/cloudsql-instances]: Cloud SQL connection name '${instance}' is invalid: expected PROJECT:REGION:INSTANCE.`,
      )
    }
  }
}

/**
 * What the registry has for an image, or why a revision cannot pull it. Artifact Registry is
 * state.images (reference → the local image ID that stands for the digest); any other reference
 * must name an image this machine's Docker has (the test bed cannot reach other registries).
 */
async function resolveImage(state: CloudState, image: string): Promise<{ digest?: string; missing?: string }> {
  if (/-docker\.pkg\.dev\//.test(image)) {
    const reference = /[:@][^/]*$/.test(image) ? image : `${image}:latest`
    const byDigest = /^(.*)@(sha256:[0-9a-f]{64})$/.exec(image)
    // A digest reference resolves when any tag of that image points at the digest.
    const digest = byDigest
      ? Object.entries(state.images).some(
          ([name, value]) => value === byDigest[2] && name.replace(/[:@][^/]*$/, '') === byDigest[1],
        )
        ? byDigest[2]
        : undefined
      : state.images[reference]
    // The registry may name an image whose local copy is gone (a disposed stand-in's build).
    return digest && (await imageId(digest)) ? { digest } : { missing: `Image '${image}' not found.` }
  }
  const local = await imageId(image)
  return local ? { digest: local } : { missing: `Image '${image}' not found.` }
}

/** A revision's or task's environment: literal values, and secrets resolved to their values. */
function containerEnv(ctx: Context, project: string, env: Revision['env']): Record<string, string> {
  const values: Record<string, string> = {}
  for (const variable of env) {
    if (variable.secret) values[variable.name] = ctx.state.secretValues[`${project}/${variable.secret.name}`] ?? ''
    else values[variable.name] = variable.value ?? ''
  }
  return values
}

/**
 * Start a revision's instance: a container of its image with the platform's variables (PORT, an
 * unused host port here because every container shares the host network; K_SERVICE, K_REVISION,
 * K_CONFIGURATION) over the revision's own. Ready when it listens on $PORT within the startup
 * probe's time (240 s, Cloud Run's default); a container that exits first has failed.
 */
async function startInstance(
  ctx: Context,
  revision: Revision,
  env: Record<string, string>,
): Promise<{ ready: true } | { ready: false; port: number; log: string }> {
  const port = await freePort()
  const name = `gcloud-standin-${stateTag(ctx.stateDir)}-${revision.name}`
  const platform = {
    ...env,
    PORT: String(port),
    K_SERVICE: revision.service,
    K_REVISION: revision.name,
    K_CONFIGURATION: revision.service,
  }
  const started = await docker(
    [
      'run',
      '-d',
      '--network',
      'host',
      '--name',
      name,
      '--label',
      `${LABEL}=${ctx.stateDir}`,
      '--label',
      `${LABEL}.revision=${revision.name}`,
      ...envFlags(platform),
      revision.imageDigest?.replace(/^.*@/, '') as string,
    ],
    { env: platform },
  )
  if (started.exitCode !== 0) return { ready: false, port, log: started.output }
  const container = started.output.trim()
  const outcome = await waitListening(container, port, 240_000)
  if (outcome.ready) {
    revision.instance = { container, port }
    return { ready: true }
  }
  const log = (await docker(['logs', container])).output
  await docker(['rm', '-f', container])
  return { ready: false, port, log }
}

function missingSecret(ctx: Context, project: string, env: Revision['env']): string | undefined {
  const number = ctx.state.projects[project]?.projectNumber ?? '0'
  const index = env.findIndex((variable) => variable.secret && !ctx.state.secrets.includes(`${project}/${variable.secret.name}`))
  const variable = env[index]
  if (!variable?.secret) return undefined
  return `spec.template.spec.containers[0].env[${index}].value_from.secret_key_ref.name: Secret projects/${number}/secrets/${variable.secret.name}/versions/${variable.secret.key} was not found`
}

function timeoutSeconds(ctx: Context, value: string | undefined, current: number): number {
  if (value === undefined) return current
  const match = /^(\d+)(s|m|h)?$/.exec(value)
  if (!match) throw fail(ctx, `argument --timeout: Failed to parse duration: ${value}`, 2)
  const seconds = Number(match[1]) * ({ s: 1, m: 60, h: 3600 }[match[2] ?? 's'] ?? 1)
  if (seconds > 3600) throw fail(ctx, `argument --timeout: value must be less than or equal to 1h; received: ${value}`, 2)
  return seconds
}

/** UpdateTags: a tag names exactly one revision; a target left with neither tag nor traffic goes. */
function moveTag(traffic: TrafficTarget[], tag: string, revisionName: string): TrafficTarget[] {
  const kept = traffic
    .map((target) => (target.tag === tag ? { ...target, tag: undefined } : target))
    .filter((target) => target.tag !== undefined || (target.percent ?? 0) > 0)
  return [...kept, { revisionName, tag }]
}

/** gcloud run deploy SERVICE --image IMAGE ... */
export async function deploy(ctx: Context): Promise<void> {
  const project = projectOf(ctx)
  const name = requireName(ctx, 'service')
  const region = regionOf(ctx)
  if (flagValue(ctx.parsed, '--source') !== undefined) throw notModelled('gcloud run deploy --source')
  const image = flagValue(ctx.parsed, '--image')
  if (image === undefined) throw notModelled('gcloud run deploy without --image (a source deploy of the current directory)')
  for (const flag of ['--min-instances', '--max-instances']) {
    const value = flagValue(ctx.parsed, flag)
    if (value !== undefined && value !== 'default') {
      if (!/^-?\d+$/.test(value))
        throw new GcloudFailure(`ERROR: (gcloud) Instance count value ${value} is not an integer or 'default'.\n`, 1)
      if (Number(value) < 0) throw new GcloudFailure(`ERROR: (gcloud) Instance count value ${value} is negative.\n`, 1)
    }
  }
  const concurrency = flagValue(ctx.parsed, '--concurrency')
  if (concurrency !== undefined && concurrency !== 'default' && !(/^\d+$/.test(concurrency) && Number(concurrency) > 0)) {
    throw fail(ctx, `argument --concurrency: Bad value [${concurrency}]: must be an integer greater than 0 or "default".`, 2)
  }
  accountOf(ctx)
  checkProject(ctx, project, 'run.services.get', `namespaces/${project}/services/${name}`)
  const key = serviceKey(project, region, name)
  const existing = ctx.state.services[key]
  const noTraffic = flagSwitch(ctx.parsed, '--no-traffic') === true
  if (noTraffic && !existing) throw fail(ctx, '--no-traffic not supported when creating a new service.')

  const previous = existing ? ctx.state.revisions[`${project}/${region}/${existing.templateRevision}`] : undefined
  const env = applyEnvChanges(ctx, previous?.env ?? [])
  const cloudsql = applyCloudSql(ctx, previous?.cloudsql ?? [])
  checkCloudSql(ctx, cloudsql)
  const annotations: Record<string, string> = { ...(previous?.annotations ?? {}) }
  if (cloudsql.length) annotations['run.googleapis.com/cloudsql-instances'] = cloudsql.join(',')
  else delete annotations['run.googleapis.com/cloudsql-instances']
  for (const [flag, annotation] of [
    ['--min-instances', 'autoscaling.knative.dev/minScale'],
    ['--max-instances', 'autoscaling.knative.dev/maxScale'],
  ] as const) {
    const value = flagValue(ctx.parsed, flag)
    if (value === 'default') delete annotations[annotation]
    else if (value !== undefined) annotations[annotation] = value
  }
  const cpuBoost = flagSwitch(ctx.parsed, '--cpu-boost')
  // "new services default cpu boost on the client" (surface/run/deploy.py)
  if (cpuBoost === true || (cpuBoost === undefined && !existing)) annotations['run.googleapis.com/startup-cpu-boost'] = 'true'
  else if (cpuBoost === false) delete annotations['run.googleapis.com/startup-cpu-boost']
  const limits = { ...(previous?.limits ?? {}) }
  const cpu = flagValue(ctx.parsed, '--cpu')
  if (cpu !== undefined) limits.cpu = cpu
  const memory = flagValue(ctx.parsed, '--memory')
  if (memory !== undefined) limits.memory = memory

  const number = ctx.state.projects[project]?.projectNumber ?? '0'
  const generation = (existing?.generation ?? 0) + 1
  const suffix = flagValue(ctx.parsed, '--revision-suffix')
  const revisionName = suffix
    ? `${name}-${suffix}`
    : `${name}-${String(generation).padStart(5, '0')}-${cvcWord(nextCounter(ctx.state))}`
  if (ctx.state.revisions[`${project}/${region}/${revisionName}`])
    throw fail(ctx, `Revision named '${revisionName}' with different configuration already exists.`)
  const pulled = await resolveImage(ctx.state, image)
  const secretProblem = missingSecret(ctx, project, env)
  const time = now()
  const revision: Revision = {
    name: revisionName,
    service: name,
    generation,
    image,
    imageDigest: pulled.digest ? `${image.replace(/@.*$/, '').replace(/:[^/]*$/, '')}@${pulled.digest}` : undefined,
    env,
    cloudsql,
    annotations,
    containerConcurrency:
      concurrency === undefined ? previous?.containerConcurrency : concurrency === 'default' ? undefined : Number(concurrency),
    timeoutSeconds: timeoutSeconds(ctx, flagValue(ctx.parsed, '--timeout'), previous?.timeoutSeconds ?? 300),
    serviceAccountName:
      flagValue(ctx.parsed, '--service-account') ??
      previous?.serviceAccountName ??
      `${number}-compute@developer.gserviceaccount.com`,
    limits,
    ready: true,
    createTime: time,
  }
  const service: Service = existing ?? {
    name,
    projectId: project,
    region,
    generation: 0,
    hash: hexId(`${project}/${name}`, 10).replace(/^[0-9]/, 'a'),
    templateRevision: revisionName,
    traffic: [{ latestRevision: true, percent: 100 }],
    latestCreatedRevisionName: revisionName,
    allowUnauthenticated: false,
    ready: true,
    createTime: time,
  }
  const logUrl = revisionLogUrl(revision, service)
  const problem = pulled.missing ?? secretProblem
  if (problem) {
    revision.ready = false
    revision.message = `Revision '${revisionName}' is not ready and cannot serve traffic. ${problem}`
  } else {
    const started = await startInstance(ctx, revision, containerEnv(ctx, project, env))
    if (!started.ready) {
      revision.ready = false
      revision.log = started.log
      revision.message =
        `Revision '${revisionName}' is not ready and cannot serve traffic. The user-provided container failed to start and listen on the port defined provided by the PORT=${started.port} environment variable within the allocated timeout. ` +
        `This can happen when the container port is misconfigured or if the timeout is too short. The health check timeout can be extended. Logs for this revision might contain more information.\n\nLogs URL: ${logUrl}\nFor more troubleshooting guidance, see https://cloud.google.com/run/docs/troubleshooting#container-failed-to-start`
    }
  }
  ctx.state.revisions[`${project}/${region}/${revisionName}`] = revision

  let traffic = service.traffic
  if (noTraffic) {
    // ZeroLatestTraffic: LATEST's share is pinned to the revision serving it now.
    const latest = traffic.find((target) => target.latestRevision)
    if (latest) {
      const pinned = service.latestReadyRevisionName
      traffic = traffic.filter((target) => !target.latestRevision)
      const same = traffic.find((target) => target.revisionName === pinned && !target.tag)
      if (same) same.percent = (same.percent ?? 0) + (latest.percent ?? 0)
      else traffic = [{ revisionName: pinned, percent: latest.percent }, ...traffic]
    }
  }
  const tag = flagValue(ctx.parsed, '--tag')
  if (tag) traffic = moveTag(traffic, tag, revisionName)
  service.traffic = traffic
  service.generation = generation
  service.templateRevision = revisionName
  service.latestCreatedRevisionName = revisionName
  if (revision.ready) {
    service.latestReadyRevisionName = revisionName
    service.ready = true
    service.message = undefined
  } else {
    service.ready = false
    service.message = revision.message
  }
  const allow = flagSwitch(ctx.parsed, '--allow-unauthenticated')
  if (allow !== undefined) service.allowUnauthenticated = allow
  ctx.state.services[key] = service

  ctx.stderr.push(
    `Deploying container to Cloud Run service [${name}] in project [${project}] region [${region}]\n`,
    `${existing ? 'Deploying' : 'Deploying new service'}...\n`,
    '  Creating Revision...\n',
  )
  if (!revision.ready) {
    ctx.stderr.push('Deployment failed\n')
    throw fail(ctx, revision.message as string)
  }
  const percent = noTraffic
    ? 0
    : service.traffic
        .filter((target) => target.latestRevision || target.revisionName === revisionName)
        .reduce((sum, target) => sum + (target.percent ?? 0), 0)
  if (percent) ctx.stderr.push('  Routing traffic...\n')
  if (allow !== undefined) ctx.stderr.push('  Setting IAM Policy...\n')
  ctx.stderr.push(
    'Done.\n',
    `Service [${name}] revision [${revisionName}] has been deployed and is serving ${percent} percent of traffic.\n`,
  )
  if (percent) ctx.stderr.push(`Service URL: ${serviceUrls(ctx.state, service).legacy}\n`)
  if (tag) ctx.stderr.push(`The revision can be reached directly at ${tagUrl(ctx.state, service, tag)}\n`)
  printResource(ctx, serviceJson(ctx.state, service), { defaultOutput: 'none' })
}

function findService(ctx: Context, notFound: (name: string, project: string, region: string) => string): Service {
  const project = projectOf(ctx)
  const name = ctx.parsed.positionals[0] as string
  validateResourceName(ctx, name)
  const region = regionOf(ctx)
  accountOf(ctx)
  checkProject(ctx, project, 'run.services.get', `namespaces/${project}/services/${name}`)
  const service = ctx.state.services[serviceKey(project, region, name)]
  if (!service) throw fail(ctx, notFound(name, project, region))
  return service
}

/** gcloud run services describe SERVICE */
export function servicesDescribe(ctx: Context): void {
  const service = findService(ctx, (name) => `Cannot find service [${name}]`)
  printResource(ctx, serviceJson(ctx.state, service))
}

/** The flags that make an update-traffic change (flags.py _HasTrafficChanges); without one gcloud refuses before calling the API. */
const TRAFFIC_FLAGS = [
  '--to-latest',
  '--to-revisions',
  '--to-tags',
  '--update-tags',
  '--set-tags',
  '--remove-tags',
  '--clear-tags',
]

/**
 * gcloud run services update-traffic SERVICE (--to-latest | --to-revisions | --to-tags) [tag flags]
 *
 * `--remove-tags` of a tag the service does not have is not an error: gcloud's UpdateTags drops
 * the tags it finds and says nothing about the others, then replaces the service as usual.
 */
export function updateTraffic(ctx: Context): void {
  // gcloud resolves the region and checks the name before it looks at what is asked.
  validateResourceName(ctx, ctx.parsed.positionals[0] as string)
  regionOf(ctx)
  if (!TRAFFIC_FLAGS.some((flag) => ctx.parsed.flags.has(flag))) throw fail(ctx, 'No traffic configuration change requested.')
  const service = findService(ctx, (name) => `Service [${name}] could not be found.`)
  const revisionExists = (revisionName: string): boolean =>
    Boolean(ctx.state.revisions[`${service.projectId}/${service.region}/${revisionName}`])
  let traffic = service.traffic.map((target) => ({ ...target }))
  const tagOnly = (targets: TrafficTarget[]): TrafficTarget[] =>
    targets.filter((target) => target.tag).map((target) => ({ ...target, percent: undefined }))
  if (flagSwitch(ctx.parsed, '--to-latest')) {
    traffic = [{ latestRevision: true, percent: 100 }, ...tagOnly(traffic)]
  } else if (flagValue(ctx.parsed, '--to-revisions') !== undefined) {
    const targets = parseArgDict(flagValue(ctx.parsed, '--to-revisions') as string)
    for (const [revisionName] of targets)
      if (revisionName !== 'LATEST' && !revisionExists(revisionName))
        throw fail(ctx, `Revision [${revisionName}] does not exist.`)
    traffic = [
      ...targets.map(([revisionName, percent]) =>
        revisionName === 'LATEST'
          ? { latestRevision: true, percent: Number(percent) }
          : { revisionName, percent: Number(percent) },
      ),
      ...tagOnly(traffic),
    ]
  } else if (flagValue(ctx.parsed, '--to-tags') !== undefined) {
    const targets = parseArgDict(flagValue(ctx.parsed, '--to-tags') as string)
    const byTag = new Map(
      traffic.filter((target) => target.tag).map((target) => [target.tag as string, target.revisionName as string]),
    )
    for (const [tag] of targets)
      if (!byTag.has(tag))
        throw fail(ctx, `There is no revision tagged with [${tag}] in the traffic allocation for [${service.name}].`)
    traffic = [
      ...targets.map(([tag, percent]) => ({ revisionName: byTag.get(tag), percent: Number(percent) })),
      ...tagOnly(traffic),
    ]
  }
  const remove = flagValue(ctx.parsed, '--remove-tags')
  if (remove !== undefined) {
    const names = new Set(parseArgList(remove))
    traffic = traffic
      .map((target) => (target.tag && names.has(target.tag) ? { ...target, tag: undefined } : target))
      .filter((target) => target.tag || (target.percent ?? 0) > 0)
  }
  if (flagSwitch(ctx.parsed, '--clear-tags'))
    traffic = traffic.map((target) => ({ ...target, tag: undefined })).filter((target) => (target.percent ?? 0) > 0)
  const update = flagValue(ctx.parsed, '--update-tags') ?? flagValue(ctx.parsed, '--set-tags')
  if (update !== undefined) {
    for (const [tag, revisionName] of parseArgDict(update)) {
      const resolved = revisionName === 'LATEST' ? (service.latestReadyRevisionName as string) : revisionName
      if (!revisionExists(resolved)) throw fail(ctx, `Revision [${revisionName}] does not exist.`)
      traffic = moveTag(traffic, tag, resolved)
    }
  }
  const total = traffic.reduce((sum, target) => sum + (target.percent ?? 0), 0)
  if (total !== 100) throw fail(ctx, `Traffic targets must add up to 100, not ${total}.`)
  service.traffic = traffic
  service.generation += 1
  const urls = serviceUrls(ctx.state, service)
  ctx.stderr.push('Updating traffic...\n  Routing traffic...\nDone.\n', `URL: ${urls.legacy}\nTraffic:\n`)
  const listing = traffic.map((target) => {
    const revisionName = target.latestRevision ? service.latestReadyRevisionName : target.revisionName
    const percent = String(target.percent ?? 0)
    const tags = target.tag
      ? [{ tag: target.tag, url: tagUrl(ctx.state, service, target.tag), inSpec: true, inStatus: true }]
      : []
    ctx.stderr.push(`  ${percent}% ${target.latestRevision ? `LATEST (currently ${revisionName})` : revisionName}\n`)
    return {
      key: target.latestRevision ? 'LATEST' : revisionName,
      revisionName,
      latestRevision: Boolean(target.latestRevision),
      specPercent: percent,
      statusPercent: percent,
      displayPercent: `${percent}%`,
      serviceUrl: urls.legacy,
      tags,
      urls: tags.map((tag) => tag.url),
    }
  })
  printResource(ctx, listing, { defaultOutput: 'none' })
}

/** gcloud run revisions describe REVISION */
export function revisionsDescribe(ctx: Context): void {
  const project = projectOf(ctx)
  const name = ctx.parsed.positionals[0] as string
  const region = regionOf(ctx)
  accountOf(ctx)
  checkProject(ctx, project, 'run.revisions.get', `namespaces/${project}/revisions/${name}`)
  const revision = ctx.state.revisions[`${project}/${region}/${name}`]
  if (!revision) throw fail(ctx, `Cannot find revision [${name}]`)
  printResource(
    ctx,
    revisionJson(ctx.state, revision, ctx.state.services[serviceKey(project, region, revision.service)] as Service),
  )
}

/** "1800s", "30m", "1h" (or plain seconds) in milliseconds; Cloud Run's default task timeout is 10 minutes. */
function durationMs(value: string | undefined): number {
  const match = /^(\d+)(s|m|h)?$/.exec(value ?? '')
  if (!match) return 600_000
  return Number(match[1]) * ({ s: 1, m: 60, h: 3600 }[match[2] ?? 's'] ?? 1) * 1000
}

/**
 * One execution of a job, with one task, run for real: a container of the job's image with its
 * command and args (as Kubernetes maps them: command replaces the ENTRYPOINT, args the CMD), its
 * environment (secrets resolved) and Cloud Run's task variables. The task's exit code decides.
 */
async function runExecution(ctx: Context, job: Job): Promise<Execution> {
  const time = now()
  const name = `${job.name}-${hexId(`${job.name}-${nextCounter(ctx.state)}`, 5).replace(/[0-9]/g, (d) => 'abcdefghij'[Number(d)] as string)}`
  const env = {
    ...containerEnv(ctx, job.projectId, job.env),
    CLOUD_RUN_JOB: job.name,
    CLOUD_RUN_EXECUTION: name,
    CLOUD_RUN_TASK_INDEX: '0',
    CLOUD_RUN_TASK_ATTEMPT: '0',
    CLOUD_RUN_TASK_COUNT: '1',
  }
  const [entrypoint, ...commandRest] = job.command
  const imageDigest = (await resolveImage(ctx.state, job.image)).digest as string
  const finished = await docker(
    [
      'run',
      '--rm',
      '--network',
      'host',
      '--label',
      `${LABEL}=${ctx.stateDir}`,
      '--label',
      `${LABEL}.execution=${name}`,
      ...envFlags(env),
      ...(entrypoint === undefined ? [] : ['--entrypoint', entrypoint]),
      imageDigest,
      ...commandRest,
      ...job.args,
    ],
    { env, timeoutMs: durationMs(job.taskTimeout) },
  )
  const succeeded = finished.exitCode === 0 && !finished.timedOut
  const execution: Execution = {
    name,
    job: job.name,
    projectId: job.projectId,
    region: job.region,
    succeeded,
    exitCode: finished.exitCode,
    log: finished.output,
    message: succeeded
      ? undefined
      : finished.timedOut
        ? `Task ${name}-task0 failed with message: The configured timeout was reached.`
        : `Task ${name}-task0 failed with message: The container exited with an error.`,
    createTime: time,
    completionTime: now(),
  }
  ctx.state.executions[`${job.projectId}/${job.region}/${name}`] = execution
  job.executionCount += 1
  job.latestExecution = `${job.projectId}/${job.region}/${name}`
  return execution
}

function executionFailed(ctx: Context, execution: Execution, number: string): never {
  ctx.stderr.push('Job failed to deploy\n')
  throw fail(
    ctx,
    `The execution failed.\nView details about this execution by running:\ngcloud run jobs executions describe ${execution.name}\n\nOr visit https://console.cloud.google.com/run/jobs/executions/details/${execution.region}/${execution.name}?project=${number}`,
  )
}

/** gcloud run jobs deploy JOB --image IMAGE ... [--execute-now] [--wait] */
export async function jobsDeploy(ctx: Context): Promise<void> {
  const project = projectOf(ctx)
  const name = requireName(ctx, 'job')
  const image = flagValue(ctx.parsed, '--image')
  if (flagValue(ctx.parsed, '--source') !== undefined) throw notModelled('gcloud run jobs deploy --source')
  if (image === undefined) {
    throw fail(
      ctx,
      'Missing required argument [--image]: Requires a container image to deploy (e.g. `us-docker.pkg.dev/cloudrun/container/job:latest`) if no  build source is provided.',
    )
  }
  const region = regionOf(ctx)
  accountOf(ctx)
  checkProject(ctx, project, 'run.jobs.get', `namespaces/${project}/jobs/${name}`)
  const key = serviceKey(project, region, name)
  const existing = ctx.state.jobs[key]
  const env = applyEnvChanges(ctx, existing?.env ?? [])
  const cloudsql = applyCloudSql(ctx, existing?.cloudsql ?? [])
  checkCloudSql(ctx, cloudsql)
  const number = ctx.state.projects[project]?.projectNumber ?? '0'
  const command = flagValue(ctx.parsed, '--command')
  const args = flagValue(ctx.parsed, '--args')
  const maxRetries = flagValue(ctx.parsed, '--max-retries')
  const job: Job = {
    name,
    projectId: project,
    region,
    generation: (existing?.generation ?? 0) + 1,
    image,
    command: command === undefined ? (existing?.command ?? []) : parseArgList(command).filter((part) => part !== ''),
    args: args === undefined ? (existing?.args ?? []) : parseArgList(args).filter((part) => part !== ''),
    env,
    cloudsql,
    serviceAccountName:
      flagValue(ctx.parsed, '--service-account') ??
      existing?.serviceAccountName ??
      `${number}-compute@developer.gserviceaccount.com`,
    taskTimeout: flagValue(ctx.parsed, '--task-timeout') ?? existing?.taskTimeout,
    maxRetries: maxRetries === undefined ? existing?.maxRetries : Number(maxRetries),
    executionCount: existing?.executionCount ?? 0,
    latestExecution: existing?.latestExecution,
    createTime: existing?.createTime ?? now(),
  }
  const pulled = await resolveImage(ctx.state, image)
  if (pulled.missing) throw fail(ctx, `Image '${image}' not found.`)
  const secretProblem = missingSecret(ctx, project, env)
  if (secretProblem) throw fail(ctx, secretProblem)
  ctx.state.jobs[key] = job
  // gcloud returns the job as deployed, before the execution it starts.
  const deployed = jobJson(ctx.state, job)
  const wait = flagSwitch(ctx.parsed, '--wait') === true
  const executeNow = wait || flagSwitch(ctx.parsed, '--execute-now') === true
  ctx.stderr.push(
    `Deploying container to Cloud Run job [${name}] in project [${project}] region [${region}]\n`,
    `${existing ? 'Updating' : 'Creating'}${executeNow ? ' and running' : ''} job...\n`,
  )
  if (executeNow) {
    const execution = await runExecution(ctx, job)
    if (wait && !execution.succeeded) executionFailed(ctx, execution, number)
    const done = wait
      ? `been deployed and completed execution [${execution.name}]`
      : `been deployed and started running execution [${execution.name}]`
    ctx.stderr.push(
      `Done.\nJob [${name}] has successfully ${done}.\n\nView details about this execution by running:\ngcloud run jobs executions describe ${execution.name}\n\nOr visit https://console.cloud.google.com/run/jobs/executions/details/${region}/${execution.name}?project=${number}\n\nTo execute this job again, use:\ngcloud run jobs execute ${name}\n`,
    )
  } else {
    ctx.stderr.push(
      `Done.\nJob [${name}] has successfully been deployed.\n\nTo execute this job, use:\ngcloud run jobs execute ${name}\n`,
    )
  }
  printResource(ctx, deployed, { defaultOutput: 'none' })
}

function findJob(ctx: Context): Job {
  const project = projectOf(ctx)
  const name = requireName(ctx, 'job')
  const region = regionOf(ctx)
  accountOf(ctx)
  checkProject(ctx, project, 'run.jobs.get', `namespaces/${project}/jobs/${name}`)
  const job = ctx.state.jobs[serviceKey(project, region, name)]
  if (!job) throw fail(ctx, `Cannot find job [${name}].`)
  return job
}

/** gcloud run jobs execute JOB [--wait] */
export async function jobsExecute(ctx: Context): Promise<void> {
  const job = findJob(ctx)
  const number = ctx.state.projects[job.projectId]?.projectNumber ?? '0'
  const execution = await runExecution(ctx, job)
  ctx.stderr.push(`Creating execution...\n`)
  if (flagSwitch(ctx.parsed, '--wait') && !execution.succeeded) executionFailed(ctx, execution, number)
  ctx.stderr.push(
    `Done.\nExecution [${execution.name}] has successfully ${flagSwitch(ctx.parsed, '--wait') ? 'completed' : 'started running'}.\n`,
  )
  printResource(ctx, executionJson(ctx.state, execution), { defaultOutput: 'none' })
}

/** gcloud run jobs describe JOB */
export function jobsDescribe(ctx: Context): void {
  printResource(ctx, jobJson(ctx.state, findJob(ctx)))
}

/** gcloud run jobs executions describe EXECUTION */
export function executionsDescribe(ctx: Context): void {
  const project = projectOf(ctx)
  const name = ctx.parsed.positionals[0] as string
  const region = regionOf(ctx)
  accountOf(ctx)
  checkProject(ctx, project, 'run.executions.get', `namespaces/${project}/executions/${name}`)
  const execution = ctx.state.executions[`${project}/${region}/${name}`]
  if (!execution) throw fail(ctx, `Cannot find execution [${name}].`)
  printResource(ctx, executionJson(ctx.state, execution))
}
