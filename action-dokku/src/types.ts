import type { EventContext } from '@django-deploy/shared/github'
import type { Outputs } from '@django-deploy/shared/github'
import type { DeploySummary } from '@django-deploy/shared/github'
import type { CommandRunner } from '@django-deploy/shared/runtime'
import type { Logger } from '@django-deploy/shared/runtime'
import type { PushOutcome } from './deliver/outcome.js'
import type { Plan } from '@django-deploy/shared/plan'
import type { Phases } from '@django-deploy/shared/runtime'
import type { RunPlan, Target } from './plan.js'
import type { ProvisionContext } from './provision.js'
import type { DokkuInputs } from './inputs.js'
import type { SshConnectOptions, SshSession } from './ssh/connection.js'

/**
 * The contracts of action-dokku that its modules share: what a run needs (`Deps`), what it returns
 * (`RunResult`), its outputs and the post step's state name. Kept apart from main.ts so deploy,
 * remove-preview and report can use them without importing the module that imports them.
 */
export const ACTION = 'action-dokku'

export const OUTPUT_NAMES = ['url', 'urls', 'app', 'deployed-sha'] as const
export type OutputName = (typeof OUTPUT_NAMES)[number]

/** The post step reads this state: the app whose push was in flight when the job was cancelled. */
export const DEPLOY_STATE = 'dokku-deploying-app'

export interface Deps {
  log: Logger
  runner: CommandRunner
  connect: (options: SshConnectOptions) => Promise<SshSession>
  /** The step's environment: GITHUB_WORKSPACE, RUNNER_TEMP, DJANGO_SETTINGS_MODULE... */
  env: Record<string, string | undefined>
  context?: EventContext
  outputs: Outputs<OutputName>
  writeSummary: (summary: DeploySummary) => Promise<unknown>
  fetch: typeof fetch
  now: () => number
  sleep: (ms: number) => Promise<void>
  /** Remembered for the post step (which unlocks a cancelled deploy). */
  saveState: (name: string, value: string) => void
  /** Aborted when the workflow is cancelled: the SSH connection (and with it the push) is closed. */
  signal?: AbortSignal
}

export interface RunResult {
  target: Target
  plan: RunPlan
  outcome: 'deployed' | 'up-to-date' | 'planned' | 'removed' | 'skipped'
  urls: string[]
  created: string[]
  present: string[]
  push?: PushOutcome
  /** Bytes git sent for the push (the pack). */
  pushedBytes?: number
  deployCommit?: string
  phases: Array<{ name: string; ms: number }>
}

/** A run once its plan stands: what deploy.ts and remove-preview.ts carry out, and report.ts reports. */
export interface PlannedRun {
  context: ProvisionContext
  plan: RunPlan
  /** The plan as printed and put in the summary. */
  sharedPlan: Plan
  inputs: DokkuInputs
  deps: Deps
  phases: Phases
}
