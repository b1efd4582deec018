import type { GenerateResult } from './generate/index.js'
import { urlPathOf } from './generate/paths.js'

/**
 * What the build found, as findings a person can act on: they go to the log (annotations), the
 * job summary and the PR comment. Nothing is dropped silently: every URL the site cannot serve
 * statically is listed somewhere.
 */
export interface Findings {
  /** Fail the build when fail-on-broken-links is on. */
  broken: string[]
  /**
   * Always fail, whatever fail-on-broken-links says: the output would be broken on Netlify, or the
   * app failed to render a page (5xx, no answer), so what was built is not the site.
   */
  fatal: string[]
  warnings: string[]
  notices: string[]
}

const LIST = 15

export function findingsOf(result: GenerateResult): Findings {
  const findings: Findings = { broken: [], fatal: [], warnings: [], notices: [] }
  const { check, crawl } = result
  const statusOf = new Map((crawl?.broken ?? []).map((problem) => [problem.url, problem]))
  const serverError = (status: number): boolean => status === 0 || status >= 500
  for (const problem of crawl?.broken ?? []) {
    if (!serverError(problem.status)) continue
    findings.fatal.push(
      `${problem.url} ${problem.status ? `answered ${problem.status}` : 'got no answer'}${problem.detail ? ` (${problem.detail})` : ''}${problem.referrers.length ? `, linked from ${list(problem.referrers)}` : ''}: the page did not render. Fix the error in the app (its log is above); a site with pages missing is never published.`,
    )
  }
  for (const link of check.broken) {
    const status = statusOf.get(link.path)
    if (status && serverError(status.status)) continue
    findings.broken.push(
      `${link.path}${status ? ` (${status.status || 'no answer'}${status.detail ? `: ${status.detail}` : ''})` : ''} is linked from ${list(link.from)} but is not in the site`,
    )
  }
  for (const problem of crawl?.broken ?? []) {
    if (serverError(problem.status) || check.broken.some((link) => link.path === problem.url)) continue
    // Not linked from any saved page (an extra path, a link only in a query-string page, a server error).
    findings.broken.push(
      `${problem.url} answered ${problem.status || 'nothing'}${problem.detail ? ` (${problem.detail})` : ''}${problem.referrers.length ? `, linked from ${list(problem.referrers)}` : ''}`,
    )
  }
  if (check.pages === 0)
    findings.fatal.push(
      result.generator === 'crawl'
        ? 'The build produced no HTML pages, so there is no site to deploy: no seed answered with a page. Add the paths of your pages to extra-paths.'
        : `The build produced no HTML pages, so there is no site to deploy: check the ${result.generator} output above.`,
    )
  for (const file of check.gzipped)
    findings.fatal.push(
      `${file} is gzip-compressed under its plain name (BAKERY_GZIP?); Netlify would serve the compressed bytes as text. Turn BAKERY_GZIP off: Netlify compresses by itself.`,
    )
  for (const page of check.errorPages)
    findings.fatal.push(`${page.file} is ${page.what}, not the page: the view did not render (a non-200 response).`)

  const queries = crawl?.queryUrls ?? []
  if (queries.length) {
    findings.warnings.push(
      `${queries.length} URL${queries.length === 1 ? '' : 's'} with a query string cannot be served by a static host (it ignores the query and serves the page without it): ${list(queries.map((query) => `${query.url}${query.referrers.length ? ` (from ${query.referrers[0]})` : ''}`))}. ` +
        'Their links were followed, but their content is not in the site; paginate with paths (/page/2/) instead of ?page=2.',
    )
  } else if (check.queryLinks.length) {
    findings.warnings.push(
      `${check.queryLinks.length} link${check.queryLinks.length === 1 ? '' : 's'} carry a query string a static host ignores: ${list(check.queryLinks.map((link) => link.path))}.`,
    )
  }
  if (check.missing404)
    findings.warnings.push(
      'The site has no 404.html, so Netlify shows its own "Page not found" page. Add a 404.html template (the crawler saves the app\'s 404 page).',
    )
  if (crawl?.notFoundPage === 'not-html')
    findings.warnings.push('The app answers 404 without an HTML page, so there is no 404.html.')
  if (crawl?.truncated)
    findings.warnings.push(
      'The crawl stopped at its URL limit; some pages may be missing (an endless URL space such as a calendar?).',
    )
  for (const seed of crawl?.missingSeeds ?? [])
    findings.notices.push(
      `${seed.url}: ${seed.status === 404 ? 'not found' : `answered ${seed.status}`} (a seed, not linked from any page); nothing is published at ${seed.url}.`,
    )
  if (check.postForms.length)
    findings.warnings.push(
      `${check.postForms.length} page${check.postForms.length === 1 ? ' has' : 's have'} a form that posts (<form method="post">), which cannot work on a static host (nothing receives the POST): ${list(check.postForms.map((file) => urlPathOf(file)))}. Point the form at a form service, or leave the page out.`,
    )
  if (crawl && crawl.offsite)
    findings.notices.push(`${crawl.offsite} off-site link${crawl.offsite === 1 ? ' was' : 's were'} left alone.`)
  return findings
}

function list(items: string[]): string {
  return items.length <= LIST ? items.join(', ') : `${items.slice(0, LIST).join(', ')} and ${items.length - LIST} more`
}
