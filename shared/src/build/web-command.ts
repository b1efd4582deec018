import { ActionError } from '../errors.js'
import { shellQuote } from './shell.js'
import type { ProjectModel } from '../detect/model.js'

/**
 * How the app is served and migrated, shared by the Dockerfile CMD, the Procfile and the actions
 * (the Cloud Run migration Job runs MIGRATE_COMMAND in the same image).
 *
 * gunicorn with threads (gthread): Django spends most of a request waiting on the database, so a
 * couple of processes with a few threads each use one Cloud Run vCPU / a small Dokku host well,
 * start fast (cold starts) and hold few database connections. WSGI whenever the project has a WSGI
 * application; a project with only an ASGI one (no WSGI_APPLICATION, no wsgi.py) is served by the
 * same gunicorn with uvicorn's worker class, one event loop per worker (no threads), which
 * extras.ts adds when the project does not declare uvicorn.
 */
export const GUNICORN_DEFAULTS = { workers: 2, threads: 4 } as const

/** Migrations: never at container start (every instance would race), always as a release task or Job. */
export const MIGRATE_COMMAND = ['python', 'manage.py', 'migrate', '--noinput'] as const

/** gunicorn's worker class for an ASGI application (uvicorn's; gunicorn itself speaks only WSGI). */
export const UVICORN_WORKER = 'uvicorn.workers.UvicornWorker'

/** True when the project is served as ASGI: it has an ASGI application and no WSGI one. */
export function servesAsgi(project: ProjectModel): boolean {
  return project.wsgiApplication === undefined && project.asgiApplication !== undefined
}

/** "mysite.wsgi.application" → "mysite.wsgi:application", the form gunicorn takes (the ASGI one when ASGI-only). */
export function gunicornTarget(project: ProjectModel): string {
  const asgi = servesAsgi(project)
  const application = asgi ? project.asgiApplication : project.wsgiApplication
  const setting = asgi ? 'ASGI_APPLICATION' : 'WSGI_APPLICATION'
  const match = application === undefined ? null : /^([A-Za-z_][\w]*(?:\.[A-Za-z_][\w]*)*)\.([A-Za-z_]\w*)$/.exec(application)
  if (!match) {
    throw new ActionError(
      application === undefined
        ? 'No WSGI or ASGI application was found, so there is nothing for gunicorn to serve.'
        : `${setting} '${application}' is not a dotted path to an object.`,
      {
        hint: asgi
          ? "Set ASGI_APPLICATION = '<project>.asgi.application' in your settings, next to an asgi.py that defines `application`."
          : "Set WSGI_APPLICATION = '<project>.wsgi.application' in your settings, next to a wsgi.py that defines `application` (or an asgi.py for an ASGI-only project).",
      },
    )
  }
  return `${match[1]}:${match[2]}`
}

/** How each worker runs the app: threads for WSGI, uvicorn's event loop for ASGI (threads would be ignored). */
function workerOption(project: ProjectModel, threads: string): string {
  return servesAsgi(project) ? `--worker-class ${UVICORN_WORKER}` : threads
}

/**
 * The image's command, for a shell (Dockerfile `CMD` shell form): `$PORT` comes from the platform
 * (Cloud Run 8080, Dokku 5000) with 8000 for a local `docker run`; `exec` makes gunicorn PID 1 so
 * SIGTERM on scale-down or redeploy reaches it and in-flight requests finish. Knobs read from the
 * environment: WEB_CONCURRENCY, GUNICORN_THREADS, GUNICORN_TIMEOUT (0 = no worker timeout, as
 * Cloud Run advises: with CPU throttled between requests, gunicorn's heartbeat would otherwise
 * kill idle workers); anything else through GUNICORN_CMD_ARGS.
 */
export function containerCommand(project: ProjectModel): string {
  return [
    'exec gunicorn',
    gunicornTarget(project),
    '--bind "0.0.0.0:${PORT:-8000}"',
    `--workers "\${WEB_CONCURRENCY:-${GUNICORN_DEFAULTS.workers}}"`,
    workerOption(project, `--threads "\${GUNICORN_THREADS:-${GUNICORN_DEFAULTS.threads}}"`),
    '--timeout "${GUNICORN_TIMEOUT:-0}"',
    // The heartbeat file on the container's overlay filesystem can stall workers; tmpfs cannot.
    '--worker-tmp-dir /dev/shm',
    '--access-logfile -',
  ].join(' ')
}

/**
 * The Procfile `web:` command. No shell syntax at all, so it means the same whether Dokku runs it
 * through a shell or hands the words to the image: gunicorn itself binds 0.0.0.0:$PORT when PORT
 * is set and takes its worker count from WEB_CONCURRENCY.
 */
/** The Procfile's web command; `appDir` is the folder of manage.py, relative to where processes start. */
export function procfileWebCommand(project: ProjectModel, appDir = '.'): string {
  return [
    'gunicorn',
    ...(appDir === '.' ? [] : [`--chdir ${shellQuote(appDir)}`]),
    gunicornTarget(project),
    workerOption(project, `--threads ${GUNICORN_DEFAULTS.threads}`),
    '--worker-tmp-dir /dev/shm',
    '--access-logfile -',
  ].join(' ')
}
