import { chmod, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { isAlive, sleep } from './process.js'
import './provided.js'

/**
 * Every file and process a test run creates lives in (or is recorded in) one run directory,
 * `<tmp>/django-deploy-tests-XXXXXX/`. The global teardown stops the recorded processes and
 * deletes the directory; the next run cleans up after a run that crashed before its teardown
 * (its owner process is gone). Concurrent runs by other people on the same machine are left alone.
 */

export const RUN_DIR_PREFIX = 'django-deploy-tests-'

/** Something to undo, e.g. stop a server or delete a directory. */
export type Cleanup = () => Promise<void> | void

/**
 * Where to register a cleanup: pass `onTestFinished` (imported from vitest) in sequential tests,
 * `ctx.onTestFinished` (from the test context) in concurrent tests, or your own collector for
 * resources created in beforeAll. Without one, the resource lives until the run's teardown.
 */
export type CleanupRegistrar = (fn: Cleanup) => void

interface Owner {
  pid: number
  startTime: string
  createdAt: string
}

/** The process start time from /proc (field 22 of /proc/<pid>/stat), so a reused pid is not mistaken for the owner. */
async function processStartTime(pid: number): Promise<string> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8')
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return fields[19] ?? ''
  } catch {
    return ''
  }
}

export async function processCommandLine(pid: number): Promise<string> {
  try {
    return (await readFile(`/proc/${pid}/cmdline`, 'utf8')).replaceAll('\0', ' ')
  } catch {
    return ''
  }
}

/** When running as root, the run directory must be traversable by the postgres user: use /tmp if TMPDIR is private. */
async function baseTempDir(): Promise<string> {
  const base = tmpdir()
  if (process.getuid?.() !== 0) return base
  try {
    let dir = base
    for (;;) {
      if (((await stat(dir)).mode & 0o001) === 0) return '/tmp'
      const parent = join(dir, '..')
      if (parent === dir) return base
      dir = parent
    }
  } catch {
    return '/tmp'
  }
}

/** Create this run's directory (mode 0755) and record the owner (the vitest main process). */
export async function createRunDir(): Promise<string> {
  const dir = await mkdtemp(join(await baseTempDir(), RUN_DIR_PREFIX))
  await chmod(dir, 0o755)
  const owner: Owner = { pid: process.pid, startTime: await processStartTime(process.pid), createdAt: new Date().toISOString() }
  await writeFile(join(dir, 'owner.json'), JSON.stringify(owner))
  await mkdir(join(dir, 'pids'))
  await mkdir(join(dir, 'tmp'))
  return dir
}

/**
 * This run's directory, from the global setup ('' outside a vitest worker, e.g. in the global setup
 * itself). vitest is imported lazily so this module also loads in the main process.
 */
export async function testRunDir(): Promise<string> {
  try {
    const { inject } = await import('vitest')
    return inject('testRunDir') ?? ''
  } catch {
    return ''
  }
}

let fallbackTmp: Promise<string> | undefined

/** A fresh directory for a test, inside the run directory (so teardown deletes it even if the test does not). */
export async function makeTempDir(prefix = 'tmp-', cleanup?: CleanupRegistrar): Promise<string> {
  const runDir = await testRunDir()
  let parent: string
  if (runDir) parent = join(runDir, 'tmp')
  else parent = await (fallbackTmp ??= mkdtemp(join(tmpdir(), RUN_DIR_PREFIX + 'nosetup-')))
  const dir = await mkdtemp(join(parent, prefix.replace(/[^A-Za-z0-9_.-]/g, '-')))
  cleanup?.(() => rm(dir, { recursive: true, force: true }))
  return dir
}

/**
 * Remember a process (and its process group, if it leads one) that must not outlive the run.
 * `marker` is a string its /proc command line contains (checked before signalling it later).
 */
export async function recordProcess(pid: number, marker: string): Promise<void> {
  const runDir = await testRunDir()
  if (!runDir) return
  await writeFile(join(runDir, 'pids', String(pid)), JSON.stringify({ pid, marker, startTime: await processStartTime(pid) }))
}

export async function forgetProcess(pid: number): Promise<void> {
  const runDir = await testRunDir()
  if (!runDir) return
  await rm(join(runDir, 'pids', String(pid)), { force: true })
}

/** Signal a process group (or the process alone), ignoring processes that are already gone. */
export function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal)
  } catch {
    try {
      process.kill(pid, signal)
    } catch {
      /* gone */
    }
  }
}

/** Stop every process recorded in a run directory that is still alive and still the same program. */
export async function stopRecordedProcesses(runDir: string): Promise<void> {
  let names: string[]
  try {
    names = await readdir(join(runDir, 'pids'))
  } catch {
    return
  }
  const alive: number[] = []
  for (const name of names) {
    try {
      const record = JSON.parse(await readFile(join(runDir, 'pids', name), 'utf8')) as {
        pid: number
        marker: string
        startTime: string
      }
      const sameProcess =
        isAlive(record.pid) &&
        (await processStartTime(record.pid)) === record.startTime &&
        (await processCommandLine(record.pid)).includes(record.marker)
      if (sameProcess) {
        signalGroup(record.pid, 'SIGTERM')
        alive.push(record.pid)
      }
    } catch {
      /* unreadable record: nothing we can safely do */
    }
  }
  for (let i = 0; i < 50 && alive.some(isAlive); i++) await sleep(100)
  for (const pid of alive) if (isAlive(pid)) signalGroup(pid, 'SIGKILL')
}

/**
 * Run directories whose owner process is gone (a crashed or killed run). `onStale` stops what they
 * still run (e.g. their PostgreSQL) before the directory is deleted.
 */
export async function cleanupStaleRunDirs(onStale: (dir: string) => Promise<void>): Promise<string[]> {
  const removed: string[] = []
  for (const base of new Set([tmpdir(), '/tmp'])) {
    let entries: string[]
    try {
      entries = await readdir(base)
    } catch {
      continue
    }
    for (const entry of entries) {
      if (!entry.startsWith(RUN_DIR_PREFIX) || entry.includes('nosetup')) continue
      const dir = join(base, entry)
      let owner: Owner
      try {
        owner = JSON.parse(await readFile(join(dir, 'owner.json'), 'utf8')) as Owner
      } catch {
        // No owner file: either being created right now, or broken. Only remove old ones.
        try {
          if (Date.now() - (await stat(dir)).mtimeMs < 10 * 60_000) continue
        } catch {
          continue
        }
        owner = { pid: -1, startTime: '', createdAt: '' }
      }
      if (owner.pid > 0 && isAlive(owner.pid) && (await processStartTime(owner.pid)) === owner.startTime) continue
      await onStale(dir)
      await stopRecordedProcesses(dir)
      await rm(dir, { recursive: true, force: true })
      removed.push(dir)
    }
  }
  return removed
}
