/**
 * Values the global setup (global-setup.ts) hands to every test file through vitest's
 * provide/inject. Import the helpers in postgres.ts / rundir.ts rather than calling inject directly.
 */

/** The private PostgreSQL cluster of this test run. */
export interface PostgresInfo {
  host: string
  port: number
  /** Superuser; local connections need no password (trust). */
  user: string
  /** `postgres://postgres@127.0.0.1:<port>/postgres`, for administrative connections. */
  adminUrl: string
  /** Directory of the Unix socket (psql -h <socketDir>). */
  socketDir: string
  /** Directory with psql, createdb, pg_dump... of the same version. */
  binDir: string
  /** Server version, e.g. "15.18". */
  version: string
}

export type PostgresProvided = { available: true; info: PostgresInfo } | { available: false; reason: string }

declare module 'vitest' {
  export interface ProvidedContext {
    /** A directory private to this test run; deleted (with everything in it) at teardown. */
    testRunDir: string
    postgres: PostgresProvided
    /** The wheel index and python:3.X-slim stand-ins (testbed.ts). */
    testbed: import('./testbed-prepare.js').TestbedProvided
  }
}
