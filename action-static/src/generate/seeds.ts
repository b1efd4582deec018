import { assetPath } from '../util/asset-path.js'
import type { PreparedDjango } from './django.js'

/**
 * Where the crawl starts, besides `/`, robots.txt, sitemap.xml and `extra-paths`: every URL
 * pattern of the project's URLconf that takes no parameters, so a site without a view at `/`
 * (the Django tutorial: only /polls/ and /admin/) is still found.
 *
 * The Python side runs after django.setup() with the build settings and walks the resolver:
 *
 * - `include()`s are followed, namespaces are kept track of;
 * - `path()` routes with a converter (`<int:pk>`) and `re_path()` regexes with a group or any
 *   other regex syntax than literal characters are skipped: they need values only pages know;
 * - `i18n_patterns()` contribute their prefix for the default language (LANGUAGE_CODE); the
 *   other languages are found through the links of those pages;
 * - the admin (the `admin` namespace) is skipped: each of its pages redirects to its login form,
 *   and neither a login redirect nor a login form is a page a static site can use.
 */
export interface UrlconfSeeds {
  paths: string[]
  /** How many patterns were left out because they take parameters (or are regexes). */
  withParameters: number
  /** How many patterns were left out because they belong to the admin. */
  admin: number
}

const MARKER = 'DJANGO-DEPLOY-SEEDS '

/**
 * The Python side (util/asset-path.ts: a URL here, a path string in the bundle), run as a script
 * for the HTTP crawl; render_pool.py imports it from the same path.
 */
const SCRIPT: URL | string = new URL('./urlconf_seeds.py', import.meta.url)
export const seedsScriptPath = (): string => assetPath(SCRIPT)

export async function urlconfSeeds(django: Pick<PreparedDjango, 'python'>): Promise<UrlconfSeeds> {
  const output = await django.python([seedsScriptPath()], 'Listing the URL patterns (URLconf seeds)')
  const line = output.split('\n').find((entry) => entry.startsWith(MARKER))
  if (!line) return { paths: [], withParameters: 0, admin: 0 }
  return checkedSeeds(JSON.parse(line.slice(MARKER.length)) as UrlconfSeeds)
}

/** What the Python side reported, kept to what it may say. */
export function checkedSeeds(parsed: UrlconfSeeds): UrlconfSeeds {
  return {
    paths: parsed.paths.filter((entry) => typeof entry === 'string' && entry.startsWith('/')),
    withParameters: parsed.withParameters,
    admin: parsed.admin,
  }
}
