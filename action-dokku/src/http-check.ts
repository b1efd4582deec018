import { ActionError } from '@django-deploy/shared/errors'

/** 4xx answers that may change on their own: a timeout, "too early", "too many requests". */
const TRANSIENT_4XX = new Set([408, 425, 429])

/** How often, at least, a line says the check is still waiting. */
export const PROGRESS_EVERY_MS = 10_000

/**
 * After a deploy, GET the app's URL (plus the http-check path) until it answers 2xx or 3xx: the
 * proof that the domain, the proxy and the app all work from the outside. Dokku's own checks only
 * see the container.
 *
 * A definite answer (a 4xx such as 404 or 400) ends the check at once: waiting will not change it.
 * Transient failures (connection refused, DNS, 5xx such as a proxy's 502/503 while the container
 * restarts, 408/429) are retried for up to `withinMs`, with a progress line at least every 10 s.
 */
export async function checkUrl(
  url: string,
  options: {
    fetch: typeof fetch
    withinMs: number
    now: () => number
    sleep: (ms: number) => Promise<void>
    progress?: (message: string) => void
  },
): Promise<{ status: number; ms: number }> {
  const started = options.now()
  let lastProgress = started
  let attempts = 0
  let last: string
  for (;;) {
    attempts++
    try {
      const response = await options.fetch(url, { redirect: 'manual', signal: AbortSignal.timeout(10_000) })
      await response.arrayBuffer()
      if (response.status < 400) return { status: response.status, ms: options.now() - started }
      if (response.status < 500 && !TRANSIENT_4XX.has(response.status)) throw definiteFailure(url, response.status)
      last = `HTTP ${response.status}`
    } catch (error) {
      if (error instanceof ActionError) throw error
      last = (error as Error).cause instanceof Error ? ((error as Error).cause as Error).message : (error as Error).message
    }
    const waited = options.now() - started
    if (waited >= options.withinMs) {
      throw new ActionError(
        `The HTTP check of ${url} failed: still ${last} after waiting ${seconds(waited)} (${attempts} attempts).`,
        {
          input: 'http-check',
          hint: 'The deploy itself succeeded and is live. Check the domain/DNS, the proxy (dokku proxy:report APP) and the app log (dokku logs APP).',
        },
      )
    }
    if (options.now() - lastProgress >= PROGRESS_EVERY_MS || attempts === 1) {
      options.progress?.(`HTTP check: ${url} gave ${last}; retrying (waited ${seconds(waited)} of ${seconds(options.withinMs)})`)
      lastProgress = options.now()
    }
    await options.sleep(1000)
  }
}

function definiteFailure(url: string, status: number): ActionError {
  const path = new URL(url).pathname
  if (status === 400)
    return new ActionError(`The HTTP check of ${url} failed: the app answered HTTP 400.`, {
      input: 'http-check',
      hint: 'The deploy itself succeeded and is live. Django answers 400 when the host name is not in ALLOWED_HOSTS: add the domain to ALLOWED_HOSTS (config), or check that your settings read it from the environment.',
    })
  const what = status === 404 ? `nothing is served at ${path}` : `the app refuses the request`
  return new ActionError(`The HTTP check of ${url} failed: the app answered HTTP ${status} (${what}).`, {
    input: 'http-check',
    hint: `The deploy itself succeeded and is live. Set http-check to a path that answers 2xx/3xx without logging in (e.g. http-check: /healthz), or "true" for /.`,
  })
}

function seconds(ms: number): string {
  return `${Math.round(ms / 1000)} s`
}
