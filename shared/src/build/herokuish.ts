import path from 'node:path'
import type { Finding, ProjectModel } from '../detect/model.js'
import type { GeneratedFile } from '../plan.js'
import type { ReadFile } from '../settings/read-file.js'
import { extraPackages, type DatabaseKind } from './extras.js'

/**
 * What a herokuish (Python buildpack) deploy needs on top of the project's own dependencies.
 * The buildpack installs exactly what the project declares, but the generated Procfile runs
 * gunicorn, the overlay serves static files with whitenoise, and a PostgreSQL database needs a
 * driver. With plain pip (requirements.txt) the missing ones are appended to the deployed copy of
 * requirements.txt (the deploy artifact only, never the user's file). A lock file (poetry.lock,
 * Pipfile.lock, uv.lock, pdm.lock) or a manager whose file we do not rewrite cannot take an
 * addition without re-locking, so the deploy switches to the generated Dockerfile, which installs
 * the additions itself.
 */
export type HerokuishDependencies =
  | { kind: 'complete'; notes: Finding[] }
  | { kind: 'append'; file: GeneratedFile; added: string[]; notes: Finding[] }
  | { kind: 'switch-to-dockerfile'; reason: string; missing: string[]; notes: Finding[] }

export interface HerokuishOptions {
  readFile: ReadFile
  /** The deployed directory, relative to the repository root ('' for the root). */
  deployRoot: string
  /** The database the app will use (postgres when a Postgres service is linked or DATABASE_URL says so). */
  database: DatabaseKind | undefined
}

const MARKER = '# Added by the deploy (not in your repository): what the Procfile and the production settings need.'

export function herokuishDependencies(project: ProjectModel, options: HerokuishOptions): HerokuishDependencies {
  const extras = extraPackages(project, options.database)
  if (extras.requirements.length === 0) return { kind: 'complete', notes: [] }
  const missing = extras.requirements
  const { manager, lockFile } = project.dependencies
  const requirementsPath = path.posix.join(options.deployRoot, 'requirements.txt')
  const requirements = options.readFile(requirementsPath)

  // heroku-buildpack-python picks its manager in this order: Pipfile.lock, Pipfile, requirements.txt,
  // poetry.lock, uv.lock. A Pipfile therefore wins over requirements.txt, and an addition to
  // requirements.txt would be ignored there.
  const pipfile = ['Pipfile.lock', 'Pipfile'].find(
    (name) => options.readFile(path.posix.join(options.deployRoot, name)) !== undefined,
  )
  if (pipfile) {
    const reason = `the buildpack installs from ${pipfile} (before requirements.txt), which cannot take ${missing.join(', ')} without re-locking`
    return switchToDockerfile(reason, missing)
  }
  if (requirements !== undefined || manager === 'none') {
    const base = requirements ?? ''
    const content = `${base}${base === '' || base.endsWith('\n') ? '' : '\n'}${MARKER}\n${missing.join('\n')}\n`
    const notes = extras.notes.map((note) => ({
      ...note,
      message: note.message.replace('the image installs', 'the deployed requirements.txt gets'),
    }))
    return {
      kind: 'append',
      added: missing,
      notes,
      file: {
        path: 'requirements.txt',
        content,
        overwrite: requirements !== undefined,
        reason:
          requirements === undefined
            ? `no requirements.txt: the buildpack is given one with ${missing.join(', ')}`
            : `your requirements.txt plus ${missing.join(', ')} (the copy in the deploy only)`,
      },
    }
  }
  const reason = lockFile
    ? `${lockFile} pins every package and cannot take ${missing.join(', ')} without re-locking`
    : `${manager} dependencies (${project.dependencies.files.join(', ') || 'pyproject.toml'}) are not rewritten by the deploy, so ${missing.join(', ')} cannot be added`
  return switchToDockerfile(reason, missing)
}

function switchToDockerfile(reason: string, missing: string[]): HerokuishDependencies {
  return {
    kind: 'switch-to-dockerfile',
    reason,
    missing,
    notes: [
      {
        level: 'notice',
        code: 'builder-switched-to-dockerfile',
        message: `builder is the generated Dockerfile instead of herokuish: ${reason}, and the Procfile and settings need them. Declare them (and re-lock) to deploy with herokuish.`,
      },
    ],
  }
}
