import * as core from '@actions/core'
import type { SourceLocation } from '../errors.js'

/**
 * Logging and masking go through this interface so tests can assert what a user would see (and
 * that no secret is in it) without patching @actions/core.
 */
export interface Logger {
  info(message: string): void
  debug(message: string): void
  notice(message: string, location?: SourceLocation): void
  warning(message: string, location?: SourceLocation): void
  error(message: string, location?: SourceLocation): void
  /** Run `fn` inside a collapsible log group. */
  group<T>(title: string, fn: () => Promise<T>): Promise<T>
  /** Register a value that must never appear in logs. Call as soon as the value exists. */
  setSecret(value: string): void
}

function annotation(location?: SourceLocation): core.AnnotationProperties | undefined {
  if (!location) return undefined
  return { file: location.file, startLine: location.line, startColumn: location.column }
}

/** The logger for real runs: GitHub's workflow commands via @actions/core. */
export const coreLogger: Logger = {
  info: (message) => core.info(message),
  debug: (message) => core.debug(message),
  notice: (message, location) => core.notice(message, annotation(location)),
  warning: (message, location) => core.warning(message, annotation(location)),
  error: (message, location) => core.error(message, annotation(location)),
  group: (title, fn) => core.group(title, fn),
  setSecret: (value) => registerSecret(value, core.setSecret),
}

/**
 * Mask a secret as a whole and line by line: a multi-line value (an SSH key, a JSON key file) can
 * reach a log one line at a time, and each line must be hidden too.
 */
export function registerSecret(value: string, mask: (value: string) => void): void {
  if (isTrivialValue(value)) return
  mask(value)
  for (const line of value.split(/\r?\n/)) {
    const trimmed = line.trim()
    // Very short lines ("{", "}") are structure, not secret, and masking them garbles every log.
    if (trimmed.length >= 6 && trimmed !== value) mask(trimmed)
  }
}

/** Values that are never secrets however they arrive: masking them would star out every log line that says "true" or "1". */
const COMMON_VALUES = new Set([
  'true',
  'false',
  'yes',
  'no',
  'on',
  'off',
  'none',
  'null',
  'undefined',
  'production',
  'staging',
  'development',
])

/** Shorter values are never sent to `::add-mask::` (see docs/secret-masking.md). */
export const MIN_MASKED_LENGTH = 6

/**
 * True for a value that is never masked: empty, shorter than MIN_MASKED_LENGTH, a number, or a
 * common word. Such a value matches by accident all over a log, and hiding it protects nothing.
 */
export function isTrivialValue(value: string): boolean {
  const trimmed = value.trim()
  if (trimmed.length < MIN_MASKED_LENGTH) return true
  if (/^[-+]?\d+(\.\d+)?$/.test(trimmed)) return true
  return COMMON_VALUES.has(trimmed.toLowerCase())
}

export interface LogEntry {
  level: 'info' | 'debug' | 'notice' | 'warning' | 'error' | 'group'
  message: string
  location?: SourceLocation
}

/** A logger that records, for tests; `secrets` shows what was registered for masking. */
export class MemoryLogger implements Logger {
  readonly entries: LogEntry[] = []
  readonly secrets = new Set<string>()

  info(message: string): void {
    this.entries.push({ level: 'info', message })
  }
  debug(message: string): void {
    this.entries.push({ level: 'debug', message })
  }
  notice(message: string, location?: SourceLocation): void {
    this.entries.push({ level: 'notice', message, location })
  }
  warning(message: string, location?: SourceLocation): void {
    this.entries.push({ level: 'warning', message, location })
  }
  error(message: string, location?: SourceLocation): void {
    this.entries.push({ level: 'error', message, location })
  }
  async group<T>(title: string, fn: () => Promise<T>): Promise<T> {
    this.entries.push({ level: 'group', message: title })
    return fn()
  }
  setSecret(value: string): void {
    registerSecret(value, (v) => this.secrets.add(v))
  }
  /** Everything logged, one entry per line, for assertions. */
  text(): string {
    return this.entries.map((entry) => `${entry.level}: ${entry.message}`).join('\n')
  }
}
