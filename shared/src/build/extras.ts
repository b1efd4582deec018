import type { Finding, ProjectModel } from '../detect/model.js'
import { servesAsgi } from './web-command.js'

/**
 * Packages the deploy needs that the project may not declare: gunicorn to serve (and uvicorn for
 * its ASGI worker when the project has no WSGI application), whitenoise for
 * static files, a PostgreSQL driver when the database will be PostgreSQL. They are installed into
 * the image on top of the project's own dependencies (never written into its requirement files)
 * and each one is reported, so the user can pin it themselves.
 */
export type DatabaseKind = 'postgres' | 'mysql' | 'sqlite' | 'other'

export interface Extras {
  /** pip requirement strings, in a fixed order. */
  requirements: string[]
  notes: Finding[]
}

/** The database the deployed app will use: the caller's knowledge first (a provisioned Postgres), else the settings' ENGINE. */
export function databaseKind(project: ProjectModel, override?: DatabaseKind): DatabaseKind | undefined {
  if (override) return override
  const engine = project.summary.databaseEngine ?? ''
  if (/postgresql|postgis|psycopg/.test(engine)) return 'postgres'
  if (/mysql/.test(engine)) return 'mysql'
  if (/sqlite|spatialite/.test(engine)) return 'sqlite'
  return engine ? 'other' : undefined
}

export function extraPackages(project: ProjectModel, database: DatabaseKind | undefined): Extras {
  const packages = project.dependencies.packages
  const has = (...names: string[]) => names.some((name) => Object.hasOwn(packages, name))
  const requirements: string[] = []
  const notes: Finding[] = []
  const add = (requirement: string, why: string, name: string) => {
    requirements.push(requirement)
    notes.push({
      level: 'notice',
      code: 'added-package',
      message: `${name} is not among your dependencies; the image installs ${requirement} ${why}. Add it to your dependencies to choose the version.`,
    })
  }
  if (!project.features.gunicorn && !has('gunicorn')) {
    // 22.0 fixed request smuggling (CVE-2024-1135).
    add('gunicorn>=22', 'to serve the app', 'gunicorn')
  }
  if (servesAsgi(project) && !project.features.uvicorn && !has('uvicorn')) {
    // The project has only an ASGI application: gunicorn runs it with uvicorn's worker class.
    add('uvicorn>=0.30', "for gunicorn's ASGI worker (uvicorn.workers.UvicornWorker; the project has no WSGI module)", 'uvicorn')
  }
  const staticOnObjectStorage = (project.summary.staticfilesBackend ?? '').startsWith('storages.')
  if (!project.features.whitenoise && !has('whitenoise') && !staticOnObjectStorage) {
    add('whitenoise>=6', 'to serve static files', 'whitenoise')
  }
  const hasDriver =
    project.features.psycopg || project.features.psycopg2 || has('psycopg', 'psycopg2', 'psycopg2-binary', 'psycopg-binary')
  if (database === 'postgres' && !hasDriver) {
    // psycopg 3 needs Django 4.2+; older projects get psycopg2.
    const driver = djangoBefore42(packages.django) ? 'psycopg2-binary>=2.9' : 'psycopg[binary]>=3.1'
    add(driver, 'to reach PostgreSQL', 'A PostgreSQL driver')
  }
  return { requirements, notes }
}

/** True when the declared Django range cannot reach 4.2 ("==3.2.*", "<4.2", "~=4.1.0", "^3.2"). */
export function djangoBefore42(specifier: string | undefined): boolean {
  if (!specifier) return false
  return specifier.split(',').some((clause) => {
    const match = /^\s*(===|==|~=|<=|<|\^|~|=)?\s*(\d+)\.(\d+)(\.\d+)?/.exec(clause)
    if (!match) return false
    const [, operator = '==', majorText, minorText, patch] = match
    const major = Number(majorText)
    const below = major * 100 + Number(minorText) < 402
    switch (operator) {
      case '<':
        return major * 100 + Number(minorText) <= 402
      case '~=':
        // ~=4.1 allows 4.x; ~=4.1.0 allows 4.1.x only
        return patch === undefined ? major < 4 : below
      case '^':
        return major < 4
      default:
        return below
    }
  })
}
