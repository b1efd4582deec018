import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs'
import { dirname, isAbsolute, join, resolve } from 'node:path'
import {
  accountOf,
  checkProject,
  fail,
  notModelled,
  now,
  printResource,
  projectOf,
  property,
  readConfig,
  readCredentialFile,
  writeConfig,
  type Context,
} from './context.js'
import { docker, imageId, localRepository } from './docker.js'
import { flagSwitch, flagValue } from './parse.js'
import { buildJson, buildLogUrl } from './resources.js'
import { hexId, nextCounter, type Build } from './state.js'
import { uploadedFiles } from './upload.js'

/** gcloud version [--format json] */
export function version(ctx: Context): void {
  const components = {
    'Google Cloud SDK': ctx.state.sdkVersion,
    bq: '2.1.25',
    core: '2026.11.18',
    'gcloud-crc32c': '1.0.0',
    gsutil: '5.35',
  }
  if (flagValue(ctx.parsed, '--format') === undefined) {
    ctx.stdout.push(
      `${Object.entries(components)
        .map(([name, value]) => `${name} ${value}`)
        .join('\n')}\n`,
    )
    return
  }
  printResource(ctx, components)
}

/** gcloud config get-value PROPERTY: the value on stdout, or "(unset)" on stderr. */
export function configGetValue(ctx: Context): void {
  const name = ctx.parsed.positionals[0] as string
  const value =
    name === 'account' || name === 'core/account'
      ? (property(ctx.env, 'core/account') ?? readConfig(ctx.env).account)
      : property(ctx.env, name)
  if (value === undefined) ctx.stderr.push('(unset)\n')
  else ctx.stdout.push(`${value}\n`)
}

/** gcloud auth activate-service-account [ACCOUNT] --key-file FILE: stores the account in CLOUDSDK_CONFIG. */
export function activateServiceAccount(ctx: Context): void {
  const keyFile = flagValue(ctx.parsed, '--key-file') as string
  const { account, type } = readCredentialFile(ctx, keyFile)
  if (type !== 'service_account') throw fail(ctx, 'The .json key file is not in a valid format.')
  const given = ctx.parsed.positionals[0]
  if (given && given !== account)
    throw fail(
      ctx,
      `The given account name does not match the account name in the key file.  This argument can be omitted when using .json keys.`,
    )
  writeConfig(ctx.env, { ...readConfig(ctx.env), account })
  ctx.stderr.push(`Activated service account credentials for: [${account}]\n`)
}

/** gcloud auth print-identity-token: a token for the active account (its content is opaque to callers). */
export function printIdentityToken(ctx: Context): void {
  const account = accountOf(ctx)
  ctx.stdout.push(
    `eyJhbGciOiJSUzI1NiJ9.${Buffer.from(JSON.stringify({ email: account, aud: flagValue(ctx.parsed, '--audiences') ?? '32555940559.apps.googleusercontent.com' })).toString('base64url')}.c2lnbmF0dXJl\n`,
  )
}

/** gcloud projects describe ID */
export function projectsDescribe(ctx: Context): void {
  const id = ctx.parsed.positionals[0] as string
  const account = accountOf(ctx)
  const project = ctx.state.projects[id] ?? Object.values(ctx.state.projects).find((p) => p.projectNumber === id)
  if (!project || project.describeDenied) {
    throw fail(
      ctx,
      `[${account}] does not have permission to access projects instance [${id}] (or it may not exist): The caller does not have permission. This command is authenticated as ${account} which is the active account specified by the [core/account] property`,
    )
  }
  printResource(ctx, {
    createTime: '2024-01-01T00:00:00.000Z',
    lifecycleState: 'ACTIVE',
    name: project.projectId,
    projectId: project.projectId,
    projectNumber: project.projectNumber,
  })
}

const AR_IMAGE =
  /^([a-z0-9-]+)-docker\.pkg\.dev\/([a-z0-9-]+)\/([a-z0-9._-]+)\/([a-z0-9._/-]+)(?::([\w][\w.-]{0,127}))?(?:@(sha256:[0-9a-f]{64}))?$/

/** Cloud Build's default build timeout (10 minutes), or `--timeout` (seconds, or with s/m/h). */
function buildTimeoutMs(ctx: Context): number {
  const value = flagValue(ctx.parsed, '--timeout')
  if (value === undefined) return 600_000
  const match = /^(\d+)(s|m|h)?$/.exec(value)
  if (!match) throw fail(ctx, `argument --timeout: Failed to parse duration: ${value}`, 2)
  return Number(match[1]) * ({ s: 1, m: 60, h: 3600 }[match[2] ?? 's'] ?? 1) * 1000
}

/**
 * gcloud builds submit [SOURCE] --tag IMAGE [--suppress-logs] [--async]
 *
 * The build is real: the files gcloud would upload (after .gcloudignore) become the context of a
 * `docker build --network host` on this machine (Docker applies the context's .dockerignore, as
 * Cloud Build's docker step does). Its output is the build log; a failing step is FAILURE, then
 * the push fails when the repository does not exist. Docker's layer cache is used (Cloud Build's
 * `--tag` builds pass --no-cache), so an identical rebuild is faster than on Google's machines.
 */
export async function buildsSubmit(ctx: Context): Promise<void> {
  const project = projectOf(ctx)
  const tag = flagValue(ctx.parsed, '--tag')
  if (!tag) throw notModelled('gcloud builds submit without --tag (--config, --pack)')
  const source = ctx.parsed.positionals[0] ?? '.'
  const sourceDir = isAbsolute(source) ? source : resolve(ctx.cwd, source)
  if (!existsSync(sourceDir) || !statSync(sourceDir).isDirectory()) throw notModelled('a source that is not a directory')
  if (!existsSync(resolve(sourceDir, 'Dockerfile')))
    throw fail(ctx, 'Invalid value for [source]: Dockerfile required when specifying --tag')
  checkProject(ctx, project, 'cloudbuild.builds.create', `projects/${project}`)
  const timeoutMs = buildTimeoutMs(ctx)

  const uploaded = uploadedFiles(sourceDir)
  ctx.read.uploaded = uploaded
  ctx.read.dockerfile = readFileSync(resolve(sourceDir, 'Dockerfile'), 'utf8')
  const number = nextCounter(ctx.state)
  const id = `${hexId(`build-${number}`, 8)}-${hexId(`b-${number}`, 4)}-4${hexId(`c-${number}`, 3)}-8${hexId(`d-${number}`, 3)}-${hexId(`e-${number}`, 12)}`
  const image = AR_IMAGE.exec(tag)
  const time = now()
  const build: Build = { id, projectId: project, status: 'SUCCESS', tag, createTime: time, finishTime: time, uploaded, log: '' }
  const bytes = uploaded.reduce((sum, file) => sum + statSync(join(sourceDir, file)).size, 0)
  ctx.stderr.push(
    `Creating temporary archive of ${uploaded.length} file(s) totalling ${humanSize(bytes)} before compression.\n`,
    `Uploading tarball of [${source}] to [gs://${project}_cloudbuild/source/${id}.tgz]\n`,
    `Created [https://cloudbuild.googleapis.com/v1/projects/${project}/locations/global/builds/${id}].\n`,
    `Logs are available at [ ${buildLogUrl(ctx.state, build)} ].\n`,
  )
  if (flagSwitch(ctx.parsed, '--async')) throw notModelled('gcloud builds submit --async (the build runs while gcloud waits)')
  // gcloud prints these lines before the build starts, and the log streams after them.
  process.stderr.write(ctx.stderr.splice(0).join(''))
  const stream = !flagSwitch(ctx.parsed, '--suppress-logs')
  const log: string[] = []
  const write = (text: string): void => {
    log.push(text)
    if (stream) ctx.live(text)
  }
  if (stream)
    ctx.live(
      '------------------------------------------------- REMOTE BUILD OUTPUT --------------------------------------------------\n',
    )
  write(
    `starting build "${id}"\n\nFETCHSOURCE\nFetching storage object: gs://${project}_cloudbuild/source/${id}.tgz\nBUILD\nAlready have image (with digest): gcr.io/cloud-builders/docker\n`,
  )
  let detail: string | undefined
  if (!image) {
    detail = `failed to push image: invalid reference format: ${tag}`
  } else {
    const context = mkdtempSync(join(ctx.stateDir, 'build-context-'))
    try {
      for (const file of uploaded) {
        mkdirSync(dirname(join(context, file)), { recursive: true })
        cpSync(join(sourceDir, file), join(context, file), { verbatimSymlinks: true })
      }
      const localImage = `${localRepository(ctx.stateDir)}:${number}`
      // Tagged locally under this stand-in's own name: the registry is state.images (reference → image ID).
      // --force-rm: a failed step's container goes too (the legacy builder keeps it otherwise).
      const built = await docker(['build', '--network', 'host', '--force-rm', '-t', localImage, context], {
        onOutput: write,
        timeoutMs,
      })
      if (built.timedOut) {
        build.status = 'TIMEOUT'
        detail = `Build timeout after ${timeoutMs / 1000} seconds`
      } else if (built.exitCode !== 0) {
        detail = 'Build step failure: build step 0 "gcr.io/cloud-builders/docker" failed: step exited with non-zero status: 1'
      } else if (!ctx.state.repositories.includes(`${image[1]}/${image[2]}/${image[3]}`)) {
        write(`PUSH\nPushing ${tag}\nThe push refers to repository [${tag.replace(/[:@][^/]*$/, '')}]\n`)
        detail = `failed to push image: name unknown: Repository "${image[3]}" not found`
      } else {
        build.digest = await imageId(localImage)
        build.localImage = localImage
        if (!build.digest) throw new Error(`gcloud stand-in: docker built ${localImage} but cannot inspect it`)
        const base = tag.replace(/@.*$/, '').replace(/:[^/]*$/, '')
        ctx.state.images[/:[^/]*$/.test(tag) ? tag : `${tag}:latest`] = build.digest
        ctx.state.images[`${base}@${build.digest}`] = build.digest
        write(`PUSH\nPushing ${tag}\n${/:([^/]*)$/.exec(tag)?.[1] ?? 'latest'}: digest: ${build.digest} size: 2417\nDONE\n`)
      }
    } finally {
      rmSync(context, { recursive: true, force: true })
    }
  }
  if (detail) {
    if (build.status === 'SUCCESS') build.status = 'FAILURE'
    build.failureDetail = detail
    write(`ERROR\nERROR: ${detail}\n`)
  }
  build.finishTime = now()
  build.log = log.join('')
  ctx.state.builds[id] = build
  if (stream)
    ctx.live(
      '----------------------------------------------------------------------------------------------------------------------\n',
    )
  if (build.status !== 'SUCCESS') {
    ctx.stderr.push(`\nBUILD FAILURE: ${detail}\n`)
    throw fail(ctx, `build ${id} completed with status "${build.status}"`)
  }
  printResource(ctx, buildJson(ctx.state, build))
}

function humanSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} bytes`
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`
}

function findBuild(ctx: Context): Build {
  const project = projectOf(ctx)
  const id = ctx.parsed.positionals[0] as string
  checkProject(ctx, project, 'cloudbuild.builds.get', `projects/${project}`)
  const build = ctx.state.builds[id]
  if (!build || build.projectId !== project) throw fail(ctx, 'NOT_FOUND: Requested entity was not found.')
  return build
}

/** gcloud builds describe ID */
export function buildsDescribe(ctx: Context): void {
  printResource(ctx, buildJson(ctx.state, findBuild(ctx)))
}

/** gcloud builds log ID: the stored log on stdout. */
export function buildsLog(ctx: Context): void {
  const build = findBuild(ctx)
  ctx.stdout.push(
    `-------------------------------------------------------------------------------- REMOTE BUILD OUTPUT --------------------------------------------------------------------------------\n${build.log}`,
  )
}

const IMAGE_NOT_FOUND = `Image not found.

A valid container image can be referenced by tag or digest, has the format of
  LOCATION-docker.DOMAIN/PROJECT-ID/REPOSITORY-ID/IMAGE:tag
  LOCATION-docker.DOMAIN/PROJECT-ID/REPOSITORY-ID/IMAGE@sha256:digest`

/** gcloud artifacts docker images describe IMAGE */
export function imagesDescribe(ctx: Context): void {
  const reference = ctx.parsed.positionals[0] as string
  const image = AR_IMAGE.exec(reference)
  accountOf(ctx)
  const digest = ctx.state.images[image && !image[5] && !image[6] ? `${reference}:latest` : reference]
  if (!image || !digest) throw fail(ctx, IMAGE_NOT_FOUND)
  const base = reference.replace(/@.*$/, '').replace(/:[^/]*$/, '')
  printResource(ctx, {
    image_summary: {
      digest,
      fully_qualified_digest: `${base}@${digest}`,
      registry: `${image[1]}-docker.pkg.dev`,
      repository: image[3],
      slsa_build_level: 'unknown',
    },
  })
}

function repositoryKey(ctx: Context): { key: string; name: string; location: string; project: string } {
  const project = projectOf(ctx)
  const location = flagValue(ctx.parsed, '--location') ?? property(ctx.env, 'artifacts/location')
  if (!location)
    throw fail(
      ctx,
      'Error parsing [repository].\nThe [repository] resource is not properly specified.\nFailed to find attribute [location]. The attribute can be set in the following ways: \n- provide the argument `--location` on the command line\n- set the property `artifacts/location`',
    )
  const name = ctx.parsed.positionals[0] as string
  checkProject(
    ctx,
    project,
    'artifactregistry.repositories.get',
    `projects/${project}/locations/${location}/repositories/${name}`,
  )
  return { key: `${location}/${project}/${name}`, name, location, project }
}

function repositoryJson(repo: { name: string; location: string; project: string }): Record<string, unknown> {
  return {
    name: `projects/${repo.project}/locations/${repo.location}/repositories/${repo.name}`,
    format: 'DOCKER',
    mode: 'STANDARD_REPOSITORY',
    createTime: '2024-01-01T00:00:00Z',
    updateTime: '2024-01-01T00:00:00Z',
    sizeBytes: '0',
  }
}

/** gcloud artifacts repositories describe REPO --location LOCATION */
export function repositoriesDescribe(ctx: Context): void {
  const repo = repositoryKey(ctx)
  if (!ctx.state.repositories.includes(repo.key)) throw fail(ctx, `NOT_FOUND: Requested entity was not found.`)
  printResource(ctx, repositoryJson(repo))
}

/** gcloud artifacts repositories create REPO --repository-format docker --location LOCATION */
export function repositoriesCreate(ctx: Context): void {
  const repo = repositoryKey(ctx)
  if (flagValue(ctx.parsed, '--repository-format')?.toLowerCase() !== 'docker')
    throw notModelled('repository formats other than docker')
  if (ctx.state.repositories.includes(repo.key)) throw fail(ctx, `ALREADY_EXISTS: the repository already exists`)
  ctx.state.repositories.push(repo.key)
  ctx.stderr.push(
    `Create request issued for: [${repo.name}]\nWaiting for operation [projects/${repo.project}/locations/${repo.location}/operations/${hexId(repo.key, 8)}] to complete...done.\nCreated repository [${repo.name}].\n`,
  )
  printResource(ctx, repositoryJson(repo), { defaultOutput: 'none' })
}
