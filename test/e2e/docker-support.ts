/**
 * Deploy artifacts built into images and run, for test/e2e/docker-images.test.ts and the image
 * benchmark: the artifact is assembled by the actions' own project code (action-cloudrun's
 * prepareProject + buildContext, action-dokku's prepareProject + the deploy commit), built with
 * `docker build` exactly as exported, and started with the platform's environment.
 */
import { readdir, writeFile } from 'node:fs/promises'
import { request } from 'node:http'
import path from 'node:path'
import { MIGRATE_COMMAND } from '../../shared/src/build/web-command.js'
import { inputSourceFrom } from '../../shared/src/inputs.js'
import { spawnRunner } from '../../shared/src/runtime/command.js'
import { deployEnvironment } from '../../action-cloudrun/src/deploy.js'
import { readInputs as readCloudRunInputs } from '../../action-cloudrun/src/inputs.js'
import { serviceUrls, type ServiceFacts } from '../../action-cloudrun/src/plan.js'
import { prepareProject as prepareCloudRun, buildContext } from '../../action-cloudrun/src/project.js'
import {
  fixtureRepo,
  freePort,
  makeTempDir,
  mustSucceed,
  run,
  type CleanupRegistrar,
  type FixtureName,
} from '../support/index.js'

export const docker = (args: string[], timeoutMs = 900_000) => run('docker', args, { timeoutMs })

/** What must never reach an image: a strong key, and a value planted in the workspace's local secrets. */
export const SECRET_KEY = 'e2e-7Hk2pQ9vXw4mZr8sLt6nYb3cFd5gJh1aKe0uWo-PiR_yTq2xNv9bMz4lCs8d'
export const PLANTED_SECRET = 'planted-secret-Zq81Wm7Kd0Xv4'
/**
 * Files a runner's workspace really holds beside the code: an untracked .env, and the key file
 * google-github-actions/auth writes; and a committed .env.production, which the user's
 * repository carries at HEAD (so only .dockerignore keeps it out).
 */
const WORKSPACE_SECRETS = {
  '.env': `SECRET_KEY=${PLANTED_SECRET}\n`,
  'gha-creds-0123456789abcdef.json': `{"type":"service_account","private_key":"${PLANTED_SECRET}"}\n`,
}
const COMMITTED_SECRET = { '.env.production': `DATABASE_PASSWORD=${PLANTED_SECRET}\n` }

const SERVICE = 'shapes'
const REGION = 'europe-west1'
const PROJECT = 'demo-proj'
const FACTS: ServiceFacts = {
  project: PROJECT,
  region: REGION,
  exists: false,
  projectNumber: '123456789012',
  urls: [],
  trafficPinned: false,
}

export interface Artifact {
  /** The exported build context: what `gcloud builds submit` uploads, or the deploy commit's tree. */
  context: string
  /** The command that migrates (the Cloud Run job's, or the Procfile's release:). */
  migrate: string[]
  /** The platform's environment for the service and the migration (PORT comes on top). */
  env: Record<string, string>
  /** The Host the app answers to (the predicted service host or the Dokku domain). */
  host: string
  dockerfileGenerated: boolean
}

export interface ShapeOptions {
  /** Files added to (or replacing files in) the fixture before it is committed. */
  files?: Record<string, string>
  settingsPatch?: 'overlay' | 'none'
  settingsModule?: string
  /**
   * Commit a .env.production too (default true): the generated .dockerignore must keep it out.
   * Off for a user's own .dockerignore, which is theirs to write (the action's notice says so).
   */
  committedSecret?: boolean
  /** More env-vars (KEY=VALUE lines) the deploy passes. */
  envVars?: string[]
  cleanup: CleanupRegistrar
}

export async function repoWithSecrets(name: FixtureName, options: ShapeOptions): Promise<string> {
  const committed = options.committedSecret === false ? {} : COMMITTED_SECRET
  const repo = await fixtureRepo(name, { files: { ...committed, ...options.files }, cleanup: options.cleanup })
  for (const [file, content] of Object.entries(WORKSPACE_SECRETS)) await writeFile(path.join(repo.dir, file), content)
  return repo.dir
}

/** The Cloud Run build context of `name`, as action-cloudrun exports it for `gcloud builds submit`. */
export async function cloudRunArtifact(name: FixtureName, databaseUrl: string, options: ShapeOptions): Promise<Artifact> {
  const dir = await repoWithSecrets(name, options)
  const envVars = [`DATABASE_URL=${databaseUrl}`, `SECRET_KEY=${SECRET_KEY}`, ...(options.envVars ?? [])].join('\n')
  const inputs = readCloudRunInputs(
    inputSourceFrom({
      region: REGION,
      service: SERVICE,
      'project-id': PROJECT,
      'env-vars': envVars,
      'settings-patch': options.settingsPatch ?? 'overlay',
      'settings-module': options.settingsModule,
    }),
    () => undefined,
  )
  const prepared = await prepareCloudRun(inputs, dir, spawnRunner, { PATH: process.env.PATH })
  const work = await makeTempDir(`${name}-context-`, options.cleanup)
  const context = path.join(work, 'context')
  await buildContext({
    repoRoot: dir,
    subdirectory: inputs.workingDirectory,
    files: prepared.files,
    runner: spawnRunner,
    destination: context,
    tempDir: work,
  })
  const urls = serviceUrls(inputs, FACTS)
  return {
    context,
    migrate: [...MIGRATE_COMMAND],
    env: deployEnvironment(inputs, prepared, urls, undefined),
    host: new URL(urls[0] as string).host,
    dockerfileGenerated: prepared.dockerfileGenerated,
  }
}

/** Every file under `dir`, relative. */
export async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true })
  return entries.filter((entry) => entry.isFile()).map((entry) => path.relative(dir, path.join(entry.parentPath, entry.name)))
}

/**
 * The files Docker receives as the build context (after .dockerignore), read by building a
 * throwaway image that copies the whole context and lists it: what `docker build` sends is
 * otherwise invisible.
 */
export async function contextSent(context: string, base: string): Promise<{ files: string[]; secretHits: string }> {
  const tag = `django-deploy-e2e/context-probe:${process.pid}`
  const probe = `FROM ${base}\nCOPY . /context\n`
  mustSucceed(
    await run('docker', ['build', '--network', 'host', '-q', '-t', tag, '-f', '-', context], {
      input: probe,
      timeoutMs: 300_000,
    }),
    'context probe build',
  )
  try {
    const listed = mustSucceed(
      await docker(['run', '--rm', '--network', 'none', tag, 'find', '/context', '-type', 'f']),
      'list the context',
    )
    const grep = await docker(['run', '--rm', '--network', 'none', tag, 'grep', '-rlF', PLANTED_SECRET, '/context'])
    return {
      files: listed.stdout
        .trim()
        .split('\n')
        .map((file) => file.replace(/^\/context\//, '')),
      secretHits: grep.stdout.trim(),
    }
  } finally {
    await docker(['rmi', '-f', tag])
  }
}

export interface Answer {
  status: number
  body: string
  headers: Record<string, string | string[] | undefined>
}

/** GET over HTTP as the platform's front end sends it (Host of the service, HTTPS terminated in front). */
export function get(port: number, urlPath: string, host: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path: urlPath, headers: { Host: host, 'X-Forwarded-Proto': 'https' }, timeout: 10_000 },
      (res) => {
        let body = ''
        res.setEncoding('utf8')
        res.on('data', (chunk: string) => (body += chunk))
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }))
      },
    )
    req.on('timeout', () => req.destroy(new Error('timeout')))
    req.on('error', reject)
    req.end()
  })
}

/** `docker run` arguments for the platform's environment. */
export function envArgs(env: Record<string, string>): string[] {
  return Object.entries(env).flatMap(([name, value]) => ['-e', `${name}=${value}`])
}

/** Start the image as the platform does (PORT set, host network), and wait for the first answer to `urlPath`. */
export async function startContainer(
  tag: string,
  env: Record<string, string>,
  host: string,
  urlPath = '/',
  timeoutMs = 90_000,
): Promise<{ id: string; port: number; first: Answer; logs: () => Promise<string> }> {
  const port = await freePort()
  const started = mustSucceed(
    await docker(['run', '-d', '--network', 'host', ...envArgs(env), '-e', `PORT=${port}`, tag]),
    'docker run -d',
  )
  const id = started.stdout.trim()
  const logs = async () => {
    const result = await docker(['logs', id])
    return result.stdout + result.stderr
  }
  const deadline = Date.now() + timeoutMs
  for (;;) {
    try {
      return { id, port, first: await get(port, urlPath, host), logs }
    } catch (error) {
      if (Date.now() > deadline)
        throw new Error(`${tag}: no answer on ${port} in ${timeoutMs} ms:\n${await logs()}`, { cause: error })
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
  }
}
