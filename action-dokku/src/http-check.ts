import { ActionError } from '@django-deploy/shared/errors'

/**
 * After a deploy, GET the app's URL (plus the http-check path) until it answers 2xx or 3xx: the
 * proof that the domain, the proxy and the app all work from the outside. Dokku's own checks only
 * see the container. Retries for up to `withinMs` (DNS and certificates can lag a few seconds).
 */
export async function checkUrl(
  url: string,
  options: { fetch: typeof fetch; withinMs: number; now: () => number; sleep: (ms: number) => Promise<void> },
): Promise<{ status: number; ms: number }> {
  const started = options.now()
  let last: string
  for (;;) {
    try {
      const response = await options.fetch(url, { redirect: 'manual', signal: AbortSignal.timeout(10_000) })
      await response.arrayBuffer()
      if (response.status < 400) return { status: response.status, ms: options.now() - started }
      last = `HTTP ${response.status}`
    } catch (error) {
      last = (error as Error).cause instanceof Error ? ((error as Error).cause as Error).message : (error as Error).message
    }
    if (options.now() - started >= options.withinMs) {
      throw new ActionError(`The HTTP check of ${url} failed: ${last}.`, {
        input: 'http-check',
        hint: 'The deploy itself succeeded. Check the domain/DNS and the app log (dokku logs APP); Django answers 400 when the host is not in ALLOWED_HOSTS.',
      })
    }
    await options.sleep(1000)
  }
}
