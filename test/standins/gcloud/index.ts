import { spawn } from 'node:child_process'
import { generateKeyPairSync } from 'node:crypto'
import { mkdirSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { docker, imageId, localRepository, removeAll } from './docker.js'
import { fetchThrough, startFrontEnd, type FrontEnd } from './frontend.js'
import { emptyState, loadState, readCalls, saveState, type Call, type CloudState, type Service } from './state.js'

/**
 * The test side of the gcloud stand-in: create a fresh "cloud" in a directory, put the stand-in
 * first on PATH, read back the commands an action ran, and reach the deployed services' URLs
 * through the HTTPS front end (frontend.ts), which forwards to the revisions' real containers.
 *
 *     const gcloud = createGcloudStandin(dir, { project: 'demo-proj', cleanup: onTestFinished })
 *     gcloud.addRepository('europe-west1', 'cloud-run-source-deploy')
 *     await runTheAction({ env: { ...process.env, ...gcloud.env, ...(await gcloud.frontEnd()).env } })
 *     expect(gcloud.commands()).toEqual([...])
 *
 * Builds, job tasks and revision instances are real Docker containers (docker.ts), labelled with
 * the state directory; dispose() (or the cleanup hook) removes them.
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
  /** A Secret Manager secret whose latest version holds `value`. */
  addSecret(name: string, value: string, project?: string): void
  /** Push a local Docker image to Artifact Registry as `reference` (HOST/PROJECT/REPO/IMAGE:TAG); returns its digest. */
  addImage(reference: string, localImage: string): Promise<string>
  /** A service-account key file's JSON for `project` (a real RSA key, never valid anywhere). */
  serviceAccountKey(email?: string): string
  /** Every recorded invocation. */
  calls(): Call[]
  /** The recorded command lines, one string each, with `replacements` applied (e.g. temp paths). */
  commands(replacements?: Record<string, string>): string[]
  /**
   * GET a deployed URL through the front end, for real: `revision` names the revision whose
   * container answered (absent when the front end answered itself: 403, 404).
   */
  fetch(url: string, headers?: Record<string, string>): Promise<{ status: number; body: string; revision?: string }>
  /** The job tasks' and failed instances' output (what Cloud Logging would hold), for a test's failure message. */
  logs(): string
  /** The HTTPS front end for `*.run.app` (started on first use): its `env` points a Node process at it. */
  frontEnd(): Promise<FrontEnd>
  /** Stop the front end and remove this cloud's containers and local image tags. */
  dispose(): Promise<void>
  service(name: string, region: string): Service | undefined
  /** Run the stand-in `gcloud` directly, as someone at a shell would (recorded like any other call). */
  exec(args: string[], env?: Record<string, string>): Promise<{ exitCode: number; stdout: string; stderr: string }>
}

export function createGcloudStandin(
  dir: string,
  options: {
    project?: string
    projectNumber?: string
    sdkVersion?: string
    path?: string
    /** Registers dispose() to run when the test ends (pass onTestFinished), pass or fail. */
    cleanup?: (fn: () => Promise<void>) => void
  } = {},
): GcloudStandin {
  // Absolute: the state directory labels this cloud's containers.
  const stateDir = resolve(dir, 'cloud')
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
  let frontEnd: Promise<FrontEnd> | undefined
  const startedFrontEnd = (): Promise<FrontEnd> => (frontEnd ??= startFrontEnd(stateDir, join(dir, 'front-end')))
  const dispose = async (): Promise<void> => {
    const running = frontEnd
    frontEnd = undefined
    if (running) await (await running).close()
    removeAll(stateDir)
  }
  options.cleanup?.(dispose)
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
    addSecret: (name, value, inProject = project) =>
      update((s) => {
        s.secrets.push(`${inProject}/${name}`)
        s.secretValues[`${inProject}/${name}`] = value
      }),
    addImage: async (reference, localImage) => {
      const local = `${localRepository(stateDir)}:pushed-${Date.now()}`
      const tagged = await docker(['tag', localImage, local])
      if (tagged.exitCode !== 0) throw new Error(`docker tag ${localImage}: ${tagged.output}`)
      const digest = (await imageId(local)) as string
      const base = reference.replace(/@.*$/, '').replace(/:[^/]*$/, '')
      update((s) => {
        s.images[/:[^/]*$/.test(reference) ? reference : `${reference}:latest`] = digest
        s.images[`${base}@${digest}`] = digest
      })
      return digest
    },
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
    fetch: async (url, headers = {}) => {
      const answer = await fetchThrough(await startedFrontEnd(), url, headers)
      return { status: answer.status, body: answer.body, ...(answer.revision ? { revision: answer.revision } : {}) }
    },
    frontEnd: startedFrontEnd,
    dispose,
    logs: () => {
      const state = loadState(stateDir)
      return [
        ...Object.values(state.executions).map(
          (execution) => `--- execution ${execution.name} (exit ${execution.exitCode})\n${execution.log ?? ''}`,
        ),
        ...Object.values(state.revisions)
          .filter((revision) => revision.log !== undefined)
          .map((revision) => `--- revision ${revision.name}\n${revision.log ?? ''}`),
      ]
        .map((entry) => entry.slice(-4000))
        .join('\n')
    },
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
