import { randomBytes } from 'node:crypto'
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises'
import path from 'node:path'
import type { Logger } from '@django-deploy/shared/runtime'
import { extractCssRefs, extractHtmlRefs, extractRobotsSitemaps, extractXmlRefs, type Ref } from './links.js'
import { baseType, isHtml, needsContentTypeHeader, outputFileFor } from './paths.js'
import type { PageFetcher, PageResponse } from './fetcher.js'

/**
 * The built-in generator: crawl the running Django app like a visitor and a search engine would,
 * and write what it serves. Seeds are `/`, `/robots.txt` (and the sitemaps it names),
 * `/sitemap.xml` (sitemap indexes are followed) and `extra-paths`; from every page it follows
 * links and assets (links.ts), from stylesheets `url()` and `@import`. The URLconf's
 * parameterless patterns (seeds.ts) are seeds too.
 *
 * A seed nobody links to that answers 4xx (`/` on a site without a view there, a POST-only
 * pattern answering 405) is not a broken link: it is reported as "not found (a seed, not linked
 * from any page)" and published as nothing. `extra-paths` must exist (a 4xx there is broken).
 *
 * - Static files (under STATIC_URL) and media (under MEDIA_URL) are not fetched over HTTP: the
 *   reference is checked against STATIC_ROOT / MEDIA_ROOT on disk and the file copied, which is
 *   both faster and independent of whether the app serves media with DEBUG off.
 * - Redirects become `_redirects` rules; the redirect target is crawled.
 * - A URL with a query string (`?page=2`) is fetched so the links on it are found, but cannot be
 *   saved (a static host serves one file per path); it is reported with the pages linking to it.
 * - Non-200 answers are reported with the pages that link to them (broken links).
 * - Off-site links are counted and left alone.
 * - The app's own 404 page (for a path that cannot exist) becomes `404.html`.
 * Requests run concurrently (`concurrency` at a time).
 */
export interface CrawlOptions {
  fetcher: PageFetcher
  log: Logger
  outputDir: string
  /** Extra paths to start from (the `extra-paths` input), each starting with `/`. */
  extraPaths: string[]
  /** Paths listed from the URLconf (seeds.ts); optional like `/`. */
  urlconfPaths?: string[]
  /** Origins whose URLs count as this site (the local server, the public base URL). */
  siteOrigins: string[]
  /** Resolve page-relative URLs against this origin (what the pages were requested as). */
  requestOrigin: string
  staticFiles?: { urlPrefix: string; root: string }
  mediaFiles?: { urlPrefix: string; root: string }
  concurrency: number
  /** Cap on URLs fetched, a guard against infinite URL spaces (calendars, faceted search). */
  maxUrls?: number
  /**
   * The bytes to write for a saved answer (the local origin and CSRF tokens replaced, output.ts),
   * given the output file and the body as served; links are found in the body as served.
   */
  finish?: (file: string, body: Buffer) => Buffer
}

export interface Redirect {
  from: string
  to: string
  status: number
}

export interface Problem {
  url: string
  /** HTTP status, or 0 when the request failed. */
  status: number
  detail?: string
  /** Pages (URL paths) that link to it; empty for seeds. */
  referrers: string[]
}

export interface CrawlResult {
  /** output file → content type, for files written from HTTP answers. */
  written: Map<string, string>
  /** HTML pages written. */
  pages: number
  staticFiles: Set<string>
  mediaFiles: Set<string>
  redirects: Redirect[]
  /** URLs with a query string, which a static site cannot serve, with their referrers. */
  queryUrls: Problem[]
  /** Internal URLs that answered something other than 200 or a redirect. */
  broken: Problem[]
  /**
   * Optional seeds (`/`, URLconf patterns, sitemap.xml, robots.txt) that answered 4xx and that no
   * page links to: worth a notice, not a failure.
   */
  missingSeeds: Problem[]
  offsite: number
  notFoundPage: 'written' | 'not-html' | 'no-404'
  fetched: number
  truncated: boolean
  /** Files that must be served with another Content-Type than their extension says. */
  contentTypes: Map<string, string>
}

interface Target {
  /** path + query, e.g. `/blog/?page=2`. */
  key: string
  path: string
  query: string
  seed: boolean
}

export async function crawl(options: CrawlOptions): Promise<CrawlResult> {
  const { fetcher, log, outputDir } = options
  const origins = new Set(options.siteOrigins.map((origin) => new URL(origin).origin))
  const result: CrawlResult = {
    written: new Map(),
    pages: 0,
    staticFiles: new Set(),
    mediaFiles: new Set(),
    redirects: [],
    queryUrls: [],
    broken: [],
    missingSeeds: [],
    offsite: 0,
    notFoundPage: 'no-404',
    fetched: 0,
    truncated: false,
    contentTypes: new Map(),
  }
  const referrers = new Map<string, Set<string>>()
  const seen = new Set<string>()
  const queue: Target[] = []
  const maxUrls = options.maxUrls ?? 100_000
  const offsiteSeen = new Set<string>()
  const optionalSeeds = new Set<string>()

  const note = (key: string, from: string | undefined): void => {
    if (from === undefined) return
    let set = referrers.get(key)
    if (!set) referrers.set(key, (set = new Set()))
    set.add(from)
  }

  /** Resolve a reference found on `from` (a URL) and queue it if it is ours. */
  const enqueue = (raw: string, fromUrl: string, fromPath: string | undefined, seed = false): void => {
    if (raw.trim().startsWith('#') || /^(mailto|tel|javascript|data|blob|about|sms|ftp):/i.test(raw.trim())) return
    let url: URL
    try {
      url = new URL(raw, fromUrl)
    } catch {
      return
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return
    if (!origins.has(url.origin)) {
      if (!offsiteSeen.has(url.href)) {
        offsiteSeen.add(url.href)
        result.offsite++
      }
      return
    }
    const key = url.pathname + url.search
    note(key, fromPath)
    if (url.search) note(url.pathname, undefined)
    if (seen.has(key)) return
    if (seen.size >= maxUrls) {
      result.truncated = true
      return
    }
    seen.add(key)
    if (seed) optionalSeeds.add(key)
    queue.push({ key, path: url.pathname, query: url.search, seed })
  }

  const localUrl = (key: string): string => `${options.requestOrigin}${key}`

  const staticTarget = (urlPath: string): { kind: 'static' | 'media'; file: string; relative: string } | undefined => {
    for (const [kind, mapping] of [
      ['static', options.staticFiles],
      ['media', options.mediaFiles],
    ] as const) {
      if (!mapping || !urlPath.startsWith(mapping.urlPrefix)) continue
      let relative: string
      try {
        relative = decodeURIComponent(urlPath.slice(mapping.urlPrefix.length))
      } catch {
        return undefined
      }
      const file = path.resolve(mapping.root, relative)
      if (!file.startsWith(path.resolve(mapping.root) + path.sep)) return undefined
      return { kind, file, relative }
    }
    return undefined
  }

  const save = async (file: string, body: Buffer, contentType: string): Promise<void> => {
    const full = path.join(outputDir, file)
    await mkdir(path.dirname(full), { recursive: true })
    await writeFile(full, options.finish ? options.finish(file, body) : body)
    result.written.set(file, contentType)
    if (needsContentTypeHeader(file, contentType)) result.contentTypes.set(file, baseType(contentType))
  }

  const followContent = (response: PageResponse, target: Target): void => {
    const type = response.headers['content-type']
    const fromUrl = localUrl(target.key)
    const text = (): string => response.body.toString('utf8')
    if (isHtml(type)) {
      const { refs, base } = extractHtmlRefs(text())
      const baseUrl = base ? new URL(base, fromUrl).href : fromUrl
      for (const ref of refs) enqueue(ref.url, baseUrl, target.path)
    } else if (baseType(type) === 'text/css') {
      for (const url of extractCssRefs(text())) enqueue(url, fromUrl, target.path)
    } else if (/xml|rss|atom/.test(baseType(type))) {
      for (const ref of safeXmlRefs(text())) enqueue(ref.url, fromUrl, target.path)
    } else if (target.path === '/robots.txt' && baseType(type) === 'text/plain') {
      for (const url of extractRobotsSitemaps(text())) enqueue(url, fromUrl, target.path)
    }
  }

  const visit = async (target: Target): Promise<void> => {
    const local = staticTarget(target.path)
    if (local) {
      const info = await stat(local.file).catch(() => undefined)
      if (!info?.isFile()) {
        result.broken.push({
          url: target.key,
          status: 404,
          detail: `not in ${local.kind === 'static' ? 'STATIC_ROOT (after collectstatic)' : 'MEDIA_ROOT'}`,
          referrers: [],
        })
        return
      }
      ;(local.kind === 'static' ? result.staticFiles : result.mediaFiles).add(local.relative)
      if (local.file.endsWith('.css')) {
        const fromUrl = localUrl(target.path)
        for (const url of extractCssRefs(await readFile(local.file, 'utf8'))) enqueue(url, fromUrl, target.path)
      }
      return
    }
    let response: PageResponse
    try {
      response = await fetcher.get(target.key)
    } catch (error) {
      result.broken.push({
        url: target.key,
        status: 0,
        detail: error instanceof Error ? error.message : String(error),
        referrers: [],
      })
      return
    }
    result.fetched++
    const { status } = response
    if (status >= 300 && status < 400 && response.headers.location) {
      const destination = new URL(response.headers.location, localUrl(target.key))
      const internal = origins.has(destination.origin)
      const to = internal ? destination.pathname + destination.search : destination.href
      // `/about` → `/about/` is what Netlify does by itself for about/index.html.
      const slashOnly = internal && !target.query && !destination.search && destination.pathname === `${target.path}/`
      if (!slashOnly && !target.query)
        result.redirects.push({ from: target.path, to, status: status === 301 || status === 308 ? 301 : 302 })
      else if (target.query) result.queryUrls.push({ url: target.key, status, detail: `redirects to ${to}`, referrers: [] })
      enqueue(response.headers.location, localUrl(target.key), target.path)
      return
    }
    if (status !== 200) {
      result.broken.push({ url: target.key, status, referrers: [] })
      return
    }
    followContent(response, target)
    if (target.query) {
      result.queryUrls.push({ url: target.key, status, referrers: [] })
      return
    }
    const contentType = response.headers['content-type'] ?? 'application/octet-stream'
    const file = outputFileFor(target.path, contentType)
    if (!file) {
      result.broken.push({ url: target.key, status, detail: 'the path cannot be a file name', referrers: [] })
      return
    }
    await save(file, response.body, contentType)
    if (isHtml(contentType)) result.pages++
  }

  const start = `${options.requestOrigin}/`
  // The extra paths must exist; `/`, the URLconf's paths, robots.txt and sitemap.xml need not.
  for (const seed of options.extraPaths) enqueue(seed, start, undefined)
  for (const seed of ['/', ...(options.urlconfPaths ?? []), '/robots.txt', '/sitemap.xml']) enqueue(seed, start, undefined, true)

  // The app's own 404 page, from a path that cannot exist.
  const notFoundKey = `/django-deploy-static-404-${randomBytes(6).toString('hex')}/`
  const notFound = await fetcher.get(notFoundKey).catch(() => undefined)
  if (notFound?.status === 404 && isHtml(notFound.headers['content-type'])) {
    await save('404.html', notFound.body, notFound.headers['content-type'] ?? 'text/html')
    followContent(notFound, { key: notFoundKey, path: notFoundKey, query: '', seed: true })
    result.notFoundPage = 'written'
  } else if (notFound?.status === 404) {
    result.notFoundPage = 'not-html'
  }

  // Newest-found first (a stack, not a queue). Pagination links only to the next page, so
  // `/blog/page/2/` → `/3/` → … is a chain of one request after another; first-in-first-out put
  // each next page behind everything found before it (a sitemap's thousand posts), and the crawl
  // ended with the chain alone, one request in flight and the other workers idle (a quarter of
  // the wall time on a 2,000-page site). Taken newest first, the chain advances as soon as a
  // slot frees, alongside the rest. The order changes nothing else: every URL is still fetched
  // once and the reports are sorted.
  let active = 0
  await new Promise<void>((resolve, reject) => {
    const pump = (): void => {
      while (active < options.concurrency && queue.length) {
        const target = queue.pop() as Target
        active++
        visit(target)
          .then(() => {
            active--
            if (queue.length === 0 && active === 0) resolve()
            else pump()
          })
          .catch(reject)
      }
      if (queue.length === 0 && active === 0) resolve()
    }
    pump()
  })

  for (const problem of [...result.broken, ...result.queryUrls, ...result.missingSeeds]) {
    problem.referrers = [...(referrers.get(problem.url) ?? [])].sort()
  }
  // An optional seed that answered 4xx and that no page links to is simply not part of the site.
  const unlinkedSeed = (problem: Problem): boolean =>
    optionalSeeds.has(problem.url) && problem.status >= 400 && problem.status < 500 && problem.referrers.length === 0
  result.missingSeeds.push(...result.broken.filter(unlinkedSeed))
  result.broken = result.broken.filter((problem) => !unlinkedSeed(problem))
  // A query URL's referrers, and broken links found from several pages, sorted for stable reports.
  result.broken.sort((a, b) => a.url.localeCompare(b.url))
  result.queryUrls.sort((a, b) => a.url.localeCompare(b.url))
  result.missingSeeds.sort((a, b) => a.url.localeCompare(b.url))
  log.debug(
    `crawl: ${result.fetched} requests, ${result.pages} pages, ${result.staticFiles.size} static, ${result.mediaFiles.size} media files`,
  )
  return result
}

function safeXmlRefs(xml: string): Ref[] {
  try {
    return extractXmlRefs(xml)
  } catch {
    return []
  }
}
