import { access, appendFile, chown, mkdir, readdir, readFile } from 'node:fs/promises'
import { constants } from 'node:fs'
import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import { freePort } from './ports.js'
import { isAlive, mustSucceed, run, sleep, type RunResult } from './process.js'
import type { PostgresInfo, PostgresProvided } from './provided.js'
import { processCommandLine } from './rundir.js'

/**
 * A private, throwaway PostgreSQL cluster per test run (started once by global-setup.ts), and
 * the helpers tests use to get a fresh database from it.
 *
 * The cluster listens on 127.0.0.1:<free port> and on a socket in its own directory, trusts
 * every local connection, and trades durability for speed (initdb --no-sync, fsync=off).
 * PostgreSQL refuses to run as root: as root, the server runs as the `postgres` system user
 * (like Debian's pg_ctlcluster) and its directory is owned by that user.
 */

export type { PostgresInfo } from './provided.js'

const SERVER_PROGRAMS = ['initdb', 'pg_ctl', 'postgres', 'createdb', 'psql']

/** The directory with initdb/pg_ctl/postgres: $PG_BINDIR, else Debian's /usr/lib/postgresql/15/bin, else the newest installed. */
export async function findPostgresBinDir(): Promise<string> {
  const candidates: string[] = []
  if (process.env.PG_BINDIR) candidates.push(process.env.PG_BINDIR)
  candidates.push('/usr/lib/postgresql/15/bin')
  try {
    const versions = (await readdir('/usr/lib/postgresql')).filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a))
    for (const v of versions) candidates.push(`/usr/lib/postgresql/${v}/bin`)
  } catch {
    /* no Debian layout */
  }
  for (const dir of candidates) {
    const ok = await Promise.all(
      SERVER_PROGRAMS.map((p) =>
        access(join(dir, p), constants.X_OK).then(
          () => true,
          () => false,
        ),
      ),
    )
    if (ok.every(Boolean)) return dir
  }
  throw new Error(
    `PostgreSQL server binaries (${SERVER_PROGRAMS.join(', ')}) not found; looked in ${[...new Set(candidates)].join(', ')}.\n` +
      'Install them as .ci/run does (apt-get install postgresql), or point PG_BINDIR at their directory. ' +
      'To run tests without PostgreSQL, set TEST_POSTGRES=off (tests that need a database then fail with this reason).',
  )
}

interface RunAs {
  uid: number
  gid: number
}

/** As root, the postgres system user (PostgreSQL refuses to run as root); otherwise the current user. */
async function serverUser(): Promise<RunAs | undefined> {
  if (process.getuid?.() !== 0) return undefined
  const passwd = await run('getent', ['passwd', 'postgres'], { timeoutMs: 10_000 }).catch(() => undefined)
  const fields = passwd?.exitCode === 0 ? passwd.stdout.trim().split(':') : []
  const uid = Number(fields[2])
  const gid = Number(fields[3])
  if (!fields.length || !Number.isInteger(uid) || !Number.isInteger(gid) || uid === 0) {
    throw new Error(
      'Running as root, but there is no "postgres" system user to run the PostgreSQL server as ' +
        '(initdb and postgres refuse to run as root). Installing the Debian package postgresql creates it.',
    )
  }
  return { uid, gid }
}

export interface Cluster {
  info: PostgresInfo
  /** The directory holding data/, socket/ and server.log (deleted by the caller). */
  baseDir: string
  dataDir: string
  logFile: string
  runAs?: RunAs
}

function serverEnv(): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH ?? '/usr/bin:/bin', LANG: 'C', LC_ALL: 'C', TZ: 'UTC' }
}

async function tail(file: string, bytes = 4000): Promise<string> {
  try {
    return (await readFile(file, 'utf8')).slice(-bytes)
  } catch {
    return '(no log)'
  }
}

function describe(result: RunResult): string {
  return `exit code ${result.exitCode}\n${result.stdout}${result.stderr}`.trim()
}

/** initdb a new cluster in `baseDir` (created by the caller, empty) and start it. */
export async function startCluster(baseDir: string): Promise<Cluster> {
  const binDir = await findPostgresBinDir()
  const runAs = await serverUser()
  const dataDir = join(baseDir, 'data')
  const socketDir = join(baseDir, 'socket')
  const logFile = join(baseDir, 'server.log')
  await mkdir(socketDir, { recursive: true, mode: 0o700 })
  if (runAs) {
    await chown(baseDir, runAs.uid, runAs.gid)
    await chown(socketDir, runAs.uid, runAs.gid)
  }
  const asServer = { env: serverEnv(), uid: runAs?.uid, gid: runAs?.gid, cwd: baseDir }

  const versionResult = await run(join(binDir, 'postgres'), ['--version'], { ...asServer, timeoutMs: 30_000 })
  const version = /(\d+(?:\.\d+)+)/.exec(versionResult.stdout)?.[1] ?? 'unknown'

  const initdb = await run(
    join(binDir, 'initdb'),
    ['-D', dataDir, '-U', 'postgres', '--auth=trust', '--no-sync', '--encoding=UTF8', '--locale=C', '--no-instructions'],
    { ...asServer, timeoutMs: 120_000 },
  )
  if (initdb.exitCode !== 0) throw new Error(`initdb failed (${describe(initdb)})`)

  await appendFile(
    join(dataDir, 'postgresql.conf'),
    [
      '',
      '# --- throwaway test cluster (test/support/postgres.ts) ---',
      "listen_addresses = '127.0.0.1'",
      `unix_socket_directories = '${socketDir}'`,
      'fsync = off',
      'synchronous_commit = off',
      'full_page_writes = off',
      'max_connections = 300',
      'shared_buffers = 64MB',
      'max_parallel_workers_per_gather = 0',
      "log_min_messages = 'warning'",
      '',
    ].join('\n'),
  )

  // The port can be taken between freePort() and the bind: retry with another one.
  let lastError = ''
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freePort()
    const started = await run(
      join(binDir, 'pg_ctl'),
      ['-D', dataDir, '-l', logFile, '-w', '-t', '60', '-o', `-p ${port}`, 'start'],
      {
        ...asServer,
        timeoutMs: 90_000,
      },
    )
    if (started.exitCode === 0) {
      const info: PostgresInfo = {
        host: '127.0.0.1',
        port,
        user: 'postgres',
        adminUrl: `postgres://postgres@127.0.0.1:${port}/postgres`,
        socketDir,
        binDir,
        version,
      }
      return { info, baseDir, dataDir, logFile, runAs }
    }
    const log = await tail(logFile)
    lastError = `${describe(started)}\n--- ${logFile} ---\n${log}`
    if (!/could not bind|Address already in use/i.test(log)) break
  }
  throw new Error(`could not start PostgreSQL in ${dataDir}: ${lastError}`)
}

/** Stop the server immediately (its data is thrown away). The caller deletes baseDir. */
export async function stopCluster(cluster: Cluster): Promise<void> {
  const stopped = await run(
    join(cluster.info.binDir, 'pg_ctl'),
    ['-D', cluster.dataDir, '-m', 'immediate', '-w', '-t', '30', 'stop'],
    {
      env: serverEnv(),
      uid: cluster.runAs?.uid,
      gid: cluster.runAs?.gid,
      cwd: cluster.baseDir,
      timeoutMs: 60_000,
    },
  ).catch(() => undefined)
  if (stopped?.exitCode !== 0) await killPostmaster(cluster.dataDir)
}

/**
 * Stop the postmaster of a data directory left behind by a crashed run, using the pid in its
 * postmaster.pid file, after checking that this pid really is a postgres for that data directory.
 */
export async function killPostmaster(dataDir: string): Promise<void> {
  let pid: number
  try {
    pid = Number((await readFile(join(dataDir, 'postmaster.pid'), 'utf8')).split('\n')[0])
  } catch {
    return
  }
  if (!Number.isInteger(pid) || pid <= 0 || !isAlive(pid)) return
  const cmdline = await processCommandLine(pid)
  if (!cmdline.includes('postgres') || !cmdline.includes(dataDir)) return
  process.kill(pid, 'SIGQUIT') // immediate shutdown; children exit with the postmaster
  for (let i = 0; i < 100 && isAlive(pid); i++) await sleep(100)
  if (isAlive(pid)) process.kill(pid, 'SIGKILL')
}

// ---------------------------------------------------------------------------------------------
// In tests

/** This run's cluster. Throws the reason when the global setup could not (or was told not to) start one. */
export async function postgres(): Promise<PostgresInfo> {
  let provided: PostgresProvided | undefined
  try {
    const { inject } = await import('vitest')
    provided = inject('postgres')
  } catch {
    provided = undefined
  }
  if (!provided) throw new Error('no PostgreSQL cluster: test/support/global-setup.ts is not registered as a vitest globalSetup')
  if (!provided.available) throw new Error(`no PostgreSQL cluster for this test run: ${provided.reason}`)
  return provided.info
}

let counter = 0

/** A database name: the prefix (lowercased, [a-z0-9_] only) plus a unique suffix, at most 63 characters. */
export function uniqueDatabaseName(prefix = 'test'): string {
  const clean =
    prefix
      .toLowerCase()
      .replace(/[^a-z0-9_]+/g, '_')
      .replace(/^[^a-z_]+/, '')
      .slice(0, 30) || 'test'
  counter += 1
  return `${clean}_${process.pid}_${counter}_${randomBytes(3).toString('hex')}`
}

function connectionArgs(info: PostgresInfo): string[] {
  return ['-h', info.host, '-p', String(info.port), '-U', info.user]
}

function clientEnv(): NodeJS.ProcessEnv {
  return { ...serverEnv(), PGCONNECT_TIMEOUT: '10' }
}

/**
 * Create a new, empty database with a unique name (prefix + suffix) in this run's cluster and
 * return its DATABASE_URL, `postgres://postgres@127.0.0.1:<port>/<name>`. The database is thrown
 * away with the cluster at the end of the run; dropDatabase() frees it earlier.
 */
export async function createDatabase(prefix = 'test'): Promise<string> {
  const info = await postgres()
  const name = uniqueDatabaseName(prefix)
  mustSucceed(
    await run(join(info.binDir, 'createdb'), [...connectionArgs(info), '--encoding=UTF8', name], {
      env: clientEnv(),
      timeoutMs: 60_000,
    }),
    `createdb ${name}`,
  )
  return `postgres://${info.user}@${info.host}:${info.port}/${name}`
}

/** Drop a database created by createDatabase (closing its connections first). */
export async function dropDatabase(databaseUrl: string): Promise<void> {
  const info = await postgres()
  const name = decodeURIComponent(new URL(databaseUrl).pathname.slice(1))
  mustSucceed(
    await run(join(info.binDir, 'dropdb'), [...connectionArgs(info), '--if-exists', '--force', name], {
      env: clientEnv(),
      timeoutMs: 60_000,
    }),
    `dropdb ${name}`,
  )
}

/** Run SQL with psql against a database URL; returns psql's unaligned, tuples-only output (rows on lines, `|` between columns). */
export async function psql(databaseUrl: string, sql: string): Promise<string> {
  const info = await postgres()
  const result = mustSucceed(
    await run(join(info.binDir, 'psql'), ['-X', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-d', databaseUrl, '-c', sql], {
      env: clientEnv(),
      timeoutMs: 60_000,
    }),
    `psql -c ${JSON.stringify(sql)}`,
  )
  return result.stdout.trim()
}
