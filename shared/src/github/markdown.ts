/**
 * Building GitHub-flavoured Markdown from strings we do not control (app names, URLs, findings,
 * error messages). Job summaries and PR comments render HTML and Markdown, so an unescaped `<img>`,
 * `|` or `[x](javascript:…)` in a site name would change the page. Every user-controlled string goes
 * through `text`, `code`, `link` or `codeBlock`; literal Markdown is only ever our own.
 */

/** Inline text: HTML-escaped, Markdown punctuation backslash-escaped, one line, no @-mentions. */
export function text(value: string): string {
  return (
    oneLine(value)
      .replace(/&/g, '&amp;')
      .replace(/</g, '&lt;')
      .replace(/>/g, '&gt;')
      // Inline syntax anywhere: code, emphasis, links/images, table cells, strikethrough.
      .replace(/[\\`*_[\]|~]/g, (char) => `\\${char}`)
      // Block syntax only counts at the start: a list item, heading or ordered list ("1.").
      .replace(/^([-+#])/, '\\$1')
      .replace(/^(\d+)([.)])/, '$1\\$2')
      // "@org/team" in a deploy comment would notify people; a word joiner keeps it readable but inert.
      .replace(/@(?=[A-Za-z0-9])/g, '@\u2060')
  )
}

/** An inline code span that holds any text, including backticks. */
export function code(value: string): string {
  const line = oneLine(value)
  const longestRun = Math.max(0, ...(line.match(/`+/g) ?? []).map((run) => run.length))
  const fence = '`'.repeat(longestRun + 1)
  const pad = line.startsWith('`') || line.endsWith('`') || line === '' ? ' ' : ''
  return `${fence}${pad}${line}${pad}${fence}`
}

/** A link when `url` is http(s); otherwise the URL as code, never a clickable `javascript:`. */
export function link(label: string, url: string): string {
  const safe = safeUrl(url)
  if (safe === undefined) return `${text(label)} (${code(url)})`
  return `[${text(label)}](${safe})`
}

/** A link whose label is shown as code (a commit SHA, a revision name). */
export function codeLink(label: string, url: string | undefined): string {
  const safe = url === undefined ? undefined : safeUrl(url)
  return safe === undefined ? code(label) : `[${code(label)}](${safe})`
}

/** The URL itself as a link, e.g. in a facts table. */
export function urlLink(url: string): string {
  return safeUrl(url) === undefined ? code(url) : link(url, url)
}

/** A normalised http(s) URL with `(`, `)` and spaces encoded so it cannot end the link early. */
export function safeUrl(url: string): string | undefined {
  let parsed: URL
  try {
    parsed = new URL(url.trim())
  } catch {
    return undefined
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') return undefined
  return parsed.href.replace(/\(/g, '%28').replace(/\)/g, '%29').replace(/ /g, '%20').replace(/</g, '%3C').replace(/>/g, '%3E')
}

/** A fenced block (longer fence than any backtick run inside) for logs, plans, tracebacks. */
export function codeBlock(value: string, language = 'text'): string {
  const longestRun = Math.max(0, ...(value.match(/`{3,}/g) ?? []).map((run) => run.length))
  const fence = '`'.repeat(Math.max(3, longestRun + 1))
  return `${fence}${language}\n${value.replace(/\r\n/g, '\n').replace(/\n$/, '')}\n${fence}`
}

/**
 * A GFM table. Cells are already-rendered inline Markdown (from `text`, `code`, `link`); pipes are
 * escaped once more because GFM splits cells on `|` even inside code spans.
 */
export function table(header: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  const row = (cells: readonly string[]): string => `| ${cells.map(cell).join(' | ')} |`
  return [row(header), `|${header.map(() => ' --- ').join('|')}|`, ...rows.map(row)].join('\n')
}

function cell(value: string): string {
  return value === '' ? ' ' : value.replace(/(?<!\\)\|/g, '\\|')
}

/** A collapsible section; `body` is Markdown (blank lines around it so GitHub renders it). */
export function details(summary: string, body: string): string {
  return `<details><summary>${escapeHtml(oneLine(summary))}</summary>\n\n${body}\n\n</details>`
}

export function escapeHtml(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;')
}

function oneLine(value: string): string {
  return value.replace(/\s*\r?\n\s*/g, ' ').trim()
}
