/**
 * Netlify's `_redirects` and `_headers` files as its CDN reads them (docs "Redirects and
 * rewrites", "Custom headers"), and what a deploy answers for a path. Tests use `serve` to check
 * that what we deployed behaves on Netlify: pretty URLs, the custom 404, and redirect shadowing
 * (an unforced rule is ignored when a file exists at its source path; `301!` forces it).
 */
export interface RedirectRule {
  from: string
  to: string
  status: number
  force: boolean
  line: number
}

export interface HeaderRule {
  path: string
  headers: Array<[string, string]>
}

export function parseRedirects(text: string): RedirectRule[] {
  const rules: RedirectRule[] = []
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.replace(/(^|\s)#.*$/, '').trim()
    if (line === '') return
    const fields = line.split(/\s+/)
    const [from, to, statusField] = fields
    if (!from || !to || !(from.startsWith('/') || /^https?:\/\//.test(from))) return // Netlify skips what it cannot read
    let status = 301
    let force = false
    if (statusField && /^\d{3}!?$/.test(statusField)) {
      status = Number(statusField.slice(0, 3))
      force = statusField.endsWith('!')
    }
    rules.push({ from, to, status, force, line: index + 1 })
  })
  return rules
}

export function parseHeaders(text: string): HeaderRule[] {
  const rules: HeaderRule[] = []
  let current: HeaderRule | undefined
  for (const raw of text.split(/\r?\n/)) {
    if (raw.trim() === '' || raw.trim().startsWith('#')) continue
    if (!/^\s/.test(raw)) {
      current = { path: raw.trim(), headers: [] }
      rules.push(current)
      continue
    }
    const colon = raw.indexOf(':')
    if (current && colon > 0) current.headers.push([raw.slice(0, colon).trim(), raw.slice(colon + 1).trim()])
  }
  return rules
}

export interface Served {
  status: number
  /** The deploy file served, if any. */
  file?: string
  /** For 3xx answers. */
  location?: string
  headers: Array<[string, string]>
}

/** What Netlify answers for `urlPath` given a deploy's file list and rules. */
export function serve(
  urlPath: string,
  files: ReadonlySet<string>,
  redirects: readonly RedirectRule[],
  headerRules: readonly HeaderRule[] = [],
): Served {
  const path = urlPath.split('?')[0] ?? '/'
  const file = lookup(path, files)
  const withHeaders = (served: Omit<Served, 'headers'>): Served => ({ ...served, headers: headersFor(path, headerRules) })
  for (const rule of redirects) {
    const target = matchRule(rule.from, rule.to, path)
    if (target === undefined) continue
    if (file && !rule.force) break // shadowed by an existing file
    if (rule.status >= 300 && rule.status < 400) return withHeaders({ status: rule.status, location: target })
    const rewritten = lookup(target, files)
    if (rule.status === 200 && rewritten) return withHeaders({ status: 200, file: rewritten })
    if (rule.status === 404 && rewritten) return withHeaders({ status: 404, file: rewritten })
  }
  if (file) return withHeaders({ status: 200, file })
  return withHeaders({ status: 404, file: files.has('404.html') ? '404.html' : undefined })
}

function lookup(urlPath: string, files: ReadonlySet<string>): string | undefined {
  let path = urlPath.replace(/^\/+/, '')
  try {
    path = decodeURIComponent(path)
  } catch {
    /* keep as is */
  }
  const candidates = path === '' || path.endsWith('/') ? [`${path}index.html`] : [path, `${path}/index.html`, `${path}.html`]
  return candidates.find((candidate) => files.has(candidate))
}

/** `/blog/*` → `/news/:splat`, `/p/:id` → `/posts/:id`, or an exact path (a trailing slash is optional, as on Netlify). */
function matchRule(from: string, to: string, path: string): string | undefined {
  const normalise = (value: string): string => (value.length > 1 ? value.replace(/\/+$/, '') : value)
  const fromParts = normalise(from).split('/')
  const pathParts = normalise(path).split('/')
  const values: Record<string, string> = {}
  for (let i = 0; i < fromParts.length; i++) {
    const part = fromParts[i] ?? ''
    if (part === '*') {
      values.splat = pathParts.slice(i).join('/')
      return substitute(to, values)
    }
    if (i >= pathParts.length) return undefined
    if (part.startsWith(':')) values[part.slice(1)] = pathParts[i] ?? ''
    else if (part !== pathParts[i]) return undefined
  }
  return fromParts.length === pathParts.length ? substitute(to, values) : undefined
}

function substitute(to: string, values: Record<string, string>): string {
  return to.replace(/:([A-Za-z]+)/g, (whole, name: string) => values[name] ?? whole)
}

function headersFor(path: string, rules: readonly HeaderRule[]): Array<[string, string]> {
  const result: Array<[string, string]> = []
  for (const rule of rules) {
    const pattern = new RegExp(`^${rule.path.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`)
    if (pattern.test(path)) result.push(...rule.headers)
  }
  return result
}
