import { spawn } from 'node:child_process'
import { generateKeyPairSync } from 'node:crypto'
import { mkdirSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { serviceUrls, tagUrl } from './resources.js'
import { emptyState, loadState, readCalls, saveState, type Call, type CloudState, type Scenario, type Service } from './state.js'

/**
 * The test side of the gcloud stand-in: create a fresh "cloud" in a directory, put the stand-in
 * first on PATH, switch failure scenarios, read back the commands an action ran, and reach the
 * deployed services' URLs through a data-plane stand-in.
 *
 *     const gcloud = createGcloudStandin(dir, { project: 'demo-proj', projectNumber: '123456789012' })
 *     gcloud.addRepository('europe-west1', 'cloud-run-source-deploy')
 *     await runTheAction({ env: { ...process.env, ...gcloud.env } })
 *     expect(gcloud.commands()).toEqual([...])
 */
export const STANDIN_BIN = join(dirname(fileURLToPath(import.meta.url)), 'bin')

export interface GcloudStandin {
  /** Directory with the `gcloud` executable. */
  binDir: string
  stateDir: string
  /** The "user's" gcloud configuration directory (CLOUDSDK_CONFIG), empty until `login`. */
  configDir: string
  /** Environment for a process that should use the stand-in: PATH, GCLOUD_STANDIN_STATE, CLOUDSDK_CONFIG. */
  env: Record<string, string>
  project: string
  projectNumber: string
  state(): CloudState
  update(change: (state: CloudState) => void): void
  addRepository(region: string, repository: string, project?: string): void
  addSecret(name: string, project?: string): void
  scenario(scenario: Scenario): void
  /** A service-account key file's JSON for `project` (a real RSA key, never valid anywhere). */
  serviceAccountKey(email?: string): string
  /** Every recorded invocation. */
  calls(): Call[]
  /** The recorded command lines, one string each, with `replacements` applied (e.g. temp paths). */
  commands(replacements?: Record<string, string>): string[]
  /** GET a deployed URL: which revision answers, as Cloud Run's front end and the Django app would. */
  fetch(url: string, headers?: Record<string, string>): Promise<{ status: number; body: string }>
  service(name: string, region: string): Service | undefined
  /** Run the stand-in `gcloud` directly, as someone at a shell would (recorded like any other call). */
  exec(args: string[], env?: Record<string, string>): Promise<{ exitCode: number; stdout: string; stderr: string }>
}

export function createGcloudStandin(
  dir: string,
  options: { project?: string; projectNumber?: string; sdkVersion?: string; path?: string } = {},
): GcloudStandin {
  const stateDir = join(dir, 'cloud')
  const configDir = join(dir, 'gcloud-config')
  mkdirSync(configDir, { recursive: true })
  const project = options.project ?? 'demo-proj'
  const projectNumber = options.projectNumber ?? '123456789012'
  const state = emptyState()
  state.projects[project] = { projectId: project, projectNumber }
  if (options.sdkVersion) state.sdkVersion = options.sdkVersion
  saveState(stateDir, state)
  const update = (change: (state: CloudState) => void): void => {
    const current = loadState(stateDir)
    change(current)
    saveState(stateDir, current)
  }
  return {
    binDir: STANDIN_BIN,
    stateDir,
    configDir,
    project,
    projectNumber,
    env: {
      PATH: `${STANDIN_BIN}:${options.path ?? process.env.PATH ?? ''}`,
      GCLOUD_STANDIN_STATE: stateDir,
      CLOUDSDK_CONFIG: configDir,
    },
    state: () => loadState(stateDir),
    update,
    addRepository: (region, repository, inProject = project) =>
      update((s) => void s.repositories.push(`${region}/${inProject}/${repository}`)),
    addSecret: (name, inProject = project) => update((s) => void s.secrets.push(`${inProject}/${name}`)),
    scenario: (scenario) => update((s) => void (s.scenario = scenario)),
    serviceAccountKey: (email = `deployer@${project}.iam.gserviceaccount.com`) => {
      const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
      return JSON.stringify({
        type: 'service_account',
        project_id: project,
        private_key_id: '3f2b1c0d9e8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c',
        private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
        client_email: email,
        client_id: '109876543210987654321',
        auth_uri: 'https://accounts.google.com/o/oauth2/auth',
        token_uri: 'https://oauth2.googleapis.com/token',
      })
    },
    calls: () => readCalls(stateDir),
    commands: (replacements = {}) =>
      readCalls(stateDir).map((call) => {
        let line = ['gcloud', ...call.argv].join(' ')
        for (const [from, to] of Object.entries(replacements)) line = line.split(from).join(to)
        return line
      }),
    fetch: async (url, headers = {}) => probe(loadState(stateDir), url, headers),
    service: (name, region) => loadState(stateDir).services[`${project}/${region}/${name}`],
    exec: (args, env = {}) =>
      new Promise((resolve, reject) => {
        const child = spawn(join(STANDIN_BIN, 'gcloud'), args, {
          env: {
            ...process.env,
            PATH: `${STANDIN_BIN}:${process.env.PATH ?? ''}`,
            GCLOUD_STANDIN_STATE: stateDir,
            CLOUDSDK_CONFIG: configDir,
            ...env,
          },
          stdio: ['ignore', 'pipe', 'pipe'],
        })
        let stdout = ''
        let stderr = ''
        child.stdout.setEncoding('utf8').on('data', (chunk: string) => void (stdout += chunk))
        child.stderr.setEncoding('utf8').on('data', (chunk: string) => void (stderr += chunk))
        child.on('error', reject)
        child.on('close', (code) => resolve({ exitCode: code ?? -1, stdout, stderr }))
      }),
  }
}

/**
 * The data plane: Google's front end routes by host name to a service (its URLs) or a tagged
 * revision (`TAG---` URLs); a private service wants a bearer token; the Django app inside checks
 * the Host header against its ALLOWED_HOSTS (DisallowedHost → 400) and answers 500 when broken.
 */
function probe(state: CloudState, url: string, headers: Record<string, string>): { status: number; body: string } {
  const host = new URL(url).host.toLowerCase()
  for (const service of Object.values(state.services)) {
    const urls = serviceUrls(state, service)
    let revisionName: string | undefined
    if ([urls.deterministic, urls.legacy].some((u) => new URL(u).host === host)) {
      const serving = [...service.traffic].sort((a, b) => (b.percent ?? 0) - (a.percent ?? 0))[0]
      revisionName = serving?.latestRevision ? service.latestReadyRevisionName : serving?.revisionName
    } else {
      const tagged = service.traffic.find((target) => target.tag && new URL(tagUrl(state, service, target.tag)).host === host)
      if (!tagged) continue
      revisionName = tagged.revisionName
    }
    const revision = revisionName ? state.revisions[`${service.projectId}/${service.region}/${revisionName}`] : undefined
    if (!revision || !revision.ready) return { status: 503, body: 'Service Unavailable' }
    if (!service.allowUnauthenticated && !/^Bearer .+/.test(headers.authorization ?? headers.Authorization ?? '')) {
      return { status: 403, body: 'Error: Forbidden. Your client does not have permission to get URL / from this server.' }
    }
    const allowed = revision.env.find((variable) => variable.name === 'ALLOWED_HOSTS')?.value
    if (
      allowed !== undefined &&
      !hostAllowed(
        host,
        allowed.split(',').map((entry) => entry.trim().toLowerCase()),
      )
    ) {
      return { status: 400, body: 'Bad Request (400)' }
    }
    if (!revision.healthy) return { status: 500, body: 'Server Error (500)' }
    return { status: 200, body: `revision ${revision.name}` }
  }
  return { status: 404, body: 'Error: Page not found. The requested URL was not found on this server.' }
}

/** django.http.request.validate_host */
function hostAllowed(host: string, patterns: string[]): boolean {
  const domain = host.replace(/:\d+$/, '').replace(/\.$/, '')
  return patterns.some(
    (pattern) =>
      pattern === '*' ||
      (pattern.startsWith('.') && (domain.endsWith(pattern) || domain === pattern.slice(1))) ||
      pattern === domain,
  )
}
