import * as core from '@actions/core'
import { ActionError } from '../errors.js'
import { registerSecret, type Logger } from '../runtime/log.js'
import { code, escapeHtml, text } from './markdown.js'

/**
 * Every secret a run knows about, kept so that what we publish can be checked before it leaves.
 *
 * GitHub masks registered values in *logs* only. Step outputs, the job summary and PR comments are
 * not masked: a secret written there is published in clear text (outputs even travel to other jobs).
 * So each of those writers asks `assertClean` first and refuses rather than leak.
 *
 * Values are masked and remembered whole and line by line, exactly like `registerSecret` (an SSH
 * key or a JSON key file can leak one line at a time).
 */
export class SecretRegistry {
  private readonly values = new Set<string>()

  /** `mask` hides a value in logs; the default is `core.setSecret` (the `::add-mask::` command). */
  constructor(private readonly mask: (value: string) => void = (value) => core.setSecret(value)) {}

  /** Mask `value` in logs and remember it for leak checks. */
  add(value: string): void {
    registerSecret(value, (part) => {
      this.mask(part)
      this.remember(part)
    })
  }

  /**
   * A Logger whose `setSecret` also feeds this registry. The base logger still does the masking
   * (so nothing is masked twice); wire the action as `const log = secrets.logger(coreLogger)`
   * and every `log.setSecret` from inputs.ts on is covered by the leak checks.
   */
  logger(base: Logger): Logger {
    return {
      info: (message) => base.info(message),
      debug: (message) => base.debug(message),
      notice: (message, location) => base.notice(message, location),
      warning: (message, location) => base.warning(message, location),
      error: (message, location) => base.error(message, location),
      group: (title, fn) => base.group(title, fn),
      setSecret: (value) => {
        base.setSecret(value)
        registerSecret(value, (part) => this.remember(part))
      },
    }
  }

  get size(): number {
    return this.values.size
  }

  /** True when `text` contains a registered value, as is or in a form our writers produce. */
  containsSecret(text: string): boolean {
    for (const value of this.values) {
      if (variants(value).some((variant) => text.includes(variant))) return true
    }
    return false
  }

  /**
   * Throw before `text` is published to `destination` ("step output 'url'", "the job summary")
   * if it contains a secret. The message never includes the secret, only where it would have gone.
   */
  assertClean(text: string, destination: string): void {
    if (!this.containsSecret(text)) return
    throw new ActionError(`Refusing to write ${destination}: it contains the value of a secret.`, {
      hint:
        'Step outputs, job summaries and PR comments are public and GitHub does not mask them. ' +
        'Check that no secret is used as an app, site or service name, URL, or environment value.',
    })
  }

  /** `text` with every registered value replaced by `***`, longest first (for error messages). */
  redact(text: string): string {
    const sorted = [...this.values].sort((a, b) => b.length - a.length)
    return sorted.reduce((result, value) => result.split(value).join('***'), text)
  }

  private remember(part: string): void {
    // A value this short matches by accident everywhere ("1", "yes") and is no real secret;
    // it is still masked in logs, but checking for it would refuse every harmless output.
    if (part.length >= MIN_CHECKED_LENGTH) this.values.add(part)
  }
}

const MIN_CHECKED_LENGTH = 4

/**
 * The words that make a config or environment variable's *name* say its value is secret. Matched
 * case-insensitively anywhere in the name, except the short ones (KEY, PASS, AUTH, DSN, PIN), which
 * must be a whole `_`-separated part so that KEYBOARD_LAYOUT or PASSTHROUGH do not count.
 * Documented in docs/secret-masking.md; keep the two in step.
 */
export const SECRET_NAME_WORDS = [
  'SECRET',
  'TOKEN',
  'PASSWORD',
  'PASSWD',
  'PASSPHRASE',
  'CREDENTIAL',
  'PRIVATE',
  'DATABASE_URL',
  'SALT',
  'SIGNING',
  'CERT',
] as const
export const SECRET_NAME_PARTS = ['KEY', 'KEYS', 'PASS', 'PWD', 'AUTH', 'DSN', 'PIN', 'APIKEY'] as const

/**
 * True when `key` names a secret by the documented list, or is one the user marked (compared
 * case-insensitively). Only then is a config / env-vars value masked.
 */
export function isSecretName(key: string, marked: readonly string[] = []): boolean {
  const upper = key.toUpperCase()
  if (marked.some((name) => name.toUpperCase() === upper)) return true
  if (SECRET_NAME_WORDS.some((word) => upper.includes(word))) return true
  const parts = upper.split(/[^A-Z0-9]+/)
  return parts.some((part) => (SECRET_NAME_PARTS as readonly string[]).includes(part))
}

/** The password of a URL with credentials (postgres://user:PASSWORD@host/db), if any. */
export function urlPassword(value: string): string | undefined {
  return /^[a-z][a-z0-9+.-]*:\/\/[^/?#@:]*:([^/?#@]+)@/i.exec(value)?.[1]
}

/**
 * Mask a config / env value by the rule: the value when its key names a secret (or is marked),
 * and the password of any URL with one, in clear and %-decoded. Everything else stays readable.
 */
export function maskConfigValue(
  key: string,
  value: string,
  setSecret: (value: string) => void,
  marked: readonly string[] = [],
): void {
  const password = urlPassword(value)
  if (password) {
    setSecret(password)
    try {
      setSecret(decodeURIComponent(password))
    } catch {
      // not %-encoded: registered as is above
    }
  }
  if (password || isSecretName(key, marked)) setSecret(value)
}

/** The forms a value takes after our own escaping, so escaping cannot hide a leak. */
function variants(value: string): string[] {
  const forms = new Set([
    value,
    encodeURIComponent(value),
    JSON.stringify(value).slice(1, -1),
    escapeHtml(value),
    text(value),
    code(value).replace(/^`+ ?| ?`+$/g, ''),
  ])
  return [...forms].filter((form) => form.length >= MIN_CHECKED_LENGTH)
}
