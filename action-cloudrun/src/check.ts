/**
 * "Does the new revision answer?": GET its URL until it gives an answer a working Django site
 * gives, or the time is up. Cold starts and a revision still rolling out give 5xx or connection
 * errors for a while, so those are retried; a 400 is Django refusing the Host header
 * (ALLOWED_HOSTS) and is reported as such.
 */
export type Probe = (url: string, headers: Record<string, string>) => Promise<{ status: number }>

export interface CheckResult {
  ok: boolean
  status?: number
  problem?: string
  hint?: string
}

export async function checkRevision(
  url: string,
  deps: {
    probe: Probe
    sleep: (ms: number) => Promise<void>
    now: () => number
    deadline: number
    token?: () => Promise<string | undefined>
    /** Told at least every 10 s while the revision does not answer yet. */
    progress?: (message: string) => void
  },
): Promise<CheckResult> {
  const started = deps.now()
  let lastProgress = started
  const headers: Record<string, string> = { 'user-agent': 'django-deploy-actions/cloudrun revision check' }
  if (deps.token) {
    const token = await deps.token()
    if (token) headers.authorization = `Bearer ${token}`
  }
  let last: CheckResult
  for (let attempt = 0; ; attempt++) {
    try {
      const { status } = await deps.probe(url, headers)
      // A redirect, a login wall or a missing home page still prove that Django runs.
      if (status < 400 || [401, 403, 404, 405, 410].includes(status)) return { ok: true, status }
      if (status === 400) {
        return {
          ok: false,
          status,
          problem: 'HTTP 400 (Django refuses the host name: ALLOWED_HOSTS)',
          hint: 'Add the host to ALLOWED_HOSTS in env-vars, or check that your settings read ALLOWED_HOSTS from the environment (settings-patch: overlay does).',
        }
      }
      last = {
        ok: false,
        status,
        problem: `HTTP ${status}`,
        hint: 'Read the revision log (log-url) for the error; a missing environment variable or database setting is the usual cause.',
      }
    } catch (error) {
      last = {
        ok: false,
        problem: `no answer (${(error as Error).message})`,
        hint: 'The revision may still be starting; read its log (log-url).',
      }
    }
    if (deps.now() >= deps.deadline) return last
    const pause = Math.min(2000 * (attempt + 1), 8_000)
    // Say so now if the next look would come more than 9 s after the last line.
    if (attempt === 0 || deps.now() - lastProgress + pause > 9_000) {
      const waited = Math.round((deps.now() - started) / 1000)
      const left = Math.max(0, Math.round((deps.deadline - deps.now()) / 1000))
      deps.progress?.(
        `Waiting for the new revision at ${url}: ${last.problem ?? 'no answer yet'}; waited ${waited} s, up to ${left} s more.`,
      )
      lastProgress = deps.now()
    }
    await deps.sleep(pause)
  }
}
