import { spawn } from 'node:child_process'
import { TimeoutError } from '../errors.js'

/**
 * Running a program is a side effect; everything that does it takes a `CommandRunner`, so planning
 * code can be tested with a recording runner and end-to-end tests use the real one.
 */
export interface CommandOptions {
  cwd?: string
  /** Added to (not replacing) the current environment; a value of `undefined` removes the variable. */
  env?: Record<string, string | undefined>
  /** Written to the program's stdin, then stdin is closed. */
  input?: string | Buffer
  /** Kill the program (SIGTERM, then SIGKILL) after this many milliseconds and throw TimeoutError. */
  timeoutMs?: number
  /** Called with each chunk of output as it arrives, e.g. to stream a build log into a log group. */
  onStdout?: (chunk: string) => void
  onStderr?: (chunk: string) => void
}

export interface CommandResult {
  exitCode: number
  stdout: string
  stderr: string
}

export interface CommandRunner {
  run(command: string, args: readonly string[], options?: CommandOptions): Promise<CommandResult>
}

/** The real runner: `child_process.spawn`, no shell, so arguments are never re-parsed. */
export const spawnRunner: CommandRunner = {
  run(command, args, options = {}) {
    return new Promise((resolve, reject) => {
      const env = { ...process.env }
      for (const [key, value] of Object.entries(options.env ?? {})) {
        if (value === undefined) delete env[key]
        else env[key] = value
      }
      const child = spawn(command, args, { cwd: options.cwd, env, stdio: ['pipe', 'pipe', 'pipe'] })
      const stdout: Buffer[] = []
      const stderr: Buffer[] = []
      let timedOut = false
      const timer =
        options.timeoutMs === undefined
          ? undefined
          : setTimeout(() => {
              timedOut = true
              child.kill('SIGTERM')
              setTimeout(() => child.kill('SIGKILL'), 2000).unref()
            }, options.timeoutMs)
      child.stdout.on('data', (chunk: Buffer) => {
        stdout.push(chunk)
        options.onStdout?.(chunk.toString('utf8'))
      })
      child.stderr.on('data', (chunk: Buffer) => {
        stderr.push(chunk)
        options.onStderr?.(chunk.toString('utf8'))
      })
      child.on('error', (error) => {
        if (timer) clearTimeout(timer)
        reject(error)
      })
      child.on('close', (code, signal) => {
        if (timer) clearTimeout(timer)
        if (timedOut) {
          reject(new TimeoutError(`${command} ${args.join(' ')}`.trim(), (options.timeoutMs ?? 0) / 1000))
          return
        }
        resolve({
          exitCode: code ?? (signal ? 128 : 1),
          stdout: Buffer.concat(stdout).toString('utf8'),
          stderr: Buffer.concat(stderr).toString('utf8'),
        })
      })
      child.stdin.on('error', () => {
        /* the program may exit without reading stdin; its exit code tells the story */
      })
      child.stdin.end(options.input ?? '')
    })
  },
}
