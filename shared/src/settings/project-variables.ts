import type { JsonValue, ProjectModel, SettingFact } from '../detect/model.js'

/**
 * Settings that the project itself already reads from the environment, under its own names
 * (cookiecutter-django: `env("DJANGO_SECRET_KEY")`; the GCP sample: `env.db()`). When such a read
 * has no default, importing the settings fails before the overlay gets a say, so the actions must
 * set that variable too: with the real value at runtime, with a placeholder at build time.
 */
export type MirroredSetting = 'SECRET_KEY' | 'DEBUG' | 'ALLOWED_HOSTS' | 'CSRF_TRUSTED_ORIGINS' | 'DATABASE_URL'

export interface ProjectVariable {
  /** The variable the project reads, e.g. "DJANGO_SECRET_KEY". */
  variable: string
  /** The setting it feeds (DATABASE_URL = the default database). */
  setting: MirroredSetting
  /** django-environ / decouple cast, when known ("bool", "list", "db", ...). */
  cast?: string
}

/** The project's own environment reads that have no default, in a fixed order. */
export function requiredProjectVariables(project: ProjectModel): ProjectVariable[] {
  const found: ProjectVariable[] = []
  const direct: Array<[MirroredSetting, SettingFact | undefined]> = [
    ['SECRET_KEY', project.facts.SECRET_KEY],
    ['DEBUG', project.facts.DEBUG],
    ['ALLOWED_HOSTS', project.facts.ALLOWED_HOSTS],
    ['CSRF_TRUSTED_ORIGINS', project.facts.CSRF_TRUSTED_ORIGINS],
  ]
  for (const [setting, fact] of direct) {
    // A read inside `if`/`try` may never run; only unconditional ones make the import fail.
    if (fact?.value.kind === 'env' && fact.value.default === undefined && !fact.conditional) {
      found.push(withCast({ variable: fact.value.variable, setting }, fact.value.cast))
    }
  }
  const databases = project.facts.DATABASES
  if (databases && !databases.conditional) {
    if (databases.value.kind === 'env' && databases.value.default === undefined) {
      found.push(withCast({ variable: databases.value.variable, setting: 'DATABASE_URL' }, databases.value.cast))
    } else if (databases.value.kind === 'literal') {
      for (const read of environmentReads(databases.value.value)) {
        if (read.default === undefined && (read.cast === 'db' || read.cast === 'db_url' || /DATABASE_URL$/.test(read.variable))) {
          found.push(withCast({ variable: read.variable, setting: 'DATABASE_URL' }, read.cast))
        }
      }
    }
  }
  const seen = new Set<string>()
  return found.filter((entry) => (seen.has(entry.variable) ? false : (seen.add(entry.variable), true)))
}

function withCast(entry: ProjectVariable, cast: string | undefined): ProjectVariable {
  return cast === undefined ? entry : { ...entry, cast }
}

interface EnvironmentRead {
  variable: string
  default?: JsonValue
  cast?: string
}

/** `{ "$env": NAME, ... }` placeholders anywhere inside a literal value, depth first. */
function environmentReads(value: JsonValue): EnvironmentRead[] {
  if (Array.isArray(value)) return value.flatMap(environmentReads)
  if (value === null || typeof value !== 'object') return []
  const variable = value.$env
  if (typeof variable === 'string') {
    const read: EnvironmentRead = { variable }
    if (Object.hasOwn(value, 'default')) read.default = value.default ?? null
    if (typeof value.cast === 'string') read.cast = value.cast
    return [read]
  }
  return Object.keys(value)
    .sort()
    .flatMap((key) => environmentReads(value[key] ?? null))
}
