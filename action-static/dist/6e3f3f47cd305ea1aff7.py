"""The in-process renderer's Python side (render.ts is the other half).

One process loads the project (django.setup() and the WSGI application, URLconf imported), then
forks one worker per slot, so every worker shares that loaded state copy-on-write: no second
Django boot, no sockets, no HTTP server. Each worker reads requests as JSON lines from its own
pipe (fd 3 + slot), calls the WSGI application directly with a built environ, streams the body to
a file and answers with one JSON line (status, headers, the file) on the same pipe.

The parent only supervises: it reports each worker's pid on stdout, and when a worker dies (a
crash, or render.ts killing it over a hung view) it reports that and forks a replacement on the
same pipe, so one bad page never stops the build.

Before forking, the supervisor also lists the URLconf's seeds (urlconf_seeds.py, whose path is
the last argument, "" for none): the URLconf is loaded here already, so the crawl needs no Django
boot of its own for them. They come with the ready report; a listing that fails reports its error
there instead, and the caller lists them the other way, where the error is reported as it is.

argv: slots, body directory, Host header, forwarded proto ("" for none), WSGI application path
("" for Django's get_wsgi_application()), seeds script ("" for none).
"""

import gc
import importlib
import importlib.util
import io
import json
import os
import signal
import sys
import traceback
from urllib.parse import unquote_to_bytes


def load_application(path):
    if os.environ.get("DJANGO_SETTINGS_MODULE"):
        import django

        django.setup(set_prefix=False)
    if path:
        module, _, attribute = path.rpartition(".")
        application = getattr(importlib.import_module(module), attribute)
    else:
        from django.core.wsgi import get_wsgi_application

        application = get_wsgi_application()
    if os.environ.get("DJANGO_SETTINGS_MODULE"):
        # Import the URLconf and close the database before forking: children share the first,
        # and must never share a connection.
        from django.db import connections
        from django.urls import get_resolver

        get_resolver().url_patterns
        connections.close_all()
        # One database connection per worker for its whole life, as a build loop like
        # django-bakery's has (it never ends a request, so it never reconnects). Django's
        # default CONN_MAX_AGE = 0 closes the connection at the end of every request; reopening
        # it (and, on SQLite, starting with a cold page cache) cost 15-21 % of the CPU a page on
        # the example site. A connection left unusable by a failed request is still replaced
        # (Django checks that at every request's start and end, whatever the age).
        for connection in connections.all():
            connection.settings_dict["CONN_MAX_AGE"] = None
    return application


def environ_for(target, host, proto):
    path, _, query = target.partition("?")
    name, _, port = host.partition(":")
    https = proto == "https"
    environ = {
        "REQUEST_METHOD": "GET",
        "SCRIPT_NAME": "",
        # PEP 3333: the path is the URL's bytes, percent-decoded, as latin-1.
        "PATH_INFO": unquote_to_bytes(path).decode("latin-1"),
        "QUERY_STRING": query,
        "SERVER_NAME": name,
        "SERVER_PORT": port or ("443" if https else "80"),
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_HOST": host,
        "HTTP_USER_AGENT": "django-deploy-actions static crawler",
        "HTTP_ACCEPT": "*/*",
        "HTTP_CONNECTION": "keep-alive",
        "wsgi.version": (1, 0),
        # As gunicorn does for X-Forwarded-Proto from a loopback peer (forwarded_allow_ips).
        "wsgi.url_scheme": "https" if https else "http",
        "wsgi.input": io.BytesIO(b""),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }
    if proto:
        environ["HTTP_X_FORWARDED_PROTO"] = proto
    return environ


def serve(slot, application, body_dir, host, proto):
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    gc.enable()
    channel = os.fdopen(3 + slot, "r+b", buffering=0)
    reader = io.BufferedReader(channel)
    for line in reader:
        request = json.loads(line)
        started = {}

        def start_response(status, headers, exc_info=None):
            started["status"] = int(status.split(" ", 1)[0])
            started["headers"] = headers
            return lambda data: body.write(data)

        body_file = os.path.join(body_dir, "%d-%d" % (slot, request["id"]))
        with open(body_file, "wb") as body:
            result = application(environ_for(request["path"], host, proto), start_response)
            try:
                for chunk in result:
                    body.write(chunk)
            finally:
                close = getattr(result, "close", None)
                if close:
                    close()
        answer = {
            "id": request["id"],
            "status": started.get("status", 0),
            "headers": started.get("headers", []),
            "body": body_file,
        }
        channel.write(json.dumps(answer).encode() + b"\n")


def list_seeds(script):
    """The ready report's part about the seeds."""
    if not script or not os.environ.get("DJANGO_SETTINGS_MODULE"):
        return {}
    try:
        spec = importlib.util.spec_from_file_location("django_deploy_urlconf_seeds", script)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return {"seeds": module.urlconf_seeds()}
    except Exception:
        return {"seedsError": traceback.format_exc(limit=5)}


def report(message):
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


def main():
    # As gunicorn and manage.py have it: the project's folder (the cwd) first on sys.path, not
    # this script's folder.
    sys.path[0] = os.getcwd()
    slots = int(sys.argv[1])
    body_dir, host, proto, application_path, seeds_script = sys.argv[2:7]
    # What the gc module's documentation prescribes for fork without exec: no collection while
    # the project loads (it would leave freed holes in pages the workers share), then everything
    # loaded frozen into the permanent generation, so the workers' collections never walk (nor
    # write to, and so copy) the objects Django, the apps and the URLconf made. Measured on the
    # example site: 25 % less CPU a page than collecting them over and over in every worker.
    gc.disable()
    application = load_application(application_path)
    seeds = list_seeds(seeds_script)
    gc.freeze()
    workers = {}

    def fork(slot):
        pid = os.fork()
        if pid == 0:
            try:
                serve(slot, application, body_dir, host, proto)
            finally:
                os._exit(0)
        workers[pid] = slot
        report({"worker": slot, "pid": pid})

    for slot in range(slots):
        fork(slot)
    report({"ready": slots, **seeds})

    def stop(*_):
        for pid in list(workers):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        os._exit(0)

    signal.signal(signal.SIGTERM, stop)
    while True:
        pid, status = os.wait()
        slot = workers.pop(pid, None)
        if slot is None:
            continue
        if os.WIFSIGNALED(status):
            how = "signal %d" % os.WTERMSIG(status)
        else:
            how = "exit status %d" % os.WEXITSTATUS(status)
        report({"died": slot, "pid": pid, "how": how})
        fork(slot)


if __name__ == "__main__":
    main()
