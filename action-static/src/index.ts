import { actionsInputSource } from '@django-deploy/shared/inputs'
import { createGitHubClient } from '@django-deploy/shared/github/client'
import { readEventContext } from '@django-deploy/shared/github/context'
import { runAction } from '@django-deploy/shared/github/entrypoint'
import { Outputs } from '@django-deploy/shared/github/outputs'
import { SecretRegistry } from '@django-deploy/shared/github/secrets'
import { spawnRunner } from '@django-deploy/shared/runtime/command'
import { coreLogger } from '@django-deploy/shared/runtime/log'
import { readInputs } from './inputs.js'
import { ACTION, OUTPUT_NAMES, run } from './main.js'
import { fetchTransport } from './netlify/http.js'

await runAction(ACTION, async () => {
  const secrets = new SecretRegistry()
  const log = secrets.logger(coreLogger)
  const inputs = readInputs(actionsInputSource, log)
  // Outside GitHub Actions (the demo, a local try) there is no event; only provider 'directory' needs none.
  const context = process.env.GITHUB_EVENT_NAME ? readEventContext(process.env) : undefined
  await run(inputs, {
    log,
    secrets,
    runner: spawnRunner,
    outputs: new Outputs(OUTPUT_NAMES, secrets),
    context,
    github: (token) => createGitHubClient({ token, tokenInput: 'github-token' }),
    // NETLIFY_API_URL is the variable netlify-cli reads for another API endpoint (a proxy, a test stand-in).
    netlify: { transport: fetchTransport, apiUrl: netlifyApiUrl(process.env.NETLIFY_API_URL) },
    env: process.env,
    workspace: process.env.GITHUB_WORKSPACE || process.cwd(),
    python: 'python3',
    now: Date.now,
  })
})

function netlifyApiUrl(value: string | undefined): string | undefined {
  if (!value) return undefined
  const url = new URL(value)
  return url.pathname === '/' ? `${url.origin}/api/v1` : value.replace(/\/+$/, '')
}
