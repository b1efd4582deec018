import { createGitHubClient } from '@django-deploy/shared/github'
import { readEventContext } from '@django-deploy/shared/github'
import { Outputs } from '@django-deploy/shared/github'
import type { SecretRegistry } from '@django-deploy/shared/github'
import { spawnRunner } from '@django-deploy/shared/runtime'
import type { Logger } from '@django-deploy/shared/runtime'
import { fetchTransport } from './netlify/http.js'
import { OUTPUT_NAMES, type Deps } from './types.js'

/** The real side effects of a run on a GitHub runner: processes, Netlify and GitHub over HTTP, the job summary. */
export function actionDeps(log: Logger, secrets: SecretRegistry): Deps {
  return {
    log,
    secrets,
    runner: spawnRunner,
    outputs: new Outputs(OUTPUT_NAMES, secrets),
    // Outside GitHub Actions (the demo, a local try) there is no event; only provider 'directory' needs none.
    context: process.env.GITHUB_EVENT_NAME ? readEventContext(process.env) : undefined,
    github: (token) => createGitHubClient({ token, tokenInput: 'github-token' }),
    // NETLIFY_API_URL is the variable netlify-cli reads for another API endpoint (a proxy, a test stand-in).
    netlify: { transport: fetchTransport, apiUrl: netlifyApiUrl(process.env.NETLIFY_API_URL) },
    env: process.env,
    workspace: process.env.GITHUB_WORKSPACE || process.cwd(),
    python: 'python3',
    now: Date.now,
  }
}

function netlifyApiUrl(value: string | undefined): string | undefined {
  if (!value) return undefined
  const url = new URL(value)
  return url.pathname === '/' ? `${url.origin}/api/v1` : value.replace(/\/+$/, '')
}
