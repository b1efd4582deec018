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

const SEEDS = String.raw`
import json
import re
import django
django.setup()
from django.conf import settings
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.resolvers import LocalePrefixPattern, RegexPattern, RoutePattern
from django.utils import translation

META = set(".^$*+?{}[]|()")

def literal_regex(regex):
    """The literal text a regex matches, or None when it is not a plain literal."""
    if regex.startswith("^"):
        regex = regex[1:]
    for end in ("\\Z", "$"):
        if regex.endswith(end) and not regex.endswith("\\" + end):
            regex = regex[: -len(end)]
            break
    out = []
    i = 0
    while i < len(regex):
        c = regex[i]
        if c == "\\":
            if i + 1 >= len(regex) or regex[i + 1].isalnum():
                return None
            out.append(regex[i + 1])
            i += 2
            continue
        if c in META:
            return None
        out.append(c)
        i += 1
    return "".join(out)

def piece(pattern):
    if isinstance(pattern, LocalePrefixPattern):
        return pattern.language_prefix
    if isinstance(pattern, RoutePattern):
        if pattern.converters:
            return None
        return str(pattern)
    if isinstance(pattern, RegexPattern):
        if pattern.regex.groups or pattern.regex.groupindex:
            return None
        return literal_regex(str(pattern))
    return None

found = []
counts = {"withParameters": 0, "admin": 0}

def count(entry, key):
    if isinstance(entry, URLResolver):
        for child in entry.url_patterns:
            count(child, key)
    else:
        counts[key] += 1

def walk(patterns, prefix):
    for entry in patterns:
        text = piece(entry.pattern)
        if isinstance(entry, URLResolver):
            if entry.namespace == "admin" or entry.app_name == "admin":
                count(entry, "admin")
                continue
            if text is None:
                count(entry, "withParameters")
                continue
            walk(entry.url_patterns, prefix + text)
        elif isinstance(entry, URLPattern):
            if text is None:
                counts["withParameters"] += 1
                continue
            found.append("/" + prefix + text)

with translation.override(settings.LANGUAGE_CODE):
    walk(get_resolver().url_patterns, "")

paths = sorted({re.sub("/+", "/", p) for p in found})
print("${MARKER}" + json.dumps({"paths": paths, **counts}))
`

export async function urlconfSeeds(django: Pick<PreparedDjango, 'python'>): Promise<UrlconfSeeds> {
  const output = await django.python(['-c', SEEDS], 'Listing the URL patterns (URLconf seeds)')
  const line = output.split('\n').find((entry) => entry.startsWith(MARKER))
  if (!line) return { paths: [], withParameters: 0, admin: 0 }
  const parsed = JSON.parse(line.slice(MARKER.length)) as UrlconfSeeds
  return {
    paths: parsed.paths.filter((entry) => typeof entry === 'string' && entry.startsWith('/')),
    withParameters: parsed.withParameters,
    admin: parsed.admin,
  }
}
