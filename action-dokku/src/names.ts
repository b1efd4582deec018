import { createHash } from 'node:crypto'
import { InputError } from '@django-deploy/shared/errors'

/**
 * Dokku's naming rules and the names this action derives from the app name.
 *
 * Apps: `^[a-z0-9][a-z0-9.-]*$` (plugins/common IsValidAppName). The name is also the first label of
 * the app's default domain (`<app>.<global domain>`), so each dot-separated part must fit a DNS
 * label (63 characters). Postgres services allow `[A-Za-z0-9_-]` and storage directories
 * `[A-Za-z0-9_-]` too: dots become dashes there.
 */
export const APP_RULE = /^[a-z0-9][a-z0-9.-]*$/

export function checkAppName(name: string, input = 'app'): string {
  if (name === '') throw new InputError(input, 'is required.', 'Name the Dokku app to deploy, e.g. app: blog.')
  if (!APP_RULE.test(name)) {
    const suggestion = sanitiseAppName(name)
    throw new InputError(
      input,
      `'${name}' is not a valid Dokku app name: it must begin with a lowercase letter or digit and contain only lowercase letters, digits, dots and dashes.`,
      suggestion ? `Use '${suggestion}'.` : 'Use lowercase letters, digits and dashes.',
    )
  }
  const long = name.split('.').find((label) => label.length > 63)
  if (long)
    throw new InputError(
      input,
      `'${long}' is longer than 63 characters, too long for the app's domain name.`,
      'Use a shorter app name.',
    )
  if (name.length > 200) throw new InputError(input, 'is longer than 200 characters.', 'Use a shorter app name.')
  return name
}

/** Lowercase, invalid characters to dashes, no leading/trailing or repeated dashes. */
export function sanitiseAppName(name: string): string {
  return name
    .toLowerCase()
    .replace(/[^a-z0-9.-]+/g, '-')
    .replace(/-{2,}/g, '-')
    .replace(/^[-.]+|[-.]+$/g, '')
}

/**
 * `<app>-pr-<N>`: the review app of pull request N. It must stay one DNS label (no dots: a dot
 * would put it in a different domain than the main app), at most 63 characters; a long base name
 * is shortened and a short hash of the full name keeps different apps apart.
 */
export function reviewAppName(app: string, pullRequest: number): string {
  const suffix = `-pr-${pullRequest}`
  const base = sanitiseAppName(app.replace(/\./g, '-')) || 'app'
  if (base.length + suffix.length <= 63) return `${base}${suffix}`
  const hash = createHash('sha256').update(app).digest('hex').slice(0, 6)
  const room = 63 - suffix.length - hash.length - 1
  return `${base.slice(0, room).replace(/-+$/, '')}-${hash}${suffix}`
}

/** The app's Postgres service (dokku-postgres allows [A-Za-z0-9_-]). */
export function postgresServiceName(app: string): string {
  return app.replace(/\./g, '-')
}

/** The storage directory for uploads, under Dokku's storage root ([A-Za-z0-9_-]). */
export function storageDirectoryName(app: string): string {
  return `${app.replace(/\./g, '-')}-media`
}

/** Where uploads live inside the container; MEDIA_ROOT is set to it. Not /app/media: that would hide a repository's own media/ folder. */
export const MEDIA_CONTAINER_PATH = '/app/storage/media'
