import { ActionError } from '@django-deploy/shared/errors'
import type { CommandRunner } from '@django-deploy/shared/runtime'
import type { Logger } from '@django-deploy/shared/runtime'

/**
 * Running gcloud: always without prompts, with the action's environment (a private CLOUDSDK_CONFIG
 * when a key is given), output captured so `--format json` parses, and failures turned into a
 * GcloudError that keeps gcloud's own `ERROR: (gcloud.x.y) ...` text (the message users search
 * for) and the whole stderr for the log.
 */
export interface GcloudResult {
  stdout: string
  stderr: string
  exitCode: number
}

export class GcloudError extends ActionError {
  readonly args: readonly string[]
  readonly stderr: string
  readonly exitCode: number
  constructor(args: readonly string[], result: GcloudResult, hint?: string) {
    super(`gcloud ${args.slice(0, 3).join(' ')} failed: ${gcloudMessage(result.stderr) || `exit code ${result.exitCode}`}`, {
      hint,
    })
    this.name = 'GcloudError'
    this.args = args
    this.stderr = result.stderr
    this.exitCode = result.exitCode
  }

  /** gcloud's error text without the `ERROR: (gcloud.run.deploy)` prefix. */
  get gcloudMessage(): string {
    return gcloudMessage(this.stderr)
  }
}

/** From the first `ERROR: (gcloud...)` line to the end: gcloud's message for the failure. */
export function gcloudMessage(stderr: string): string {
  const index = stderr.search(/^ERROR: \(gcloud[^)]*\) /m)
  if (index < 0) return stderr.trim().split('\n').slice(-3).join('\n')
  return stderr
    .slice(index)
    .replace(/^ERROR: \(gcloud[^)]*\) /, '')
    .trim()
}

export class Gcloud {
  constructor(
    private readonly runner: CommandRunner,
    private readonly log: Logger,
    /** The gcloud executable (absolute path or a name on PATH). */
    readonly command: string,
    private readonly env: Record<string, string | undefined>,
    private readonly cwd?: string,
  ) {}

  /** Run and return the result whatever the exit code. */
  async exec(args: readonly string[], options: { timeoutMs?: number } = {}): Promise<GcloudResult> {
    this.log.debug(`gcloud ${args.join(' ')}`)
    const result = await this.runner.run(this.command, args, { env: this.env, cwd: this.cwd, timeoutMs: options.timeoutMs })
    if (result.stderr.trim()) this.log.debug(result.stderr.trimEnd())
    return result
  }

  /** Run; a non-zero exit is a GcloudError. */
  async run(args: readonly string[], options: { timeoutMs?: number; hint?: string } = {}): Promise<GcloudResult> {
    const result = await this.exec(args, options)
    if (result.exitCode !== 0) throw new GcloudError(args, result, options.hint ?? hintFor(result.stderr))
    return result
  }

  /** Run with `--format json` already in `args`, and parse stdout. */
  async json<T>(args: readonly string[], options: { timeoutMs?: number; hint?: string } = {}): Promise<T> {
    const result = await this.run(args, options)
    try {
      return JSON.parse(result.stdout) as T
    } catch (error) {
      throw new ActionError(
        `gcloud ${args.slice(0, 3).join(' ')} printed output that is not JSON: ${result.stdout.slice(0, 200)}`,
        { cause: error },
      )
    }
  }
}

/** What to do next, for the failures people meet most (permissions, APIs, auth). */
export function hintFor(stderr: string): string | undefined {
  if (/You do not currently have an active account|could not find default credentials|Reauthentication/i.test(stderr)) {
    return 'No Google Cloud credentials: pass credentials-json (a service-account key from a secret), or run google-github-actions/auth before this step.'
  }
  const permission = /Permission '([a-zA-Z.]+)' denied/.exec(stderr)?.[1]
  if (permission) {
    const role = permission.startsWith('run.')
      ? 'roles/run.admin (and roles/iam.serviceAccountUser on the runtime service account)'
      : permission.startsWith('cloudbuild.')
        ? 'roles/cloudbuild.builds.editor'
        : permission.startsWith('artifactregistry.')
          ? 'roles/artifactregistry.writer (roles/artifactregistry.admin to create the repository)'
          : 'a role that grants it'
    return `The deploying account lacks ${permission}. Grant it ${role} on the project.`
  }
  if (/SERVICE_DISABLED|has not been used in project|it is disabled/i.test(stderr)) {
    return 'Enable the APIs once: gcloud services enable run.googleapis.com cloudbuild.googleapis.com artifactregistry.googleapis.com'
  }
  if (/setIamPolicy/.test(stderr))
    return 'allow-unauthenticated needs run.services.setIamPolicy (roles/run.admin); or set allow-unauthenticated: false.'
  return undefined
}
