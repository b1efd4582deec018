import type { GitHubClient } from '@django-deploy/shared/github'
import type { EventContext } from '@django-deploy/shared/github'
import type { Outputs } from '@django-deploy/shared/github'
import type { StickyCommentResult } from '@django-deploy/shared/github'
import type { SecretRegistry } from '@django-deploy/shared/github'
import type { SummaryWriter } from '@django-deploy/shared/github'
import type { CommandRunner } from '@django-deploy/shared/runtime'
import type { Logger } from '@django-deploy/shared/runtime'
import type { GenerateResult } from './generate/index.js'
import type { AppServer, StartOptions } from './generate/server.js'
import type { Inputs } from './inputs.js'
import type { DeployResult } from './netlify/deploy.js'
import type { HttpTransport } from './netlify/http.js'
import type { AliasRemovalProgress } from './netlify/remove-alias.js'
import type { NetlifySite } from './netlify/types.js'

/**
 * The contracts of action-static that its modules share: its name, its outputs, what a run needs
 * (`Deps`) and what it returns (`RunResult`, with a closed pull request's `PreviewRemovalReport`). Kept
 * apart from main.ts so remove-preview.ts can use them without importing the module that imports it.
 */
export const ACTION = 'action-static'
export const OUTPUT_NAMES = [
  'url',
  'deploy-url',
  'deploy-id',
  'pages',
  'files',
  'files-uploaded',
  'files-unchanged',
  'output-dir',
] as const
export type OutputName = (typeof OUTPUT_NAMES)[number]

export interface Deps {
  log: Logger
  secrets: SecretRegistry
  runner: CommandRunner
  outputs: Outputs<OutputName>
  /** The event, or undefined outside GitHub Actions (a local run, the demo). */
  context: EventContext | undefined
  github: (token: string | undefined) => GitHubClient
  netlify: { transport: HttpTransport; apiUrl?: string }
  summary?: SummaryWriter
  env: Record<string, string | undefined>
  /** The repository checkout (GITHUB_WORKSPACE). */
  workspace: string
  python: string
  now: () => number
  sleep?: (ms: number) => Promise<void>
  startServer?: (options: StartOptions) => Promise<AppServer>
}

export interface RunResult {
  mode: Inputs['mode']
  generated?: GenerateResult
  deployed?: DeployResult
  /** The pull request closed: its preview was removed (nothing built). */
  removedPreview?: PreviewRemovalReport
  skipped?: string
}

/** What a closed pull request's run (remove-preview.ts) did to take its preview down. */
export interface PreviewRemovalReport {
  alias: string
  /** GitHub Deployment environment. */
  environment: string
  /** The Netlify site, when it exists. */
  site?: NetlifySite
  netlify: AliasRemovalProgress
  /** GitHub deployments set inactive by this run. */
  deactivated: number[]
  /** The sticky comment, edited; 'none' when the pull request had no preview comment to edit. */
  comment?: StickyCommentResult['outcome'] | 'none'
}
