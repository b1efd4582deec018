import importlib as _dd_importlib

# Start from every setting of the project's module. Django reads only upper-case names from a
# settings module, so copy exactly those: "from ... import *" would skip names missing from an
# __all__, and would fail outright on an __all__ that lists a name the module does not define.
_dd_base = _dd_importlib.import_module(_dd_base_module)
globals().update(
    (_dd_name, getattr(_dd_base, _dd_name)) for _dd_name in dir(_dd_base) if _dd_name.isupper()
)


def _dd_apply(settings, variables, app_dir):
    import os
    from importlib.util import find_spec
    from urllib.parse import parse_qsl, unquote, urlsplit

    import django
    from django.core.exceptions import ImproperlyConfigured

    security = "django.middleware.security.SecurityMiddleware"
    xframe = "django.middleware.clickjacking.XFrameOptionsMiddleware"
    whitenoise = "whitenoise.middleware.WhiteNoiseMiddleware"

    # -- reading the environment -------------------------------------------------------------

    def read(name):
        """The first spelling of the variable that is set to something other than blanks."""
        for key in variables[name]:
            value = os.environ.get(key)
            if value is not None and value.strip():
                return value
        return None

    def text(name):
        value = read(name)
        return None if value is None else value.strip()

    def invalid(name, value, expected):
        return ImproperlyConfigured("%s=%r is not valid: expected %s." % (name, value, expected))

    def flag(name):
        value = text(name)
        if value is None:
            return None
        if value.lower() in ("1", "true", "yes", "on", "y", "t"):
            return True
        if value.lower() in ("0", "false", "no", "off", "n", "f"):
            return False
        raise invalid(name, value, "true or false")

    def integer(name):
        value = text(name)
        if value is None:
            return None
        if not value.isdigit():
            raise invalid(name, value, "a whole number of 0 or more")
        return int(value)

    def items(name):
        """A comma- or space-separated list; None when it has no items (never [""])."""
        value = text(name)
        found = [] if value is None else value.replace(",", " ").split()
        return found or None

    def unique(values):
        return list(dict.fromkeys(values))

    def strings(value):
        """A list/tuple setting as a list without blank entries (None and a lone str welcome)."""
        if value is None:
            return []
        if isinstance(value, str):
            value = [value]
        return [item for item in value if not (isinstance(item, str) and not item.strip())]

    def local_path(value):
        # Relative paths are taken from the directory holding manage.py, not from whatever the
        # current directory happens to be when gunicorn, a release task or a job starts.
        return value if os.path.isabs(value) else os.path.normpath(os.path.join(app_dir, value))

    # -- secrets and debug -------------------------------------------------------------------

    secret = read("SECRET_KEY")
    if secret is not None:
        settings["SECRET_KEY"] = secret
    fallbacks = items("SECRET_KEY_FALLBACKS")
    if fallbacks is not None:
        settings["SECRET_KEY_FALLBACKS"] = fallbacks

    # Off unless the environment explicitly turns it on, whatever the project's module says
    # (Wagtail's and many tutorials' default modules hard-code DEBUG = True).
    settings["DEBUG"] = flag("DEBUG") is True

    # -- hosts and origins -------------------------------------------------------------------

    https = flag("DJANGO_HTTPS")

    def host(entry):
        if "://" in entry:
            entry = urlsplit(entry).netloc.rpartition("@")[2]
        entry = entry.split("/")[0]
        if entry.startswith("["):
            return entry.partition("]")[0] + "]"
        return entry.partition(":")[0]

    hosts = items("ALLOWED_HOSTS")
    if hosts is not None:
        settings["ALLOWED_HOSTS"] = unique(host(entry) for entry in hosts if host(entry))
    else:
        settings["ALLOWED_HOSTS"] = strings(settings.get("ALLOWED_HOSTS"))

    def origin(entry):
        # Django 4.0+ wants a scheme (4_0.E001) and spells subdomain wildcards "https://*.x".
        entry = entry.strip()
        if "://" in entry:
            parts = urlsplit(entry)
            scheme, rest = parts.scheme, parts.netloc
        else:
            scheme, rest = ("http" if https is False else "https"), entry.split("/")[0]
        if rest.startswith("."):
            rest = "*" + rest
        return scheme + "://" + rest if rest and rest != "*" else None

    origins = [origin(entry) for entry in strings(settings.get("CSRF_TRUSTED_ORIGINS")) if isinstance(entry, str)]
    origins += [origin(entry) for entry in items("CSRF_TRUSTED_ORIGINS") or []]
    settings["CSRF_TRUSTED_ORIGINS"] = unique(entry for entry in origins if entry)

    # -- HTTPS behind a proxy ----------------------------------------------------------------

    header = text("SECURE_PROXY_SSL_HEADER")
    if header is not None:
        if header.lower() in ("off", "none", "false", "no", "0"):
            settings["SECURE_PROXY_SSL_HEADER"] = None
        else:
            name, _, value = header.partition(",")
            name = name.strip().upper().replace("-", "_")
            if not name.startswith("HTTP_"):
                name = "HTTP_" + name
            settings["SECURE_PROXY_SSL_HEADER"] = (name, value.strip() or "https")
    elif https:
        # TLS ends at the proxy (Dokku's nginx, Cloud Run's front end), so without this Django
        # sees every request as http: SSL redirect would loop and CSRF origin checks would fail.
        settings["SECURE_PROXY_SSL_HEADER"] = ("HTTP_X_FORWARDED_PROTO", "https")

    if https is not None:
        for name in ("SECURE_SSL_REDIRECT", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE"):
            settings[name] = https
        # One hour: enough for check --deploy and for browsers to start upgrading, short enough to
        # recover from a broken certificate. Raise SECURE_HSTS_SECONDS once HTTPS is known to work.
        settings["SECURE_HSTS_SECONDS"] = 3600 if https else 0
        if not https:
            # Browsers drop "__Secure-"/"__Host-" cookies that arrive without the Secure flag, so
            # an HTTP-only site could never log anyone in with those names.
            for name in ("SESSION_COOKIE_NAME", "CSRF_COOKIE_NAME"):
                value = settings.get(name)
                for prefix in ("__Secure-", "__Host-"):
                    if isinstance(value, str) and value.startswith(prefix):
                        settings[name] = value[len(prefix):]
    for name in (
        "SECURE_SSL_REDIRECT",
        "SESSION_COOKIE_SECURE",
        "CSRF_COOKIE_SECURE",
        "SECURE_HSTS_INCLUDE_SUBDOMAINS",
        "SECURE_HSTS_PRELOAD",
    ):
        value = flag(name)
        if value is not None:
            settings[name] = value
    seconds = integer("SECURE_HSTS_SECONDS")
    if seconds is not None:
        settings["SECURE_HSTS_SECONDS"] = seconds

    middleware = list(settings.get("MIDDLEWARE") or [])
    if security not in middleware:
        # Without it SSL redirect, HSTS, nosniff and the referrer policy do nothing (W001).
        middleware.insert(0, security)
    frame = text("X_FRAME_OPTIONS")
    if frame is not None:
        settings["X_FRAME_OPTIONS"] = frame.upper()
        if xframe not in middleware:
            middleware.append(xframe)

    # -- database ----------------------------------------------------------------------------

    engines = {
        "postgres": "django.db.backends.postgresql",
        "postgresql": "django.db.backends.postgresql",
        "pgsql": "django.db.backends.postgresql",
        "postgis": "django.contrib.gis.db.backends.postgis",
        "mysql": "django.db.backends.mysql",
        "mysql2": "django.db.backends.mysql",
        "mariadb": "django.db.backends.mysql",
        "mysqlgis": "django.contrib.gis.db.backends.mysql",
        "sqlite": "django.db.backends.sqlite3",
        "sqlite3": "django.db.backends.sqlite3",
        "spatialite": "django.contrib.gis.db.backends.spatialite",
    }

    def database_from(url):
        # Parsed here rather than with dj-database-url: it may not be installed, and the 0.5 that
        # Debian ships lacks the keyword arguments newer code passes it.
        parts = urlsplit(url)
        engine = engines.get(parts.scheme.lower().partition("+")[0])
        if engine is None:
            raise ImproperlyConfigured(
                "DATABASE_URL starts with %r, which is not a supported database; use one of %s."
                % (parts.scheme + "://", ", ".join(sorted(scheme + "://" for scheme in engines)))
            )
        options = {}
        for key, value in parse_qsl(parts.query, keep_blank_values=True):
            options[key] = int(value) if value.isdigit() else value
        if engine.endswith(("sqlite3", "spatialite")):
            if parts.netloc == ":memory:" or parts.path in ("", "/", "/:memory:"):
                name = ":memory:"
            else:
                name = local_path(unquote(parts.path[1:]))
            database = {"ENGINE": engine, "NAME": name}
        else:
            userinfo, _, hostport = parts.netloc.rpartition("@")
            user, _, password = userinfo.partition(":")
            if hostport.startswith("["):
                address, _, rest = hostport[1:].partition("]")
                port = rest[1:]
            else:
                address, _, port = hostport.partition(":")
            path = parts.path
            if not address and path.startswith("//"):
                # django-environ's Cloud SQL form: postgres://user:pass@//cloudsql/project:region:instance/name
                address, _, path = path[1:].rpartition("/")
                path = "/" + path
            if not address and "host" in options:
                # libpq's form: postgres:///name?host=/var/run/postgresql
                address = str(options.pop("host"))
            database = {
                "ENGINE": engine,
                "NAME": unquote(path[1:]),
                "USER": unquote(user),
                "PASSWORD": unquote(password),
                "HOST": unquote(address),
                "PORT": int(port) if port.isdigit() else "",
            }
        if options:
            database["OPTIONS"] = options
        return database

    url = text("DATABASE_URL")
    if url is not None:
        database = database_from(url)
        databases = dict(settings.get("DATABASES") or {})
        previous = dict(databases.get("default") or {})
        # Keep the project's per-database behaviour; the connection itself comes from the URL.
        kept = {
            key: previous[key]
            for key in (
                "ATOMIC_REQUESTS",
                "AUTOCOMMIT",
                "CONN_MAX_AGE",
                "CONN_HEALTH_CHECKS",
                "TIME_ZONE",
                "TEST",
                "DISABLE_SERVER_SIDE_CURSORS",
            )
            if key in previous
        }
        if previous.get("ENGINE") == database["ENGINE"] and previous.get("OPTIONS"):
            database["OPTIONS"] = dict(previous["OPTIONS"], **database.get("OPTIONS", {}))
        kept.update(database)
        age = integer("DATABASE_CONN_MAX_AGE")
        if age is not None or "CONN_MAX_AGE" not in kept:
            # Reusing connections saves a TLS handshake per request (Cloud SQL, managed Postgres).
            kept["CONN_MAX_AGE"] = 60 if age is None else age
            kept["CONN_HEALTH_CHECKS"] = kept["CONN_MAX_AGE"] > 0
        databases["default"] = kept
        settings["DATABASES"] = databases

    # -- static and media files --------------------------------------------------------------

    for name in ("STATIC_ROOT", "MEDIA_ROOT", "BUILD_DIR"):
        value = text(name)
        if value is not None:
            settings[name] = local_path(value)
    for name in ("STATIC_URL", "MEDIA_URL"):
        value = text(name)
        if value is not None:
            settings[name] = value if value.endswith("/") else value + "/"
    if not settings.get("STATIC_ROOT"):
        # collectstatic refuses to run without it.
        settings["STATIC_ROOT"] = os.path.join(app_dir, "staticfiles")
    if not settings.get("STATIC_URL"):
        settings["STATIC_URL"] = "/static/"

    # A source directory that is not in the artifact (an empty folder git does not keep, a
    # front-end build output) contributes no files; drop it instead of warning (staticfiles.W004).
    directories = settings.get("STATICFILES_DIRS")
    if directories:
        present = [
            entry
            for entry in directories
            if os.path.isdir(str(entry[1] if isinstance(entry, (list, tuple)) else entry))
        ]
        if len(present) != len(directories):
            settings["STATICFILES_DIRS"] = present

    default_storage = "django.core.files.storage.FileSystemStorage"
    plain_static = "django.contrib.staticfiles.storage.StaticFilesStorage"
    if "STORAGES" in settings:
        # Merge, never replace: a STORAGES without "default" breaks every file upload
        # (InvalidStorageError), one without "staticfiles" breaks collectstatic.
        storages = {alias: dict(config) for alias, config in (settings["STORAGES"] or {}).items()}
        storages.setdefault("default", {"BACKEND": default_storage})
        storages.setdefault("staticfiles", {"BACKEND": plain_static})
        settings["STORAGES"] = storages

    def set_static_backend(backend):
        legacy = "STATICFILES_STORAGE" in settings or "DEFAULT_FILE_STORAGE" in settings
        if "STORAGES" in settings:
            settings["STORAGES"]["staticfiles"]["BACKEND"] = backend
        elif django.VERSION < (4, 2) or (legacy and django.VERSION < (5, 1)):
            # The project uses the pre-4.2 names; Django 4.2 and 5.0 refuse a mix with STORAGES.
            settings["STATICFILES_STORAGE"] = backend
        else:
            # Django 5.1+ ignores the old names, so carry the project's file storage over.
            settings["STORAGES"] = {
                "default": {"BACKEND": settings.get("DEFAULT_FILE_STORAGE") or default_storage},
                "staticfiles": {"BACKEND": backend},
            }

    if flag("DJANGO_WHITENOISE") is not False and find_spec("whitenoise") is not None:
        if "STORAGES" in settings:
            backend = settings["STORAGES"]["staticfiles"].get("BACKEND")
        else:
            backend = settings.get("STATICFILES_STORAGE")
        backend = backend or plain_static
        # Static files kept on S3/GCS/Azure by django-storages stay there.
        if not backend.startswith("storages."):
            if whitenoise not in middleware:
                middleware.insert(middleware.index(security) + 1, whitenoise)
            # The manifest flavour only when the project already chose one: it turns a file missing
            # from the manifest into a 500, which a project that never ran it would not expect.
            replacement = {
                plain_static: "whitenoise.storage.CompressedStaticFilesStorage",
                "django.contrib.staticfiles.storage.ManifestStaticFilesStorage": "whitenoise.storage.CompressedManifestStaticFilesStorage",
            }.get(backend)
            if replacement is not None:
                set_static_backend(replacement)

    settings["MIDDLEWARE"] = middleware

    # -- quiet defaults ----------------------------------------------------------------------

    # Django's implicit default, stated: no schema change, and no models.W042 per model.
    settings.setdefault("DEFAULT_AUTO_FIELD", "django.db.models.AutoField")

    if "LOGGING" not in settings and "LOGGING_CONFIG" not in settings:
        # Django's default logging prints nothing with DEBUG off and mails errors to ADMINS;
        # on a platform the log is stderr, so send records there (500 tracebacks included).
        settings["LOGGING"] = {
            "version": 1,
            "disable_existing_loggers": False,
            "handlers": {"console": {"class": "logging.StreamHandler"}},
            "root": {"handlers": ["console"], "level": (text("DJANGO_LOG_LEVEL") or "INFO").upper()},
        }


_dd_apply(globals(), _dd_variables, _dd_app_dir)
del _dd_apply, _dd_base, _dd_base_module, _dd_variables, _dd_app_dir, _dd_importlib
