import * as toolCache from '@actions/tool-cache'
import { readEventContext, type EventContext } from '@django-deploy/shared/github'
import { Outputs } from '@django-deploy/shared/github'
import type { SecretRegistry } from '@django-deploy/shared/github'
import { writeSummary } from '@django-deploy/shared/github'
import { spawnRunner } from '@django-deploy/shared/runtime'
import type { Logger } from '@django-deploy/shared/runtime'
import { OUTPUT_NAMES, type Deps } from './types.js'

/** The real side effects of a run on a GitHub runner: processes, the tool cache, HTTP, the job summary. */
export function actionDeps(log: Logger, secrets: SecretRegistry): Deps {
  return {
    log,
    runner: spawnRunner,
    env: process.env,
    context: eventContext(),
    outputs: new Outputs(OUTPUT_NAMES, secrets),
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
  }
}

function eventContext(): EventContext | undefined {
  try {
    return readEventContext(process.env)
  } catch {
    return undefined // a local run: no pull request, no links
  }
}
