import type { Finding } from '../detect/index.js'

/**
 * Findings about settings that the production overlay fixes in every deploy (DEBUG off, SECRET_KEY
 * and ALLOWED_HOSTS from the environment, STATIC_ROOT set): reported to the user, they would only
 * alarm, since the deployed site does not have them. One list for the three roads.
 */
export const OVERLAY_FIXED_FINDINGS: readonly string[] = [
  'secret-key-hardcoded',
  'secret-key-insecure',
  'secret-key-insecure-default',
  'secret-key-missing',
  'debug-true',
  'debug-env-default-true',
  'allowed-hosts-empty',
  'allowed-hosts-local-only',
  'static-root-missing',
]

/** SQLite findings, moot once the platform gives the production database (a linked service, a DATABASE_URL). */
export const DATABASE_PROVIDED_FINDINGS: readonly string[] = ['database-sqlite', 'database-sqlite-fallback']

export interface FindingFilter {
  /** The overlay is deployed (settings-patch: overlay). */
  overlay: boolean
  /** The production database comes from the platform, not from the settings' SQLite default. */
  databaseProvided: boolean
}

/** Notices that say how the project is deployed, so they are always told (the rest stay in the model). */
export const TOLD_NOTICES: readonly string[] = ['asgi-only']

/** The findings worth telling the user: warnings and errors the deploy does not fix by itself, and TOLD_NOTICES. */
export function findingsToReport(findings: readonly Finding[], filter: FindingFilter): Finding[] {
  const fixed = new Set([
    ...(filter.overlay ? OVERLAY_FIXED_FINDINGS : []),
    ...(filter.overlay && filter.databaseProvided ? DATABASE_PROVIDED_FINDINGS : []),
  ])
  return findings.filter(
    (finding) => (finding.level !== 'notice' || TOLD_NOTICES.includes(finding.code)) && !fixed.has(finding.code),
  )
}
