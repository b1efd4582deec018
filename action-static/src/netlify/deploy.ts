import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { ActionError, TimeoutError } from '@django-deploy/shared/errors'
import type { Logger } from '@django-deploy/shared/runtime'
import { mapLimit } from '../util/concurrency.js'
import { NetlifyApiError, type NetlifyApi } from './api.js'
import type { Digest } from './digest.js'
import type { DeployTarget, NetlifyDeploy, NetlifySite } from './types.js'
import { chooseUploadMode, ZIP_UPLOAD_THRESHOLD, type UploadMode } from './upload-mode.js'
import { writeSiteZip } from './zip.js'

/**
 * One Netlify deploy by file digest, in as few requests as the API allows:
 *
 *   1. one `POST /sites/{id}/deploys` carrying the whole file list (async diff above 100 files);
 *   2. wait for the diff when it is async;
 *   3. upload only the SHA1s Netlify lists in `required` — each to every path that has it —
 *      several at once;
 *   4. poll until `ready`.
 *
 * An unchanged redeploy is therefore one create call and no upload. Any failure after step 1
 * cancels the deploy, so a half-uploaded deploy never goes live; the deadline (the `timeout`
 * input) covers all of it.
 *
 * A production deploy that needs more than ZIP_UPLOAD_THRESHOLD uploads switches to one zip
 * after step 2 (upload-mode.ts says why): the digest deploy is cancelled, the whole site goes up in one
 * `POST /sites/{id}/deploys` with `Content-Type: application/zip`, and step 4 follows. Targets
 * are in types.ts.
 */
export type { DeployTarget } from './types.js'

export interface SiteRef {
  id?: string
  name?: string
}

export interface DeployOptions {
  api: NetlifyApi
  log: Logger
  site: SiteRef
  digest: Digest
  target: DeployTarget
  title?: string
  deadline: number
  /** Parallel uploads (default 16). */
  uploadConcurrency?: number
  /** Above this many files the diff is async (the CLI's limit, 100). */
  syncFileLimit?: number
  pollIntervalMs?: number
  /** More uploads than this send a production deploy as one zip (default ZIP_UPLOAD_THRESHOLD). */
  zipThreshold?: number
  /** Where the zip is written (RUNNER_TEMP in the action; default the OS temp directory). */
  tempDir?: string
  now?: () => number
  sleep?: (ms: number) => Promise<void>
}

export interface DeployResult {
  site: NetlifySite
  siteCreated: boolean
  deploy: NetlifyDeploy
  /** The stable URL: production, the alias URL, or for a draft its permalink. */
  url: string
  /** This deploy's own permalink. */
  deployUrl: string
  logsUrl?: string
  files: number
  /** Paths uploaded (a SHA shared by several paths counts once per path). */
  uploaded: number
  unchanged: number
  bytesUploaded: number
  /** Digest or zip, and the count that decided it. */
  uploadMode: UploadMode
}

const READY_WAIT_STATES = new Set([
  'uploaded',
  'processing',
  'processed',
  'preparing',
  'prepared',
  'uploading',
  'enqueued',
  'new',
  'retrying',
])
const DIFF_DONE_STATES = new Set(['prepared', 'uploading', 'uploaded', 'processing', 'processed', 'ready'])

export async function resolveSite(api: NetlifyApi, ref: SiteRef, log: Logger): Promise<{ site: NetlifySite; created: boolean }> {
  const found = await findSite(api, ref)
  if (found) return { site: found, created: false }
  const name = ref.name ?? ''
  log.info(`Netlify: no site named '${name}' yet; creating it.`)
  try {
    return { site: await api.createSite(name), created: true }
  } catch (error) {
    if (error instanceof NetlifyApiError && error.status === 422) {
      throw new ActionError(`Netlify refused to create a site named '${name}' (422 ${error.netlifyMessage}).`, {
        input: 'netlify-site-name',
        hint: 'Site names are global on netlify.app: this one is probably taken by another account. Pick another name, or set netlify-site-id to a site you own.',
      })
    }
    throw error
  }
}

/**
 * The site by id (an unknown id is an error naming netlify-site-id) or by exact name (undefined
 * when there is none: the caller decides whether to create it). Removing a preview never creates.
 */
export async function findSite(api: NetlifyApi, ref: SiteRef): Promise<NetlifySite | undefined> {
  if (ref.id) {
    try {
      return await api.getSite(ref.id)
    } catch (error) {
      if (error instanceof NetlifyApiError && error.status === 404) {
        throw new ActionError(
          `Netlify has no site with the id '${ref.id}' that this token can see (404 ${error.netlifyMessage}).`,
          {
            input: 'netlify-site-id',
            hint: "Copy the Site ID from Site configuration → Site details, and check that the token belongs to a member of the site's team. To create the site instead, set netlify-site-name.",
          },
        )
      }
      throw error
    }
  }
  const name = ref.name ?? ''
  for (let page = 1; page <= 50; page++) {
    const sites = await api.listSites(name, page)
    const exact = sites.find((site) => site.name === name)
    if (exact) return exact
    if (sites.length < 100) break
  }
  return undefined
}

export async function deploySite(options: DeployOptions, site: NetlifySite, siteCreated: boolean): Promise<DeployResult> {
  const { api, log, digest, target } = options
  const now = options.now ?? Date.now
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)))
  if (digest.files.size === 0) {
    throw new ActionError('There is nothing to deploy: the output directory holds no files.', {
      input: 'output-dir',
      hint: 'Check that the build wrote the site into output-dir (dotfiles are not deployed).',
    })
  }
  if (target.kind === 'production' && site.published_deploy?.locked) {
    throw new ActionError(`Production deploys of Netlify site '${site.name}' are locked, so this deploy would not go live.`, {
      hint: 'Unlock them in the Netlify UI (Deploys → "Start auto publishing"), or deploy a preview (production: false).',
    })
  }

  const files = Object.fromEntries(digest.files)
  const asyncDiff = digest.files.size > (options.syncFileLimit ?? 100)
  let deploy = await api.createDeploy(site.id, options.title, {
    files,
    draft: target.kind === 'draft',
    ...(target.kind === 'alias' ? { branch: target.alias } : {}),
    async: asyncDiff,
  })
  log.info(`Netlify: deploy ${deploy.id} created (${digest.files.size} files, state ${deploy.state}).`)

  let uploaded = 0
  let bytesUploaded = 0
  let uploadMode: UploadMode
  let uploads: string[]
  try {
    if (!deploy.required || !DIFF_DONE_STATES.has(deploy.state)) {
      deploy = await poll(options, site, deploy, DIFF_DONE_STATES, 'Netlify comparing the files', now, sleep)
    }
    const required = deploy.required ?? []
    uploads = required.flatMap((sha) => {
      const paths = digest.byHash.get(sha)
      if (!paths)
        throw new ActionError(`Netlify asked for a file with SHA1 ${sha}, which is not in this deploy.`, {
          hint: 'This should not happen; re-run the job, and report it if it repeats.',
        })
      return paths
    })
    uploadMode = chooseUploadMode(target, uploads.length, options.zipThreshold ?? ZIP_UPLOAD_THRESHOLD)
    log.info(
      `Netlify: ${required.length} of ${digest.byHash.size} distinct files are new (${uploads.length} paths); upload mode ${uploadMode.label}.`,
    )
  } catch (error) {
    await cancel(api, log, deploy.id)
    throw error
  }
  if (uploadMode.mode === 'zip') {
    await cancel(api, log, deploy.id, 'the site goes up as one zip instead')
    const zipped = await zipDeploy(options, site, now, sleep)
    deploy = zipped.deploy
    uploaded = digest.files.size
    bytesUploaded = zipped.bytes
  } else {
    try {
      await mapLimit(uploads, options.uploadConcurrency ?? 16, async (deployPath) => {
        const content = await readFile(digest.source.get(deployPath) as string)
        await api.uploadFile(deploy.id, deployPath, content)
        uploaded++
        bytesUploaded += content.length
      })
      deploy = await poll(options, site, deploy, new Set(['ready']), 'Netlify publishing the deploy', now, sleep)
    } catch (error) {
      await cancel(api, log, deploy.id)
      throw error
    }
  }

  const permalink =
    deploy.links?.permalink ?? deploy.deploy_ssl_url ?? deploy.deploy_url ?? `https://${deploy.id}--${site.name}.netlify.app`
  const url =
    target.kind === 'production'
      ? (site.ssl_url ?? deploy.ssl_url ?? `https://${site.name}.netlify.app`)
      : target.kind === 'alias'
        ? (deploy.links?.alias ?? `https://${target.alias}--${site.name}.netlify.app`)
        : permalink
  return {
    site,
    siteCreated,
    deploy,
    url,
    deployUrl: permalink,
    logsUrl: deploy.admin_url ? `${deploy.admin_url.replace(/\/+$/, '')}/deploys/${deploy.id}` : undefined,
    files: digest.files.size,
    uploaded,
    unchanged: digest.files.size - uploaded,
    bytesUploaded,
    uploadMode,
  }
}

/**
 * The whole site as one zip: written to a temporary file, streamed in one request (a retry after
 * a 429 or a dropped connection sends the file again from the start), then polled until ready.
 * Whatever fails, production keeps serving its previous deploy, and the error says so.
 */
async function zipDeploy(
  options: DeployOptions,
  site: NetlifySite,
  now: () => number,
  sleep: (ms: number) => Promise<void>,
): Promise<{ deploy: NetlifyDeploy; bytes: number }> {
  const { api, log, digest } = options
  let dir: string | undefined
  let created: NetlifyDeploy | undefined
  try {
    dir = await mkdtemp(path.join(options.tempDir ?? tmpdir(), 'netlify-zip-'))
    const zip = await writeSiteZip(digest, path.join(dir, 'site.zip'))
    log.info(`Netlify: uploading the site as one zip (${zip.entries} files, ${(zip.bytes / 1_048_576).toFixed(1)} MiB).`)
    // The upload may take as long as the run has left; the deadline still bounds it.
    created = await api.createZipDeploy(
      site.id,
      options.title,
      { path: zip.path, size: zip.bytes },
      Math.max(1000, options.deadline - now()),
    )
    log.info(`Netlify: deploy ${created.id} created from the zip (state ${created.state}).`)
    const ready = await poll(options, site, created, new Set(['ready']), 'Netlify publishing the zip deploy', now, sleep)
    return { deploy: ready, bytes: zip.bytes }
  } catch (error) {
    if (created) await cancel(api, log, created.id)
    throw zipFailed(error, site)
  } finally {
    if (dir) await rm(dir, { recursive: true, force: true })
  }
}

function zipFailed(error: unknown, site: NetlifySite): unknown {
  const previous = site.published_deploy?.id
  const serving = previous
    ? `The zip deploy did not go live: production still serves the previous deploy ${previous}.`
    : 'The zip deploy did not go live, and the site has no earlier production deploy, so nothing is published.'
  // Writing or reading the zip failed (a full disk, a file gone meanwhile).
  if (!(error instanceof ActionError))
    return new ActionError(
      `Could not send the zip of the site: ${error instanceof Error ? error.message : String(error)}. ${serving}`,
      {
        hint: 'Check the free space of the runner temp directory (RUNNER_TEMP) and that nothing changes output-dir during the deploy; then re-run the job.',
        cause: error,
      },
    )
  // Said in the error itself (kept as it is: its class and status still tell what happened).
  error.message = `${error.message} ${serving}`
  return error
}

async function poll(
  options: DeployOptions,
  site: NetlifySite,
  start: NetlifyDeploy,
  until: ReadonlySet<string>,
  what: string,
  now: () => number,
  sleep: (ms: number) => Promise<void>,
): Promise<NetlifyDeploy> {
  let deploy = start
  let interval = Math.min(250, options.pollIntervalMs ?? 1000)
  for (;;) {
    if (until.has(deploy.state) && (deploy.state !== 'prepared' || deploy.required)) return deploy
    if (deploy.state === 'error' || deploy.state === 'rejected') {
      throw new ActionError(`Netlify reported an error for deploy ${deploy.id}: ${deploy.error_message || 'no message'}.`, {
        hint: 'Open the deploy in the Netlify UI for details; nothing was published.',
      })
    }
    if (!READY_WAIT_STATES.has(deploy.state) && !until.has(deploy.state)) {
      throw new ActionError(`Deploy ${deploy.id} is in state '${deploy.state}', which this action does not expect.`, {
        hint: 'Open the deploy in the Netlify UI; nothing was published by this run.',
      })
    }
    if (now() + interval > options.deadline) {
      throw new TimeoutError(
        `${what} (deploy ${deploy.id}, still '${deploy.state}')`,
        Math.max(1, Math.round((options.deadline - now()) / 1000)),
        "Raise the 'timeout' input; large first deploys take longest.",
      )
    }
    await sleep(interval)
    interval = Math.min(options.pollIntervalMs ?? 1000, Math.round(interval * 1.5))
    deploy = await options.api.getDeploy(site.id, deploy.id)
  }
}

async function cancel(api: NetlifyApi, log: Logger, deployId: string, why = 'so nothing of it goes live'): Promise<void> {
  try {
    await api.cancelDeploy(deployId)
    log.info(`Netlify: deploy ${deployId} cancelled, ${why}.`)
  } catch (error) {
    // The original failure matters more; a deploy that cannot be cancelled was usually never complete.
    log.warning(`Netlify: could not cancel deploy ${deployId}: ${error instanceof Error ? error.message : String(error)}`)
  }
}
