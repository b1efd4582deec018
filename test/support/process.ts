import { spawn } from 'node:child_process'

/** The outcome of a finished program. Never throws for a non-zero exit: the caller decides. */
export interface RunResult {
  exitCode: number
  /** The signal that ended the program, if any (then exitCode is 128 + its number, or 1). */
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
}

export interface RunOptions {
  cwd?: string
  /** The complete environment (not merged with process.env). Default: process.env. */
  env?: NodeJS.ProcessEnv
  /** Written to stdin, then stdin is closed. */
  input?: string
  /** SIGTERM (then SIGKILL after 2 s) after this many milliseconds; the result then says so in stderr. Default 120 s. */
  timeoutMs?: number
  /** Run as this user and group (only when running as root). */
  uid?: number
  gid?: number
}

const SIGNAL_NUMBERS: Partial<Record<NodeJS.Signals, number>> = { SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGKILL: 9, SIGTERM: 15 }

/** Run a program without a shell and collect its output. Rejects only if it cannot be started. */
export function run(command: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ['pipe', 'pipe', 'pipe'],
      uid: options.uid,
      gid: options.gid,
    })
    const stdout: Buffer[] = []
    const stderr: Buffer[] = []
    const timeoutMs = options.timeoutMs ?? 120_000
    let timedOut = false
    const timer = setTimeout(() => {
      timedOut = true
      child.kill('SIGTERM')
      setTimeout(() => child.kill('SIGKILL'), 2000).unref()
    }, timeoutMs)
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk))
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk))
    child.on('error', (error) => {
      clearTimeout(timer)
      reject(new Error(`could not start ${command}: ${error.message}`, { cause: error }))
    })
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      let err = Buffer.concat(stderr).toString('utf8')
      if (timedOut) err += `\n[test support] ${command} killed after ${timeoutMs} ms\n`
      resolve({
        exitCode: code ?? (signal ? 128 + (SIGNAL_NUMBERS[signal] ?? 0) : 1),
        signal,
        stdout: Buffer.concat(stdout).toString('utf8'),
        stderr: err,
      })
    })
    child.stdin.on('error', () => {
      /* the program may exit without reading its stdin */
    })
    child.stdin.end(options.input ?? '')
  })
}

/** Throw an error that shows the command's output unless it exited with 0. Returns the result for chaining. */
export function mustSucceed(result: RunResult, what: string): RunResult {
  if (result.exitCode !== 0) {
    throw new Error(
      `${what} failed with exit code ${result.exitCode}${result.signal ? ` (${result.signal})` : ''}\n` +
        `--- stdout ---\n${result.stdout.slice(-4000)}\n--- stderr ---\n${result.stderr.slice(-8000)}`,
    )
  }
  return result
}

/** True if a process with this id exists (and we may signal it). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}
