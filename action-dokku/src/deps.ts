import * as core from '@actions/core'
import { readEventContext, type EventContext } from '@django-deploy/shared/github'
import { Outputs } from '@django-deploy/shared/github'
import type { SecretRegistry } from '@django-deploy/shared/github'
import { writeSummary } from '@django-deploy/shared/github'
import { spawnRunner } from '@django-deploy/shared/runtime'
import type { Logger } from '@django-deploy/shared/runtime'
import { connectSsh } from './ssh/connection.js'
import { OUTPUT_NAMES, type Deps } from './types.js'

/** The real side effects of a run on a GitHub runner: SSH, processes, HTTP, the job summary, the post step's state. */
export function actionDeps(log: Logger, secrets: SecretRegistry): Deps {
  const cancel = new AbortController()
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => cancel.abort())
  return {
    log,
    runner: spawnRunner,
    connect: connectSsh,
    env: process.env,
    context: eventContext(),
    outputs: new Outputs(OUTPUT_NAMES, secrets),
    writeSummary: (summary) => writeSummary(summary, secrets),
    fetch,
    now: () => Date.now(),
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    saveState: (name, value) => core.saveState(name, value),
    signal: cancel.signal,
  }
}

function eventContext(): EventContext | undefined {
  try {
    return readEventContext(process.env)
  } catch {
    return undefined // not on GitHub Actions (a local run): no review apps, no links in the summary
  }
}
