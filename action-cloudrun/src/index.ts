import * as toolCache from '@actions/tool-cache'
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
import { previewRemoval } from './planner.js'

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
    // Secrets (and env-vars values whose name says secret) are masked and go to the registry's leak checks.
    const inputs = readInputs(actionsInputSource, (value) => log.setSecret(value))
    // A fork's pull request gets no secrets and no OIDC token, so there is nothing to sign in to
    // Google with: say so and stop cleanly rather than fail on gcloud's authentication error.
    // When it closes there is nothing to remove either: its runs could not deploy a preview.
    const noSecrets = context && noSecretsReason(context)
    const ambientCredentials = Boolean(
      process.env.CLOUDSDK_AUTH_CREDENTIAL_FILE_OVERRIDE ||
      process.env.GOOGLE_APPLICATION_CREDENTIALS ||
      process.env.GOOGLE_GHA_CREDS_PATH,
    )
    if (noSecrets && !inputs.credentials && !ambientCredentials) {
      const removal =
        context &&
        previewRemoval(inputs, { eventName: context.eventName, action: context.action, pullRequest: context.pullRequest?.number })
      log.notice(
        removal
          ? `Not removing the preview tag ${removal.tag}: ${noSecrets} Such a pull request got no preview from this workflow either, so there is nothing to remove.`
          : `Not deploying: ${noSecrets} Preview revisions need a pull request from a branch of this repository.`,
      )
      return
    }
    await run(inputs, {
      log,
      runner: spawnRunner,
      env: process.env,
      context,
      outputs: new Outputs<OutputName>(['url', 'urls', 'revision', 'image', 'migration-execution', 'log-url'], secrets),
      writeSummary: (summary) => writeSummary(summary, secrets),
      toolCache: {
        find: toolCache.find,
        downloadTool: (url) => toolCache.downloadTool(url),
        extractTar: (file) => toolCache.extractTar(file),
        cacheDir: toolCache.cacheDir,
      },
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
