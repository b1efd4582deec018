/**
 * GitHub's list pagination: `per_page` (default 30, values above 100 are treated as 100, as
 * GitHub does), `page` (1-based), and a `Link` header with absolute `next`/`last`/`first`/`prev`
 * URLs that keep every other query parameter. Octokit's paginate follows `rel="next"`.
 */
export interface Page<T> {
  items: T[]
  link?: string
}

export function paginate<T>(items: readonly T[], url: URL): Page<T> {
  const perPage = clamp(Number(url.searchParams.get('per_page') ?? 30), 30)
  const page = Math.max(1, Math.floor(Number(url.searchParams.get('page') ?? 1)) || 1)
  const lastPage = Math.max(1, Math.ceil(items.length / perPage))
  const slice = items.slice((page - 1) * perPage, page * perPage)
  const pageUrl = (number: number): string => {
    const next = new URL(url)
    next.searchParams.set('per_page', String(perPage))
    next.searchParams.set('page', String(number))
    return next.href
  }
  const links: string[] = []
  if (page < lastPage) links.push(`<${pageUrl(page + 1)}>; rel="next"`, `<${pageUrl(lastPage)}>; rel="last"`)
  if (page > 1) links.push(`<${pageUrl(1)}>; rel="first"`, `<${pageUrl(page - 1)}>; rel="prev"`)
  return { items: slice, link: links.length ? links.join(', ') : undefined }
}

function clamp(value: number, fallback: number): number {
  if (!Number.isFinite(value) || value < 1) return fallback
  return Math.min(100, Math.floor(value))
}
