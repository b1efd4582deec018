import type { Logger } from '@django-deploy/shared/runtime'
import { NetlifyApiError, type NetlifyApi } from './api.js'
import type { NetlifyDeploy, NetlifySite } from './types.js'

/**
 * Removing a preview alias when its pull request closes. Netlify serves
 * `https://<alias>--<site>.netlify.app` from the newest ready deploy whose `branch` is the alias,
 * so the URL only stops serving once *every* such deploy is gone: deleting the newest alone
 * brings back the one before it.
 *
 * Never deleted, whatever their branch:
 *  - the site's published production deploy (Netlify refuses that too);
 *  - deploys in the `production` context: they are the site's rollback history, and a production
 *    branch could in principle carry the same name as an alias.
 */
export interface Selection {
  /** Oldest first: see `removeAliasDeploys`. */
  remove: NetlifyDeploy[]
  /** Deploys of the alias that stay, with why. */
  keep: Array<{ deploy: NetlifyDeploy; reason: string }>
}

export function selectAliasDeploys(
  deploys: readonly NetlifyDeploy[],
  alias: string,
  site: Pick<NetlifySite, 'published_deploy'>,
): Selection {
  const publishedId = site.published_deploy?.id
  const seen = new Set<string>()
  const selection: Selection = { remove: [], keep: [] }
  for (const deploy of deploys) {
    // Pages can overlap when a deploy is created between two page requests.
    if (seen.has(deploy.id)) continue
    seen.add(deploy.id)
    // The listing was asked for this branch; a server that ignores the filter must not make us delete others.
    if (deploy.branch !== alias) continue
    if (publishedId !== undefined && deploy.id === publishedId)
      selection.keep.push({ deploy, reason: "it is the site's published production deploy" })
    else if (deploy.context === 'production')
      selection.keep.push({ deploy, reason: 'it is a production deploy (rollback history)' })
    else selection.remove.push(deploy)
  }
  selection.remove.sort(oldestFirst)
  return selection
}

function oldestFirst(a: NetlifyDeploy, b: NetlifyDeploy): number {
  const at = (deploy: NetlifyDeploy): number => Date.parse(deploy.created_at ?? '') || 0
  return at(a) - at(b)
}

/** Netlify pages lists by 100 at most (its default); fewer than that on a page means the last page. */
export const PER_PAGE = 100
/** 20 000 deploys: only reached when a server ignores the branch filter on a very busy site. */
export const MAX_PAGES = 200

export interface AliasDeploys {
  deploys: NetlifyDeploy[]
  /** MAX_PAGES full pages came back: there may be more. */
  truncated: boolean
}

/** Every page first, deletions after: deleting while paging would shift later pages under us. */
export async function listAliasDeploys(api: NetlifyApi, siteId: string, alias: string): Promise<AliasDeploys> {
  const deploys: NetlifyDeploy[] = []
  for (let page = 1; page <= MAX_PAGES; page++) {
    const batch = await api.listSiteDeploys(siteId, { branch: alias, page, perPage: PER_PAGE })
    deploys.push(...batch)
    if (batch.length < PER_PAGE) return { deploys, truncated: false }
  }
  return { deploys, truncated: true }
}

export interface AliasRemovalProgress {
  /** Deploys of the alias found (after de-duplication), kept ones included. */
  found: number
  deleted: NetlifyDeploy[]
  /** Selected, but Netlify no longer had them (404): a concurrent run, or a retried delete that had worked. */
  alreadyGone: string[]
  kept: Selection['keep']
  truncated: boolean
}

export function emptyProgress(): AliasRemovalProgress {
  return { found: 0, deleted: [], alreadyGone: [], kept: [], truncated: false }
}

/**
 * Delete the alias's deploys, one at a time and oldest first, so that a run failing half-way
 * leaves the alias serving its latest preview (as before), never an older one; a re-run then
 * finishes the job. `progress` is filled as it goes, so a failure can still report what was done.
 */
export async function removeAliasDeploys(
  options: { api: NetlifyApi; log: Logger; site: NetlifySite; alias: string },
  progress: AliasRemovalProgress = emptyProgress(),
): Promise<AliasRemovalProgress> {
  const { api, log, site, alias } = options
  const listed = await listAliasDeploys(api, site.id, alias)
  const selection = selectAliasDeploys(listed.deploys, alias, site)
  progress.found = selection.remove.length + selection.keep.length
  progress.kept = selection.keep
  progress.truncated = listed.truncated
  for (const { deploy, reason } of selection.keep)
    log.warning(`Netlify: deploy ${deploy.id} of alias ${alias} is kept because ${reason}; the alias may go on serving it.`)
  log.info(
    `Netlify: ${progress.found} deploy${progress.found === 1 ? '' : 's'} of alias ${alias} on site ${site.name}; deleting ${selection.remove.length}.`,
  )
  for (const deploy of selection.remove) {
    try {
      await api.deleteSiteDeploy(site.id, deploy.id)
      progress.deleted.push(deploy)
      log.info(`Netlify: deleted deploy ${deploy.id}${deploy.title ? ` (${deploy.title})` : ''}.`)
    } catch (error) {
      if (!(error instanceof NetlifyApiError) || error.status !== 404) throw error
      progress.alreadyGone.push(deploy.id)
      log.info(`Netlify: deploy ${deploy.id} was already gone.`)
    }
  }
  return progress
}
