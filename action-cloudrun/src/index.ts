import * as toolCache from '@actions/tool-cache'
import { readEventContext, type EventContext } from '@django-deploy/shared/github/context'
import { runAction } from '@django-deploy/shared/github/entrypoint'
import { Outputs } from '@django-deploy/shared/github/outputs'
import { SecretRegistry } from '@django-deploy/shared/github/secrets'
import { writeSummary } from '@django-deploy/shared/github/summary'
import { actionsInputSource } from '@django-deploy/shared/inputs'
import { spawnRunner } from '@django-deploy/shared/runtime/command'
import { coreLogger } from '@django-deploy/shared/runtime/log'
import { readInputs } from './inputs.js'
import { run, type OutputName } from './main.js'

const secrets = new SecretRegistry()
const log = secrets.logger(coreLogger)

void runAction(
  'action-cloudrun',
  async () => {
    let context: EventContext | undefined
    try {
      context = readEventContext(process.env)
    } catch {
      context = undefined // a local run: no pull request, no links
    }
    // Ordinary env-vars values are hidden from the log only (coreLogger); secrets also go to the registry's leak checks.
    const inputs = readInputs(
      actionsInputSource,
      (value) => log.setSecret(value),
      (value) => coreLogger.setSecret(value),
    )
    await run(inputs, {
      log,
      runner: spawnRunner,
      env: process.env,
      context,
      outputs: new Outputs<OutputName>(['url', 'urls', 'revision', 'image', 'migration-execution', 'log-url'], secrets),
      writeSummary: (summary) => writeSummary(summary, secrets),
      toolCache: { find: toolCache.find, downloadTool: (url) => toolCache.downloadTool(url), extractTar: (file) => toolCache.extractTar(file), cacheDir: toolCache.cacheDir },
      probe: async (url, headers) => {
        const response = await fetch(url, { headers, redirect: 'manual', signal: AbortSignal.timeout(30_000) })
        await response.body?.cancel()
        return { status: response.status }
      },
      now: () => Date.now(),
      sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    })
  },
  { secrets },
)
