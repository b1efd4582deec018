import { appendFileSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

/**
 * The stand-in's "cloud": projects, registries, builds, services, revisions, jobs and executions,
 * kept as JSON in a state directory (`GCLOUD_STANDIN_STATE`) so that one gcloud invocation sees
 * what the previous one did: a redeploy finds the service, traffic moves stay moved.
 *
 * Every invocation is also appended to `calls.jsonl` there, so tests can assert the exact
 * sequence of commands an action ran.
 */
export interface Project {
  projectId: string
  projectNumber: string
  /** Accounts that may call `projects describe` (the deployer often lacks resourcemanager.projects.get). */
  describeDenied?: boolean
}

export interface Build {
  id: string
  projectId: string
  status: 'SUCCESS' | 'FAILURE' | 'TIMEOUT'
  tag: string
  /** The built image's ID (`sha256:…`), which stands for its registry digest. */
  digest?: string
  /** The local tag of the built image (gcloud-standin/<state>/build:N). */
  localImage?: string
  createTime: string
  finishTime: string
  /** Source files uploaded (paths relative to the source directory), after .gcloudignore. */
  uploaded: string[]
  log: string
  failureDetail?: string
}

export interface Revision {
  name: string
  service: string
  generation: number
  image: string
  imageDigest?: string
  env: Array<{ name: string; value?: string; secret?: { name: string; key: string } }>
  cloudsql: string[]
  annotations: Record<string, string>
  containerConcurrency?: number
  timeoutSeconds: number
  serviceAccountName: string
  limits: Record<string, string>
  ready: boolean
  /** Ready condition message when not ready. */
  message?: string
  /** The running instance (one per revision): its container and the host port in its $PORT. */
  instance?: { container: string; port: number }
  /** The instance's output when it failed to start (Cloud Logging's revision log). */
  log?: string
  createTime: string
}

export interface TrafficTarget {
  revisionName?: string
  latestRevision?: boolean
  percent?: number
  tag?: string
}

export interface Service {
  name: string
  projectId: string
  region: string
  generation: number
  /** Random part of the legacy URL (`https://SERVICE-HASH-REGIONCODE.a.run.app`). */
  hash: string
  templateRevision: string
  traffic: TrafficTarget[]
  latestCreatedRevisionName: string
  latestReadyRevisionName?: string
  allowUnauthenticated: boolean
  /** Ready condition of the service (after the last change). */
  ready: boolean
  message?: string
  createTime: string
}

export interface Job {
  name: string
  projectId: string
  region: string
  generation: number
  image: string
  command: string[]
  args: string[]
  env: Revision['env']
  cloudsql: string[]
  serviceAccountName: string
  taskTimeout?: string
  maxRetries?: number
  executionCount: number
  latestExecution?: string
  createTime: string
}

export interface Execution {
  name: string
  job: string
  projectId: string
  region: string
  succeeded: boolean
  message?: string
  /** The task container's exit code and output (Cloud Logging's execution log). */
  exitCode?: number
  log?: string
  createTime: string
  completionTime: string
}

export interface CloudState {
  projects: Record<string, Project>
  /** Artifact Registry repositories: `REGION/PROJECT/REPO`. */
  repositories: string[]
  /** Image references (`HOST/PROJECT/REPO/IMAGE:TAG`) and the digest (local image ID) each points at. */
  images: Record<string, string>
  /** Secret Manager secrets that exist: `PROJECT/NAME`. */
  secrets: string[]
  /** Their latest versions' values, by `PROJECT/NAME`. */
  secretValues: Record<string, string>
  builds: Record<string, Build>
  services: Record<string, Service>
  revisions: Record<string, Revision>
  jobs: Record<string, Job>
  executions: Record<string, Execution>
  /** Version `gcloud version` reports. */
  sdkVersion: string
  counter: number
}

export function emptyState(): CloudState {
  return {
    projects: {},
    repositories: [],
    images: {},
    secrets: [],
    secretValues: {},
    builds: {},
    services: {},
    revisions: {},
    jobs: {},
    executions: {},
    sdkVersion: '578.0.0',
    counter: 0,
  }
}

export function stateFile(dir: string): string {
  return join(dir, 'state.json')
}

export function loadState(dir: string): CloudState {
  const file = stateFile(dir)
  if (!existsSync(file)) return emptyState()
  return { ...emptyState(), ...(JSON.parse(readFileSync(file, 'utf8')) as Partial<CloudState>) }
}

export function saveState(dir: string, state: CloudState): void {
  mkdirSync(dir, { recursive: true })
  const temporary = `${stateFile(dir)}.${process.pid}.tmp`
  writeFileSync(temporary, `${JSON.stringify(state, null, 1)}\n`)
  renameSync(temporary, stateFile(dir))
}

/** One recorded invocation. */
export interface Call {
  argv: string[]
  exitCode: number
  cwd: string
  /** The gcloud-relevant environment: CLOUDSDK_* and GOOGLE_* variables. */
  env: Record<string, string>
  /** What the invocation read from files it was given (env-vars file contents, uploaded file list). */
  read?: Record<string, unknown>
}

export function recordCall(dir: string, call: Call): void {
  mkdirSync(dir, { recursive: true })
  appendFileSync(join(dir, 'calls.jsonl'), `${JSON.stringify(call)}\n`)
}

export function readCalls(dir: string): Call[] {
  const file = join(dir, 'calls.jsonl')
  if (!existsSync(file)) return []
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as Call)
}

/** Deterministic pseudo-random names: revision suffixes (consonant-vowel-consonant, as gcloud's name_generator), hashes. */
export function nextCounter(state: CloudState): number {
  state.counter += 1
  return state.counter
}

const CONSONANTS = 'bcdfghjklmnpqrstvwxz'
const VOWELS = 'aeiou'

export function cvcWord(n: number): string {
  return `${CONSONANTS[n % 20]}${VOWELS[Math.floor(n / 20) % 5]}${CONSONANTS[(n * 7 + 3) % 20]}`
}

export function hexId(seed: string, length: number): string {
  let hash = 2166136261
  let out = ''
  for (let round = 0; out.length < length; round++) {
    for (const char of `${seed}:${round}`) hash = Math.imul(hash ^ char.charCodeAt(0), 16777619) >>> 0
    out += hash.toString(16).padStart(8, '0')
  }
  return out.slice(0, length)
}
