import path from 'node:path'

/**
 * Where a URL's content goes in the output directory, and what Netlify will then serve it as.
 *
 * Netlify serves `a/index.html` at `/a/` (Django's APPEND_SLASH form) and picks the Content-Type
 * from the extension, so: HTML at `/a/` or `/a` → `a/index.html`; other content at a path with an
 * extension keeps it (`/robots.txt`, `/api/posts.json`); other content at `/feed/` or `/data`
 * keeps that path (`feed/index.html`, `data`) and gets its real type through `_headers`.
 */
const TYPES: Record<string, string> = {
  '.html': 'text/html',
  '.htm': 'text/html',
  '.css': 'text/css',
  '.js': 'application/javascript',
  '.mjs': 'application/javascript',
  '.json': 'application/json',
  '.xml': 'application/xml',
  '.rss': 'application/rss+xml',
  '.atom': 'application/atom+xml',
  '.txt': 'text/plain',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.avif': 'image/avif',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.otf': 'font/otf',
  '.pdf': 'application/pdf',
  '.webmanifest': 'application/manifest+json',
  '.map': 'application/json',
  '.mp4': 'video/mp4',
  '.webm': 'video/webm',
  '.mp3': 'audio/mpeg',
  '.csv': 'text/csv',
  '.zip': 'application/zip',
}

/** Types that count as the same for serving purposes (a sitemap sent as text/xml is fine as .xml). */
const EQUIVALENT: Record<string, string> = {
  'text/xml': 'application/xml',
  'text/javascript': 'application/javascript',
  'application/x-javascript': 'application/javascript',
}

export function typeOfExtension(file: string): string | undefined {
  return TYPES[path.posix.extname(file).toLowerCase()]
}

export function baseType(contentType: string | undefined): string {
  const type = (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? ''
  return EQUIVALENT[type] ?? type
}

export function isHtml(contentType: string | undefined): boolean {
  const type = baseType(contentType)
  return type === 'text/html' || type === 'application/xhtml+xml'
}

/**
 * The output file for a URL path (percent-encoded, starting with `/`). Undefined when the path
 * cannot be a file (`..` segments, NUL).
 */
export function outputFileFor(urlPath: string, contentType: string | undefined): string | undefined {
  let segments: string[]
  try {
    segments = urlPath.split('/').map((segment) => decodeURIComponent(segment))
  } catch {
    return undefined
  }
  if (segments.some((segment) => segment === '..' || segment === '.' || segment.includes('\0') || segment.includes('\\')))
    return undefined
  const decoded = segments.join('/').replace(/^\/+/, '')
  const html = isHtml(contentType)
  if (decoded === '' || decoded.endsWith('/')) return `${decoded}index.html`
  const extension = path.posix.extname(decoded).toLowerCase()
  if (html && extension !== '.html' && extension !== '.htm') return `${decoded}/index.html`
  return decoded
}

/** A `_headers` Content-Type is needed when the extension would make Netlify send another type. */
export function needsContentTypeHeader(file: string, contentType: string | undefined): boolean {
  const actual = baseType(contentType)
  if (actual === '') return false
  return typeOfExtension(file) !== actual
}

/** The URL path a file of the output directory is served at (`a/index.html` → `/a/`). */
export function urlPathOf(file: string): string {
  const encoded = file
    .split('/')
    .map((segment) => encodeURIComponent(segment))
    .join('/')
  if (encoded === 'index.html') return '/'
  if (encoded.endsWith('/index.html')) return `/${encoded.slice(0, -'index.html'.length)}`
  return `/${encoded}`
}
