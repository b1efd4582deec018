import { open, readdir, readFile } from 'node:fs/promises'
import path from 'node:path'
import { extractCssRefs, extractHtmlRefs } from './links.js'
import { typeOfExtension, urlPathOf } from './paths.js'

/**
 * Checks on a finished output directory, whichever generator wrote it (the crawler, django-bakery,
 * django-distill or a custom command), judged by how Netlify will serve it:
 *
 * - every internal link and asset of every page and stylesheet resolves to a file, a pretty URL
 *   (`a/` → `a/index.html`, `a` → `a.html`) or a `_redirects` rule;
 * - links with a query string are listed (a static host ignores the query);
 * - text files that are gzip bytes under their plain name (django-bakery's `BAKERY_GZIP`): Netlify
 *   would send them without `Content-Encoding` and browsers would show garbage;
 * - pages that are Django's own error pages (a "Bad Request (400)" written as index.html by
 *   wagtail-bakery when ALLOWED_HOSTS is wrong, a 404/500 body) — non-200 renders;
 * - a missing `404.html`;
 * - pages with a form that posts (`<form method="post">`): nothing on a static host receives it.
 */
export interface BrokenLink {
  /** The URL as written in the page. */
  url: string
  /** Resolved path that does not exist. */
  path: string
  /** Output files that reference it. */
  from: string[]
}

export interface CheckReport {
  files: number
  /** HTML pages, not counting 404.html. */
  pages: number
  broken: BrokenLink[]
  queryLinks: BrokenLink[]
  gzipped: string[]
  errorPages: Array<{ file: string; what: string }>
  missing404: boolean
  offsite: number
  /** HTML files with a `<form method="post">`, sorted. */
  postForms: string[]
}

const POST_FORM = /<form\b[^>]*\bmethod\s*=\s*["']?post\b/i

const TEXT_EXTENSIONS = new Set([
  '.html',
  '.htm',
  '.css',
  '.js',
  '.mjs',
  '.json',
  '.xml',
  '.txt',
  '.svg',
  '.rss',
  '.atom',
  '.csv',
  '.map',
  '.webmanifest',
])

/** Bodies Django's default error views render (`django/views/defaults.py`) and the DEBUG-off 400 page. */
const ERROR_PAGES: Array<[RegExp, string]> = [
  [/<h1>Bad Request \(400\)<\/h1>/, 'Django\'s "Bad Request (400)" page (check ALLOWED_HOSTS)'],
  [/<h1>Server Error \(500\)<\/h1>/, 'Django\'s "Server Error (500)" page'],
  [/<h1>403 Forbidden<\/h1>/, 'Django\'s "403 Forbidden" page'],
  [/<title>Not Found<\/title>[\s\S]*<h1>Not Found<\/h1>/, 'Django\'s default "Not Found" page'],
]

export async function checkOutput(outputDir: string, options: { siteOrigins?: string[] } = {}): Promise<CheckReport> {
  const files = await listFiles(outputDir)
  const fileSet = new Set(files)
  const redirectSources = await readRedirectSources(path.join(outputDir, '_redirects'))
  const origins = new Set((options.siteOrigins ?? []).map((origin) => new URL(origin).origin))
  const broken = new Map<string, BrokenLink>()
  const queryLinks = new Map<string, BrokenLink>()
  const report: CheckReport = {
    files: files.length,
    pages: 0,
    broken: [],
    queryLinks: [],
    gzipped: [],
    errorPages: [],
    missing404: !fileSet.has('404.html'),
    offsite: 0,
    postForms: [],
  }
  const fakeOrigin = 'http://static.invalid'

  const exists = (urlPath: string): boolean => {
    let decoded: string
    try {
      decoded = decodeURIComponent(urlPath)
    } catch {
      return false
    }
    const relative = decoded.replace(/^\/+/, '')
    const normalised = urlPath.length > 1 ? urlPath.replace(/\/+$/, '') : urlPath
    if (redirectSources.has(normalised) || redirectSources.has(`${normalised}/`)) return true
    if (relative === '' || relative.endsWith('/')) return fileSet.has(`${relative}index.html`)
    return fileSet.has(relative) || fileSet.has(`${relative}/index.html`) || fileSet.has(`${relative}.html`)
  }

  const consider = (raw: string, pageUrl: string, file: string): void => {
    const trimmed = raw.trim()
    if (trimmed === '' || trimmed.startsWith('#') || /^(mailto|tel|javascript|data|blob|about|sms):/i.test(trimmed)) return
    let url: URL
    try {
      url = new URL(trimmed, pageUrl)
    } catch {
      return
    }
    if (url.origin !== fakeOrigin && !origins.has(url.origin)) {
      report.offsite++
      return
    }
    const record = (into: Map<string, BrokenLink>): void => {
      const key = url.pathname + url.search
      const entry = into.get(key) ?? { url: trimmed, path: key, from: [] }
      if (!entry.from.includes(file)) entry.from.push(file)
      into.set(key, entry)
    }
    if (!exists(url.pathname)) record(broken)
    else if (url.search && !typeOfExtension(url.pathname)?.match(/css|javascript|image|font/)) record(queryLinks)
  }

  for (const file of files) {
    const extension = path.posix.extname(file).toLowerCase()
    if (!TEXT_EXTENSIONS.has(extension)) continue
    const full = path.join(outputDir, file)
    const parsed = extension === '.html' || extension === '.htm' || extension === '.css'
    // Pages and stylesheets are read whole anyway (one read, not a peek and a read); the other
    // text files only for their first two bytes.
    const bytes = parsed ? await readFile(full) : undefined
    if (bytes ? isGzipBytes(bytes) : await isGzip(full)) {
      report.gzipped.push(file)
      continue
    }
    if (!bytes) continue
    const pageUrl = `${fakeOrigin}${urlPathOf(file)}`
    if (extension === '.html' || extension === '.htm') {
      const html = bytes.toString('utf8')
      // Django's error bodies are bare fragments ("<h1>Bad Request (400)</h1>"): look before anything else.
      for (const [pattern, what] of ERROR_PAGES) if (pattern.test(html)) report.errorPages.push({ file, what })
      // A feed saved as feed/index.html (served with its real type through _headers) is not a page.
      if (/^\s*<\?xml|^\s*<(rss|feed|urlset|sitemapindex)[\s>]/i.test(html.slice(0, 2048))) continue
      if (file !== '404.html') report.pages++
      if (POST_FORM.test(html)) report.postForms.push(file)
      const { refs, base } = extractHtmlRefs(html)
      const baseUrl = base ? new URL(base, pageUrl).href : pageUrl
      for (const ref of refs) consider(ref.url, baseUrl, file)
    } else {
      for (const url of extractCssRefs(bytes.toString('utf8'))) consider(url, pageUrl, file)
    }
  }
  // 404.html is served at every missing path, so its links are checked as the root's.
  report.errorPages = report.errorPages.filter((entry) => entry.file !== '404.html' || !/Not Found/.test(entry.what))
  report.broken = [...broken.values()].sort((a, b) => a.path.localeCompare(b.path))
  report.queryLinks = [...queryLinks.values()].sort((a, b) => a.path.localeCompare(b.path))
  return report
}

export async function listFiles(root: string, prefix = ''): Promise<string[]> {
  const entries = await readdir(path.join(root, prefix), { withFileTypes: true }).catch(() => [])
  const files: string[] = []
  for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    const relative = prefix ? `${prefix}/${entry.name}` : entry.name
    if (entry.name.startsWith('.') && entry.name !== '.well-known') continue
    if (entry.isDirectory()) files.push(...(await listFiles(root, relative)))
    else if (entry.isFile()) files.push(relative)
  }
  return files
}

async function isGzip(file: string): Promise<boolean> {
  const handle = await open(file, 'r')
  try {
    const buffer = Buffer.alloc(2)
    const { bytesRead } = await handle.read(buffer, 0, 2, 0)
    return isGzipBytes(buffer.subarray(0, bytesRead))
  } finally {
    await handle.close()
  }
}

/** gzip's magic number (RFC 1952). */
function isGzipBytes(bytes: Buffer): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b
}

async function readRedirectSources(file: string): Promise<Set<string>> {
  const text = await readFile(file, 'utf8').catch(() => '')
  const sources = new Set<string>()
  for (const line of text.split(/\r?\n/)) {
    const from = line.replace(/#.*$/, '').trim().split(/\s+/)[0]
    if (from && from.startsWith('/')) sources.add(from.length > 1 ? from.replace(/\/+$/, '') : from)
  }
  return sources
}
