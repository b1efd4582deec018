import type { ProjectModel } from '../detect/model.js'

/**
 * Debian packages for database drivers that are not self-contained wheels. The build stage gets
 * compilers and headers; the runtime stage only the shared libraries, so the image stays small.
 * psycopg2-binary and psycopg[binary] bundle libpq and need nothing.
 */
export interface SystemPackages {
  build: string[]
  runtime: string[]
}

export function systemPackages(project: ProjectModel, extraRequirements: readonly string[]): SystemPackages {
  const declared = (name: string) => Object.hasOwn(project.dependencies.packages, name)
  const build = new Set<string>()
  const runtime = new Set<string>()
  if (declared('psycopg2')) {
    // psycopg2 (not -binary) compiles against libpq.
    for (const name of ['build-essential', 'libpq-dev']) build.add(name)
    runtime.add('libpq5')
  }
  if (declared('psycopg') && !extraRequirements.some((requirement) => requirement.startsWith('psycopg['))) {
    // Plain psycopg 3 loads the system libpq at runtime (its [binary] extra would bundle one,
    // but extras are not visible in the declared name, so install the small library anyway).
    runtime.add('libpq5')
  }
  if (declared('mysqlclient')) {
    for (const name of ['build-essential', 'default-libmysqlclient-dev', 'pkg-config']) build.add(name)
    runtime.add('libmariadb3')
  }
  return { build: [...build].sort(), runtime: [...runtime].sort() }
}
