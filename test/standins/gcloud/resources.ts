import type { Build, CloudState, Execution, Job, Revision, Service, TrafficTarget } from './state.js'

/**
 * The JSON gcloud prints with `--format json`: Cloud Run admin API v1 (Knative) Service, Revision,
 * Job and Execution, Cloud Build v1 Build. Shapes follow gcloud's generated messages
 * (run_v1_messages, cloudbuild_v1_messages) and real captured gcloud output; only fields a deploy tool reads are filled in, but those are filled in the way the API does.
 */

/** Cloud Run regions (a region outside this list is refused, as the API refuses it). */
export const REGIONS = [
  'africa-south1',
  'asia-east1',
  'asia-east2',
  'asia-northeast1',
  'asia-northeast2',
  'asia-northeast3',
  'asia-south1',
  'asia-south2',
  'asia-southeast1',
  'asia-southeast2',
  'australia-southeast1',
  'australia-southeast2',
  'europe-central2',
  'europe-north1',
  'europe-north2',
  'europe-southwest1',
  'europe-west1',
  'europe-west2',
  'europe-west3',
  'europe-west4',
  'europe-west6',
  'europe-west8',
  'europe-west9',
  'europe-west10',
  'europe-west12',
  'me-central1',
  'me-central2',
  'me-west1',
  'northamerica-northeast1',
  'northamerica-northeast2',
  'northamerica-south1',
  'southamerica-east1',
  'southamerica-west1',
  'us-central1',
  'us-east1',
  'us-east4',
  'us-east5',
  'us-south1',
  'us-west1',
  'us-west2',
  'us-west3',
  'us-west4',
]

const REGION_CODES: Record<string, string> = {
  'us-central1': 'uc',
  'us-east1': 'ue',
  'us-east4': 'uk',
  'us-west1': 'uw',
  'europe-west1': 'ew',
  'europe-west2': 'nw',
  'europe-west3': 'ey',
  'europe-west4': 'ez',
  'asia-northeast1': 'an',
  'asia-east1': 'de',
}

function regionCode(region: string): string {
  return (
    REGION_CODES[region] ??
    region
      .split('-')
      .map((part) => part[0])
      .join('')
      .slice(0, 2)
  )
}

function projectNumber(state: CloudState, projectId: string): string {
  return state.projects[projectId]?.projectNumber ?? '0'
}

/** The deterministic URL (https://SERVICE-PROJECT_NUMBER.REGION.run.app) and the legacy one. */
export function serviceUrls(state: CloudState, service: Service): { deterministic: string; legacy: string } {
  return {
    deterministic: `https://${service.name}-${projectNumber(state, service.projectId)}.${service.region}.run.app`,
    legacy: `https://${service.name}-${service.hash}-${regionCode(service.region)}.a.run.app`,
  }
}

export function tagUrl(state: CloudState, service: Service, tag: string): string {
  return serviceUrls(state, service).legacy.replace('https://', `https://${tag}---`)
}

function envJson(env: Revision['env']): unknown[] {
  return env.map((variable) =>
    variable.secret
      ? { name: variable.name, valueFrom: { secretKeyRef: { key: variable.secret.key, name: variable.secret.name } } }
      : { name: variable.name, value: variable.value ?? '' },
  )
}

function condition(type: string, ok: boolean, message?: string, reason?: string, time?: string): Record<string, unknown> {
  const result: Record<string, unknown> = {
    type,
    status: ok ? 'True' : 'False',
    lastTransitionTime: time ?? new Date().toISOString(),
  }
  if (!ok && reason) result.reason = reason
  if (!ok && message) result.message = message
  return result
}

function revisionTemplate(revision: Revision): Record<string, unknown> {
  const spec: Record<string, unknown> = {
    containerConcurrency: revision.containerConcurrency ?? 80,
    timeoutSeconds: revision.timeoutSeconds,
    serviceAccountName: revision.serviceAccountName,
    containers: [
      {
        image: revision.image,
        ports: [{ name: 'http1', containerPort: 8080 }],
        env: envJson(revision.env),
        resources: { limits: { cpu: '1000m', memory: '512Mi', ...revision.limits } },
        startupProbe: { timeoutSeconds: 240, periodSeconds: 240, failureThreshold: 1, tcpSocket: { port: 8080 } },
      },
    ],
  }
  return { metadata: { name: revision.name, annotations: { ...revision.annotations } }, spec }
}

/** spec.traffic → status.traffic: LATEST resolved, tagged targets get their URL. */
function statusTraffic(state: CloudState, service: Service): unknown[] {
  return service.traffic.map((target) => {
    const entry: Record<string, unknown> = {}
    entry.revisionName = target.latestRevision ? service.latestReadyRevisionName : target.revisionName
    if (target.percent) entry.percent = target.percent
    if (target.latestRevision) entry.latestRevision = true
    if (target.tag) {
      entry.tag = target.tag
      entry.url = tagUrl(state, service, target.tag)
    }
    return entry
  })
}

function specTraffic(traffic: TrafficTarget[]): unknown[] {
  return traffic.map((target) => {
    const entry: Record<string, unknown> = {}
    if (target.latestRevision) entry.latestRevision = true
    else entry.revisionName = target.revisionName
    if (target.percent) entry.percent = target.percent
    if (target.tag) entry.tag = target.tag
    return entry
  })
}

export function serviceJson(state: CloudState, service: Service): Record<string, unknown> {
  const number = projectNumber(state, service.projectId)
  const urls = serviceUrls(state, service)
  const revision = state.revisions[`${service.projectId}/${service.region}/${service.templateRevision}`] as Revision
  const conditions = [
    condition('Ready', service.ready, service.message, 'HealthCheckContainerError'),
    condition('ConfigurationsReady', service.ready, service.message, 'HealthCheckContainerError'),
    condition('RoutesReady', true),
  ]
  return {
    apiVersion: 'serving.knative.dev/v1',
    kind: 'Service',
    metadata: {
      name: service.name,
      namespace: number,
      selfLink: `/apis/serving.knative.dev/v1/namespaces/${number}/services/${service.name}`,
      uid: `${service.hash}-0000-4000-8000-${number.padStart(12, '0').slice(-12)}`,
      resourceVersion: `AAY${service.generation}`,
      generation: service.generation,
      creationTimestamp: service.createTime,
      labels: { 'cloud.googleapis.com/location': service.region },
      annotations: {
        'run.googleapis.com/client-name': 'gcloud',
        'run.googleapis.com/client-version': state.sdkVersion,
        'run.googleapis.com/ingress': 'all',
        'run.googleapis.com/ingress-status': 'all',
        'run.googleapis.com/operation-id': `${service.hash}-op-${service.generation}`,
        'run.googleapis.com/urls': JSON.stringify([urls.deterministic, urls.legacy]),
        'serving.knative.dev/creator': 'deployer',
        'serving.knative.dev/lastModifier': 'deployer',
      },
    },
    spec: { template: revisionTemplate(revision), traffic: specTraffic(service.traffic) },
    status: {
      observedGeneration: service.generation,
      conditions,
      latestReadyRevisionName: service.latestReadyRevisionName,
      latestCreatedRevisionName: service.latestCreatedRevisionName,
      traffic: statusTraffic(state, service),
      url: urls.legacy,
      address: { url: urls.legacy },
    },
  }
}

export function revisionLogUrl(revision: Revision, service: Service): string {
  const filter = encodeURIComponent(
    `resource.type="cloud_run_revision"\nresource.labels.service_name="${service.name}"\nresource.labels.revision_name="${revision.name}"`,
  )
  return `https://console.cloud.google.com/logs/viewer?project=${service.projectId}&resource=cloud_run_revision/service_name/${service.name}/revision_name/${revision.name}&advancedFilter=${filter}`
}

export function revisionJson(state: CloudState, revision: Revision, service: Service): Record<string, unknown> {
  const number = projectNumber(state, service.projectId)
  const template = revisionTemplate(revision)
  return {
    apiVersion: 'serving.knative.dev/v1',
    kind: 'Revision',
    metadata: {
      name: revision.name,
      namespace: number,
      generation: 1,
      creationTimestamp: revision.createTime,
      labels: {
        'serving.knative.dev/service': service.name,
        'serving.knative.dev/configuration': service.name,
        'serving.knative.dev/configurationGeneration': String(revision.generation),
        'cloud.googleapis.com/location': service.region,
      },
      annotations: (template.metadata as { annotations: Record<string, string> }).annotations,
    },
    spec: template.spec,
    status: {
      observedGeneration: 1,
      conditions: [
        condition('Ready', revision.ready, revision.message, 'HealthCheckContainerError', revision.createTime),
        condition('ContainerHealthy', revision.ready, revision.message, 'HealthCheckContainerError', revision.createTime),
        condition('ResourcesAvailable', true, undefined, undefined, revision.createTime),
      ],
      logUrl: revisionLogUrl(revision, service),
      imageDigest: revision.imageDigest,
      containerStatuses: [{ name: '', imageDigest: revision.imageDigest }],
    },
  }
}

export function executionLogUri(execution: Execution): string {
  const filter = encodeURIComponent(
    `resource.type="cloud_run_job"\nresource.labels.job_name="${execution.job}"\nresource.labels.location="${execution.region}"\nlabels."run.googleapis.com/execution_name"="${execution.name}"`,
  )
  return `https://console.cloud.google.com/logs/viewer?project=${execution.projectId}&advancedFilter=${filter}`
}

function jobTemplate(job: Job): Record<string, unknown> {
  const container: Record<string, unknown> = {
    image: job.image,
    env: envJson(job.env),
    resources: { limits: { cpu: '1000m', memory: '512Mi' } },
  }
  if (job.command.length) container.command = job.command
  if (job.args.length) container.args = job.args
  const annotations: Record<string, string> = { 'run.googleapis.com/client-name': 'gcloud' }
  if (job.cloudsql.length) annotations['run.googleapis.com/cloudsql-instances'] = job.cloudsql.join(',')
  return {
    metadata: { annotations },
    spec: {
      taskCount: 1,
      template: {
        spec: {
          containers: [container],
          maxRetries: job.maxRetries ?? 3,
          timeoutSeconds: job.taskTimeout ?? '600',
          serviceAccountName: job.serviceAccountName,
        },
      },
    },
  }
}

export function jobJson(state: CloudState, job: Job): Record<string, unknown> {
  const number = projectNumber(state, job.projectId)
  const latest = job.latestExecution ? state.executions[job.latestExecution] : undefined
  return {
    apiVersion: 'run.googleapis.com/v1',
    kind: 'Job',
    metadata: {
      name: job.name,
      namespace: number,
      generation: job.generation,
      creationTimestamp: job.createTime,
      labels: { 'cloud.googleapis.com/location': job.region },
      annotations: { 'run.googleapis.com/client-name': 'gcloud', 'run.googleapis.com/client-version': state.sdkVersion },
    },
    spec: { template: jobTemplate(job) },
    status: {
      observedGeneration: job.generation,
      conditions: [condition('Ready', true, undefined, undefined, job.createTime)],
      executionCount: job.executionCount,
      ...(latest
        ? {
            latestCreatedExecution: {
              name: latest.name,
              createTime: latest.createTime,
              completionTime: latest.completionTime,
              completionStatus: latest.succeeded ? 'EXECUTION_SUCCEEDED' : 'EXECUTION_FAILED',
            },
          }
        : {}),
    },
  }
}

export function executionJson(state: CloudState, execution: Execution): Record<string, unknown> {
  const job = state.jobs[`${execution.projectId}/${execution.region}/${execution.job}`] as Job
  const number = projectNumber(state, execution.projectId)
  const template = jobTemplate(job).spec as { template: unknown }
  return {
    apiVersion: 'run.googleapis.com/v1',
    kind: 'Execution',
    metadata: {
      name: execution.name,
      namespace: number,
      generation: 1,
      creationTimestamp: execution.createTime,
      labels: {
        'cloud.googleapis.com/location': execution.region,
        'run.googleapis.com/job': execution.job,
        'run.googleapis.com/jobGeneration': String(job.generation),
      },
    },
    spec: { parallelism: 1, taskCount: 1, template: template.template },
    status: {
      observedGeneration: 1,
      conditions: [
        condition('Completed', execution.succeeded, execution.message, 'NonZeroExitCode', execution.completionTime),
        condition('ResourcesAvailable', true, undefined, undefined, execution.createTime),
        condition('Started', true, undefined, undefined, execution.createTime),
      ],
      startTime: execution.createTime,
      completionTime: execution.completionTime,
      ...(execution.succeeded ? { succeededCount: 1 } : { failedCount: 1 }),
      logUri: executionLogUri(execution),
    },
  }
}

export function buildLogUrl(state: CloudState, build: Build): string {
  return `https://console.cloud.google.com/cloud-build/builds/${build.id}?project=${projectNumber(state, build.projectId)}`
}

export function buildJson(state: CloudState, build: Build): Record<string, unknown> {
  const number = projectNumber(state, build.projectId)
  const step = {
    name: 'gcr.io/cloud-builders/gcb-internal',
    args: ['docker', 'build', '--network', 'cloudbuild', '--no-cache', '-t', build.tag, '.'],
    status: build.status,
    timing: { startTime: build.createTime, endTime: build.finishTime },
  }
  const json: Record<string, unknown> = {
    id: build.id,
    name: `projects/${number}/locations/global/builds/${build.id}`,
    projectId: build.projectId,
    status: build.status,
    source: { storageSource: { bucket: `${build.projectId}_cloudbuild`, object: `source/${build.id}.tgz`, generation: '1' } },
    steps: [step],
    createTime: build.createTime,
    startTime: build.createTime,
    finishTime: build.finishTime,
    timeout: '600s',
    images: [build.tag],
    logsBucket: `gs://${number}.cloudbuild-logs.googleusercontent.com`,
    options: { logging: 'LEGACY', pool: {} },
    logUrl: buildLogUrl(state, build),
    queueTtl: '3600s',
    serviceAccount: `projects/${build.projectId}/serviceAccounts/${number}-compute@developer.gserviceaccount.com`,
  }
  if (build.status === 'SUCCESS' && build.digest) {
    json.results = {
      images: [{ name: build.tag, digest: build.digest, pushTiming: { startTime: build.finishTime, endTime: build.finishTime } }],
      buildStepImages: [''],
      buildStepOutputs: [''],
    }
  }
  if (build.failureDetail) json.failureInfo = { type: 'USER_BUILD_STEP', detail: build.failureDetail }
  return json
}
