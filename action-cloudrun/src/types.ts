import type { EventContext } from '@django-deploy/shared/github'
import type { Outputs } from '@django-deploy/shared/github'
import type { DeploySummary } from '@django-deploy/shared/github'
import type { Plan } from '@django-deploy/shared/plan'
import type { CommandRunner } from '@django-deploy/shared/runtime'
import type { Logger } from '@django-deploy/shared/runtime'
import type { Probe } from './check.js'
import type { ToolCache } from './install.js'
import type { Target } from './plan.js'

/**
 * The contracts of action-cloudrun that its modules share: what a run needs (`Deps`), what it
 * returns (`RunResult`), its outputs and its name. Kept apart from main.ts so remove-preview.ts and
 * session.ts can use them without importing the module that imports them.
 */
export const ACTION = 'action-cloudrun'

export const OUTPUT_NAMES = ['url', 'urls', 'revision', 'image', 'migration-execution', 'log-url'] as const
export type OutputName = (typeof OUTPUT_NAMES)[number]

export interface Deps {
  log: Logger
  runner: CommandRunner
  env: Record<string, string | undefined>
  context?: EventContext
  outputs: Outputs<OutputName>
  writeSummary: (summary: DeploySummary) => Promise<unknown>
  toolCache: ToolCache
  probe: Probe
  now: () => number
  sleep: (ms: number) => Promise<void>
  /** Where the SDK is downloaded from when it must be installed (tests serve it locally). */
  gcloudDownloadUrl?: string
}

export interface RunResult {
  outcome: 'deployed' | 'planned' | 'removed' | 'skipped'
  target?: Target
  url?: string
  urls: string[]
  revision?: string
  image?: string
  migrationExecution?: string
  /** A closed pull request's run: its preview tag, and whether this run removed it (false: it was not there). */
  removal?: { tag: string; removed: boolean; revision?: string }
  /** A skipped run's plan has no steps. */
  plan: Plan
}
