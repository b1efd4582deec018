"""The sequential baseline of the static benchmarks: django-bakery's way of building a site.

RequestFactory and the resolved view, one page after another, each body written to
<out>/<path>/index.html. No middleware, no WSGI handler, no HTTP: the cheapest render Django
offers, which both static benchmarks compare against.

    python3 sequential_render.py PATHS.json OUT_DIR    (run in the project's folder, settings in env)

A progress line every 500 pages goes to stderr; the last line on stdout is the result as JSON:
{"seconds": wall time of the loop, "pages": pages answered 200, "cpu": CPU seconds of the loop}.
"""

import json
import os
import sys
import time

import django

# Run as a file, Python puts this file's folder first on sys.path; the project is in the cwd.
sys.path.insert(0, os.getcwd())
django.setup()

from django.http import Http404  # noqa: E402 (after django.setup())
from django.test import RequestFactory  # noqa: E402
from django.urls import resolve  # noqa: E402

paths = json.load(open(sys.argv[1]))
out = sys.argv[2]
factory = RequestFactory(HTTP_HOST="localhost")
start = time.perf_counter()
cpu = time.process_time()
pages = 0
for number, path in enumerate(paths):
    request = factory.get(path)
    try:
        match = resolve(path)
        request.resolver_match = match  # what the handler would set; some views read it
        response = match.func(request, *match.args, **match.kwargs)
    except Http404:
        continue
    if hasattr(response, "render") and not getattr(response, "is_rendered", True):
        response.render()
    target = os.path.join(out, path.lstrip("/"), "index.html")
    os.makedirs(os.path.dirname(target), exist_ok=True)
    with open(target, "wb") as handle:
        handle.write(response.content)
    if response.status_code == 200:
        pages += 1
    if number % 500 == 499:
        print(f"rendered {number + 1} of {len(paths)}", file=sys.stderr, flush=True)
result = {"seconds": time.perf_counter() - start, "pages": pages, "cpu": time.process_time() - cpu}
print(json.dumps(result), flush=True)
