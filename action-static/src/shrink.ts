import { ActionError } from '@django-deploy/shared/errors'
import type { Logger } from '@django-deploy/shared/runtime'
import { NetlifyApiError, type NetlifyApi } from './netlify/api.js'
import type { NetlifySite } from './netlify/types.js'

/**
 * A production deploy with drastically fewer pages than the one it replaces is almost always a
 * broken build (an empty database, a wrong database-url, a seed that stopped answering), not an
 * intended change: it is refused unless `allow-fewer-pages: true`. "Drastically" is below half.
 * Pages are counted the same way on both sides: `.html` files other than `404.html`.
 */
export const SHRINK_RATIO = 0.5

export function countPages(paths: Iterable<string>): number {
  let pages = 0
  for (const entry of paths) {
    const file = entry.replace(/^\/+/, '')
    if (/\.html?$/i.test(file) && file !== '404.html') pages++
  }
  return pages
}

export async function refuseShrinkingProduction(
  api: Pick<NetlifyApi, 'listSiteFiles'>,
  site: NetlifySite,
  pages: number | undefined,
  log: Logger,
): Promise<void> {
  if (pages === undefined || !site.published_deploy?.id) return
  let files: Array<{ path: string }>
  try {
    files = await api.listSiteFiles(site.id)
  } catch (error) {
    // No published deploy (any more): nothing to compare with.
    if (error instanceof NetlifyApiError && error.status === 404) return
    throw error
  }
  const current = countPages(files.map((file) => file.path))
  log.debug(`Production has ${current} pages; this deploy has ${pages}.`)
  if (current > 0 && pages < current * SHRINK_RATIO) {
    throw new ActionError(
      `This deploy has ${pages} page${pages === 1 ? '' : 's'}, less than half of the ${current} pages in production on ${site.name}; not deploying to production.`,
      {
        input: 'allow-fewer-pages',
        hint: 'Check the build (the database, database-url, fixtures, the notices above). If the site really shrank, set allow-fewer-pages: true for this run.',
      },
    )
  }
}
