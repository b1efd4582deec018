"""gunicorn settings for the HTTP crawl (server.ts passes this file with -c).

The crawl's workers get what the in-process renderer's have (render_pool.py): no garbage
collection while Django loads, everything loaded then frozen out of later collections, and one
database connection for the worker's whole life instead of Django's default of reconnecting at
every request (CONN_MAX_AGE = 0). A connection a failed request leaves unusable is still replaced:
Django checks that at every request's start and end, whatever the age.

Passing -c stops gunicorn from reading ./gunicorn.conf.py, so a project's own file is read here
first and its hooks still run; the command line (bind, workers, timeouts) wins over both.
"""

# Private names only (a leading underscore): the project's settings are copied in below, and
# none of them may replace what our hooks use.
import gc as _gc
import os as _os

_project_conf = _os.path.join(_os.getcwd(), "gunicorn.conf.py")
# Run as gunicorn runs a config file: a module named __config__ that knows its own path.
_project_hooks = {"__name__": "__config__", "__file__": _project_conf}
if _os.path.isfile(_project_conf):
    with open(_project_conf, encoding="utf-8") as _file:
        exec(compile(_file.read(), _project_conf, "exec"), _project_hooks)
    for _name, _value in _project_hooks.items():
        if not _name.startswith("_") and _name not in ("post_fork", "post_worker_init"):
            globals()[_name] = _value


def post_fork(server, worker):
    _gc.disable()
    if callable(_project_hooks.get("post_fork")):
        _project_hooks["post_fork"](server, worker)


def post_worker_init(worker):
    try:
        from django.conf import settings
        from django.db import connections

        if settings.configured:
            # As render_pool.py does; every thread's connection is made from the same settings.
            for connection in connections.all():
                connection.settings_dict["CONN_MAX_AGE"] = None
    except ImportError:
        pass  # an application that is not Django: nothing to keep open
    if callable(_project_hooks.get("post_worker_init")):
        _project_hooks["post_worker_init"](worker)
    _gc.freeze()
    _gc.enable()
