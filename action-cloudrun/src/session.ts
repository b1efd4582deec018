import { randomBytes } from 'node:crypto'
import { mkdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ActionError } from '@django-deploy/shared/errors'
import type { Logger } from '@django-deploy/shared/runtime'
import { Phases } from '@django-deploy/shared/runtime'
import { Gcloud } from './gcloud.js'
import type { CloudRunInputs } from './inputs.js'
import { ensureGcloud } from './install.js'
import type { Deps } from './types.js'

/**
 * What every run does before it touches the service, whether it deploys or removes a preview tag:
 * time its phases for the summary, find or install gcloud, sign in, and know the project.
 */
export type Time = <T>(name: string, fn: () => Promise<T>) => Promise<T>

export interface PhaseTimer {
  /** Run `fn` in a log group and record how long it took. */
  time: Time
  list: Phases['list']
}

export function phaseTimer(log: Logger, now: () => number): PhaseTimer {
  const phases = new Phases(now)
  return { list: phases.list, time: (name, fn) => phases.time(name, () => log.group(name, fn)) }
}

/** A private directory under RUNNER_TEMP for the key file, the gcloud configuration and the env file; the caller removes it. */
export async function makeWorkDir(env: Record<string, string | undefined>): Promise<string> {
  const workDir = join(env.RUNNER_TEMP || tmpdir(), `cloudrun-${randomBytes(6).toString('hex')}`)
  await mkdir(workDir, { recursive: true, mode: 0o700 })
  return workDir
}

export interface Session {
  gcloud: Gcloud
  project: string
}

/** gcloud ready to use: installed when needed, signed in with `credentials-json` when given, and the project resolved. */
export async function openGcloud(inputs: CloudRunInputs, deps: Deps, workDir: string, time: Time): Promise<Session> {
  const { log } = deps
  const gcloudEnv: Record<string, string | undefined> = {
    ...deps.env,
    CLOUDSDK_CORE_DISABLE_PROMPTS: '1',
    CLOUDSDK_METRICS_ENVIRONMENT: 'github-actions-django-cloudrun',
    CLOUDSDK_CORE_SHOULD_PROMPT_TO_ENABLE_API: 'false',
  }
  // A key given in credentials-json wins over ambient credentials: google-github-actions/auth
  // exports this override, which gcloud would otherwise prefer to the activated account.
  if (inputs.credentials) gcloudEnv.CLOUDSDK_AUTH_CREDENTIAL_FILE_OVERRIDE = undefined
  const install = await time('gcloud', () =>
    ensureGcloud(inputs.gcloudVersion, {
      runner: deps.runner,
      log,
      toolCache: deps.toolCache,
      env: gcloudEnv,
      downloadUrl: deps.gcloudDownloadUrl,
    }),
  )
  if (inputs.credentials) {
    // A private configuration: the key is activated there, never in the runner's own gcloud config.
    gcloudEnv.CLOUDSDK_CONFIG = join(workDir, 'gcloud-config')
    const keyFile = join(workDir, 'key.json')
    await writeFile(keyFile, inputs.credentials.json, { mode: 0o600 })
    await new Gcloud(deps.runner, log, install.command, gcloudEnv).run([
      'auth',
      'activate-service-account',
      '--key-file',
      keyFile,
    ])
    await rm(keyFile, { force: true })
  }
  const gcloud = new Gcloud(deps.runner, log, install.command, gcloudEnv)
  const project = inputs.projectId ?? (await projectFromGcloud(gcloud, deps.env))
  return { gcloud, project }
}

/** The project of the ambient credentials (google-github-actions/auth exports it; setup-gcloud configures it). */
async function projectFromGcloud(gcloud: Gcloud, env: Record<string, string | undefined>): Promise<string> {
  const fromEnv = env.CLOUDSDK_CORE_PROJECT || env.GOOGLE_CLOUD_PROJECT || env.GCLOUD_PROJECT || env.CLOUDSDK_PROJECT
  if (fromEnv) return fromEnv
  const result = await gcloud.exec(['config', 'get-value', 'project'])
  const project = result.stdout.trim()
  if (result.exitCode === 0 && project) return project
  throw new ActionError('No Google Cloud project is known.', {
    input: 'project-id',
    hint: "Set 'project-id:', or use credentials-json (its project_id is used), or run google-github-actions/auth with project_id before this step.",
  })
}
