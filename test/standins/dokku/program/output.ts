/**
 * Dokku's log formatters (plugins/common/functions, plugins/common/log.go), with the same
 * streams and the same `DOKKU_QUIET_OUTPUT` rule: Dokku sets it whenever there is no TTY, which is
 * always the case over `ssh` without `-t` and inside git's pre-receive hook.
 */
import { writeSync } from 'node:fs'

export const quiet = (): boolean => (process.env.DOKKU_QUIET_OUTPUT ?? '') !== ''

function out(line: string): void {
  writeSync(1, `${line}\n`)
}
function err(line: string): void {
  writeSync(2, `${line}\n`)
}

export const log = (text: string): void => out(text)
export const logQuiet = (text: string): void => {
  if (!quiet()) out(text)
}
export const info1 = (text: string): void => out(`-----> ${text}`)
export const info2 = (text: string): void => out(`=====> ${text}`)
export const info1Quiet = (text: string): void => {
  if (!quiet()) out(`-----> ${text}`)
}
export const info2Quiet = (text: string): void => {
  if (!quiet()) out(`=====> ${text}`)
}
export const verbose = (text: string): void => out(`       ${text}`)
export const verboseQuiet = (text: string): void => {
  if (!quiet()) out(`       ${text}`)
}
export const warn = (text: string): void => err(` !     ${text}`)
export const warnQuiet = (text: string): void => {
  if (!quiet()) err(` !     ${text}`)
}
export const stderr = (text: string): void => err(text)

/** A command ends with ` !     <message>` on stderr and an exit code (dokku_log_fail / LogFailWithError). */
export class Fail extends Error {
  // No parameter properties here: the program is run with its types stripped, not compiled.
  readonly exitCode: number
  constructor(message: string, exitCode = 1) {
    super(message)
    this.exitCode = exitCode
  }
}

export function fail(message: string, exitCode = 1): never {
  throw new Fail(message, exitCode)
}

/** git relays hook output line by line; Dokku prefixes build lines with `\e[1G\e[K` in some places. */
export const hookLine = (text: string): void => out(`\u001b[1G\u001b[K${text}`)
