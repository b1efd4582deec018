import { mkdirSync, readFileSync } from 'node:fs'
import { readEventContext, type EventContext } from '@django-deploy/shared/github'
import { Outputs } from '@django-deploy/shared/github'
import { SecretRegistry } from '@django-deploy/shared/github'
import { renderSummary } from '@django-deploy/shared/github'
import { inputSourceFrom } from '@django-deploy/shared/inputs'
import { spawnRunner } from '@django-deploy/shared/runtime'
import { MemoryLogger } from '@django-deploy/shared/runtime'
import { readInputs } from '../../action-dokku/src/inputs.js'
import { run, type OutputName, type RunResult } from '../../action-dokku/src/main.js'
import { connectSsh } from '../../action-dokku/src/ssh/connection.js'
import { sshKeygen, type GeneratedKey } from '../../action-dokku/test/keys.js'
import { makeTempDir } from '../support/index.js'
import type { DokkuStandin } from '../standins/dokku/standin.js'

/**
 * Running action-dokku's `run()` in-process against the Dokku stand-in, with every real part
 * (ssh2, git, the shim, shared/*) and only the GitHub edges recorded in memory: the log, step
 * outputs, the job summary and the post-step state.
 */
export interface ActionRun {
  result?: RunResult
  error?: Error
  log: MemoryLogger
  /** Everything a person would see: log lines, outputs, summary, failure message. */
  visible: string
  outputs: Record<string, string>
  summary: string
  state: Record<string, string>
  secrets: SecretRegistry
  elapsedMs: number
}

export interface ActionOptions {
  repoDir: string
  inputs: Record<string, string>
  context?: EventContext
  env?: Record<string, string>
}

export async function authorizedKey(dokku: DokkuStandin, name = 'github-actions'): Promise<GeneratedKey> {
  const key = sshKeygen('ed25519')
  await dokku.authorize(key.publicKey, name)
  return key
}

/** Inputs that reach the stand-in with a pinned ed25519 host key. */
export function baseInputs(dokku: DokkuStandin, key: GeneratedKey, app: string): Record<string, string> {
  return {
    host: '127.0.0.1',
    port: String(dokku.port),
    user: dokku.user,
    app,
    'ssh-private-key': key.privateKey,
    'ssh-host-key': dokku.knownHosts.ed25519,
    'review-app': 'auto',
    timeout: '5',
  }
}

export async function runAction(options: ActionOptions): Promise<ActionRun> {
  const secrets = new SecretRegistry(() => undefined)
  const memory = new MemoryLogger()
  const log = secrets.logger(memory)
  const outputs: Record<string, string> = {}
  const state: Record<string, string> = {}
  let summary = ''
  const runnerTemp = await makeTempDir('runner-temp-')
  mkdirSync(runnerTemp, { recursive: true })
  const started = Date.now()
  const action: ActionRun = { log: memory, visible: '', outputs, summary: '', state, secrets, elapsedMs: 0 }
  try {
    const inputs = readInputs(inputSourceFrom(options.inputs), (value) => log.setSecret(value))
    action.result = await run(inputs, {
      log,
      runner: spawnRunner,
      connect: connectSsh,
      env: { GITHUB_WORKSPACE: options.repoDir, RUNNER_TEMP: runnerTemp, ...options.env },
      context: options.context,
      outputs: new Outputs<OutputName>(['url', 'urls', 'app', 'deployed-sha'], secrets, (name, value) => {
        outputs[name] = value
      }),
      writeSummary: async (value) => {
        summary = renderSummary(value)
        secrets.assertClean(summary, 'the job summary')
      },
      fetch,
      now: () => Date.now(),
      sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
      saveState: (name, value) => {
        state[name] = value
      },
    })
  } catch (error) {
    action.error = error as Error
  }
  action.elapsedMs = Date.now() - started
  action.summary = summary
  const failure = action.error ? `${action.error.message}\n${(action.error as { hint?: string }).hint ?? ''}` : ''
  action.visible = [memory.text(), JSON.stringify(outputs), summary, failure].join('\n')
  return action
}

/** The environment of an app's running web process, read from /proc (what the app really sees). */
export function processEnvironment(pid: number): Record<string, string> {
  const raw = readFileSync(`/proc/${pid}/environ`, 'utf8')
  const env: Record<string, string> = {}
  for (const entry of raw.split('\0')) {
    const equals = entry.indexOf('=')
    if (equals > 0) env[entry.slice(0, equals)] = entry.slice(equals + 1)
  }
  return env
}

/** Commands that change something on the server (everything but reads). */
export function writeCommands(commands: Array<{ command: string }>): string[] {
  const reads =
    /^(version|apps:exists|apps:locked|git:report|config:export|storage:list|domains:report|postgres:exists|postgres:linked|letsencrypt:active|letsencrypt:help|builder:report|urls|url|git-upload-pack)\b/
  return commands.map((entry) => entry.command).filter((command) => !reads.test(command))
}

/** A pull_request event as GitHub gives it; `fork` makes the head a stranger's fork (no secrets). */
export function pullRequestContext(
  number: number,
  action: 'opened' | 'synchronize' | 'closed',
  options: { fork?: boolean } = {},
): EventContext {
  const payload = {
    action,
    number,
    pull_request: {
      number,
      state: action === 'closed' ? 'closed' : 'open',
      merged: false,
      html_url: `https://github.com/octo/site/pull/${number}`,
      head: {
        ref: 'feature',
        sha: 'a'.repeat(40),
        repo: { full_name: options.fork ? 'stranger/site' : 'octo/site', fork: options.fork ?? false },
      },
      base: { ref: 'main', repo: { full_name: 'octo/site', default_branch: 'main' } },
    },
    repository: { full_name: 'octo/site', default_branch: 'main' },
  }
  const env = {
    GITHUB_REPOSITORY: 'octo/site',
    GITHUB_EVENT_NAME: 'pull_request',
    GITHUB_EVENT_PATH: '/event.json',
    GITHUB_SHA: 'b'.repeat(40),
    GITHUB_REF: `refs/pull/${number}/merge`,
    GITHUB_RUN_ID: '1',
  }
  return readEventContext(env, () => JSON.stringify(payload))
}
