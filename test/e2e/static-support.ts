import { writeFile } from 'node:fs/promises'
import path from 'node:path'
import { createGitHubClient } from '@django-deploy/shared/github'
import { readEventContext, type EventContext } from '@django-deploy/shared/github'
import { Outputs } from '@django-deploy/shared/github'
import { SecretRegistry } from '@django-deploy/shared/github'
import type { SummaryWriter } from '@django-deploy/shared/github'
import { inputSourceFrom } from '@django-deploy/shared/inputs'
import { spawnRunner } from '@django-deploy/shared/runtime'
import { MemoryLogger } from '@django-deploy/shared/runtime'
import { readInputs } from '../../action-static/src/inputs.js'
import { OUTPUT_NAMES, run, type Deps, type OutputName } from '../../action-static/src/main.js'
import { fetchTransport, type HttpTransport } from '../../action-static/src/netlify/http.js'
import { PYTHON } from '../support/index.js'

/**
 * Running action-static's `run` the way index.ts does, with the real side effects pointed at
 * local stand-ins: inputs from a plain object, Netlify at the stand-in, GitHub at its stand-in,
 * the event from a payload file, outputs and the summary recorded.
 */
export interface Harness {
  log: MemoryLogger
  outputs: Map<string, string>
  summary: string[]
  run(): ReturnType<typeof run>
}

export interface HarnessOptions {
  workspace: string
  inputs: Record<string, string>
  netlifyApiUrl?: string
  githubApiUrl?: string
  context?: EventContext
  /** Instead of real waits between retries (the retry tests record them). */
  sleep?: (ms: number) => Promise<void>
  /** The project's Python (default: Debian's, /usr/bin/python3), e.g. a virtualenv with more packages. */
  python?: string
  /** Instead of fetch (a test that damages a request on its way). */
  transport?: HttpTransport
}

export function harness(options: HarnessOptions): Harness {
  const log = new MemoryLogger()
  const secrets = new SecretRegistry(() => undefined)
  const recorded = new Map<string, string>()
  const summary: string[] = []
  const writer: SummaryWriter = {
    addRaw(text) {
      summary.push(text)
      return writer
    },
    write: async () => undefined,
  }
  const deps: Deps = {
    log: secrets.logger(log),
    secrets,
    runner: spawnRunner,
    outputs: new Outputs<OutputName>(OUTPUT_NAMES, secrets, (name, value) => recorded.set(name, value)),
    context: options.context,
    github: (token) => createGitHubClient({ token, tokenInput: 'github-token', apiUrl: options.githubApiUrl }),
    netlify: { transport: options.transport ?? fetchTransport, apiUrl: options.netlifyApiUrl },
    summary: writer,
    env: { PATH: process.env.PATH },
    workspace: options.workspace,
    python: options.python ?? PYTHON,
    now: Date.now,
    sleep: options.sleep,
  }
  return {
    log,
    outputs: recorded,
    summary,
    run: () =>
      run(
        readInputs(inputSourceFrom(options.inputs), (value) => deps.log.setSecret(value)),
        deps,
      ),
  }
}

/** An event context as GitHub would give it, from a payload. */
export async function eventContext(
  dir: string,
  eventName: string,
  payload: object,
  env: Record<string, string> = {},
): Promise<EventContext> {
  const file = path.join(dir, `event-${eventName}-${Math.random().toString(36).slice(2)}.json`)
  await writeFile(file, JSON.stringify(payload))
  return readEventContext({
    GITHUB_REPOSITORY: 'octo/blog',
    GITHUB_EVENT_NAME: eventName,
    GITHUB_EVENT_PATH: file,
    GITHUB_RUN_ID: '99',
    GITHUB_SHA: 'f'.repeat(40),
    ...env,
  })
}

export function pullRequestPayload(
  number: number,
  headSha: string,
  options: { fork?: boolean; headRef?: string; action?: string; merged?: boolean } = {},
): object {
  const action = options.action ?? 'synchronize'
  return {
    action,
    number,
    pull_request: {
      number,
      state: action === 'closed' ? 'closed' : 'open',
      merged: options.merged ?? false,
      html_url: `https://github.com/octo/blog/pull/${number}`,
      head: {
        sha: headSha,
        ref: options.headRef ?? 'new-theme',
        repo: { full_name: options.fork ? 'stranger/blog' : 'octo/blog' },
      },
      base: { ref: 'main', repo: { full_name: 'octo/blog' } },
    },
    repository: { full_name: 'octo/blog', default_branch: 'main' },
    sender: { login: 'octocat' },
  }
}
