import './esm-globals.js'
import * as core from '@actions/core'
import { InputError } from '@django-deploy/shared/errors'
import { noSecretsReason, readEventContext, type EventContext } from '@django-deploy/shared/github/context'
import { runAction } from '@django-deploy/shared/github/entrypoint'
import { Outputs } from '@django-deploy/shared/github/outputs'
import { SecretRegistry } from '@django-deploy/shared/github/secrets'
import { writeSummary } from '@django-deploy/shared/github/summary'
import { actionsInputSource } from '@django-deploy/shared/inputs'
import { spawnRunner } from '@django-deploy/shared/runtime/command'
import { coreLogger } from '@django-deploy/shared/runtime/log'
import { readInputs } from './inputs.js'
import { run, type OutputName } from './main.js'
import { connectSsh } from './ssh/connection.js'

void main()

async function main(): Promise<void> {
  const secrets = new SecretRegistry()
  const log = secrets.logger(coreLogger)
  await runAction(
    'action-dokku',
    async () => {
      let context: EventContext | undefined
      try {
        context = readEventContext(process.env)
      } catch {
        context = undefined // not on GitHub Actions (a local run): no review apps, no links in the summary
      }
      let inputs
      try {
        inputs = readInputs(actionsInputSource, (value) => log.setSecret(value))
      } catch (error) {
        const reason = context && noSecretsReason(context)
        if (error instanceof InputError && error.input === 'ssh-private-key' && reason) {
          log.notice(`Not deploying: ${reason} Deploy from a workflow that has the secret (push to a branch, or workflow_run).`)
          return
        }
        throw error
      }
      const cancel = new AbortController()
      for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => cancel.abort())
      await run(inputs, {
        log,
        runner: spawnRunner,
        connect: connectSsh,
        env: process.env,
        context,
        outputs: new Outputs<OutputName>(['url', 'urls', 'app', 'deployed-sha'], secrets),
        writeSummary: (summary) => writeSummary(summary, secrets),
        fetch,
        now: () => Date.now(),
        sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
        saveState: (name, value) => core.saveState(name, value),
        signal: cancel.signal,
      })
    },
    { secrets },
  )
}
