"""The URLconf's parameterless patterns, the crawl's seeds besides `/` (seeds.ts says which and why).

Imported by the renderer's supervisor (render_pool.py), which has the URLconf loaded already, or run
as a script with the build settings when the crawl goes over HTTP: then it runs django.setup() itself
and prints one line, the marker and the result as JSON.
"""

import json
import re

from django.conf import settings
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.resolvers import LocalePrefixPattern, RegexPattern, RoutePattern
from django.utils import translation

MARKER = "DJANGO-DEPLOY-SEEDS "
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


def urlconf_seeds():
    """{"paths": sorted paths, "withParameters": patterns left out, "admin": admin patterns left out}."""
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
    return {"paths": sorted({re.sub("/+", "/", path) for path in found}), **counts}


if __name__ == "__main__":
    import os
    import sys

    import django

    # As manage.py has it: the project's folder (the cwd) first on sys.path, not this script's.
    sys.path[0] = os.getcwd()
    django.setup()
    print(MARKER + json.dumps(urlconf_seeds()))
