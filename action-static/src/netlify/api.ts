import { ActionError, TimeoutError } from '@django-deploy/shared/errors'
import type { Logger } from '@django-deploy/shared/runtime'
import { NetworkError, type HttpResponse, type HttpTransport } from './http.js'
import { DEFAULT_RETRY, isRetryableStatus, retryDelayMs, serverWaitMs, type RetryPolicy } from './retry.js'
import type { NetlifyDeploy, NetlifySite } from './types.js'

/**
 * Netlify's REST API, the calls a deploy and the removal of a preview need and nothing else
 * (the operations of Netlify's OpenAPI description). Every call retries what is worth retrying (retry.ts) within the run's
 * deadline; a 429 also pauses every other request of this client until the limit resets,
 * instead of each upload finding out alone.
 * Failures become `NetlifyApiError`: what we were doing, Netlify's own `message`, the status and
 * the request id Netlify support asks for.
 */
export const NETLIFY_API_URL = 'https://api.netlify.com/api/v1'

export interface NetlifyApiOptions {
  token: string
  transport: HttpTransport
  /** Default https://api.netlify.com/api/v1. */
  apiUrl?: string
  log: Logger
  retry?: RetryPolicy
  /** Per request. */
  requestTimeoutMs?: number
  /** Epoch ms after which no new wait or request is started (the `timeout` input). */
  deadline?: number
  sleep?: (ms: number) => Promise<void>
  now?: () => number
  random?: () => number
  userAgent?: string
}

export class NetlifyApiError extends ActionError {
  constructor(
    readonly status: number,
    readonly netlifyMessage: string,
    what: string,
    options: { input?: string; hint?: string; requestId?: string } = {},
  ) {
    super(
      `Netlify answered ${status} (${netlifyMessage}) when asked to ${what}.${options.requestId ? ` Request id: ${options.requestId}.` : ''}`,
      { input: options.input, hint: options.hint },
    )
    this.name = 'NetlifyApiError'
  }
}

export interface RequestCounts {
  /** Requests sent, by operation, retries included. */
  byOperation: Record<string, number>
  retries: number
}

interface Call {
  operation: string
  what: string
  method: string
  path: string
  query?: Record<string, string | undefined>
  json?: unknown
  binary?: Buffer
  /** A zip streamed from disk (re-read for each attempt). */
  zipFile?: { path: string; size: number }
  /** Instead of the per-request timeout (a large upload takes longer than an API call). */
  timeoutMs?: number
}

export class NetlifyApi {
  readonly counts: RequestCounts = { byOperation: {}, retries: 0 }
  private readonly apiUrl: string
  private readonly policy: RetryPolicy
  private readonly sleep: (ms: number) => Promise<void>
  private announcedPause = 0
  private readonly now: () => number
  private readonly random: () => number
  private pausedUntil = 0

  constructor(private readonly options: NetlifyApiOptions) {
    this.apiUrl = (options.apiUrl ?? NETLIFY_API_URL).replace(/\/+$/, '')
    this.policy = options.retry ?? DEFAULT_RETRY
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)))
    this.now = options.now ?? Date.now
    this.random = options.random ?? Math.random
  }

  getSite(siteId: string): Promise<NetlifySite> {
    return this.json({
      operation: 'getSite',
      what: `read site '${siteId}'`,
      method: 'GET',
      path: `/sites/${encodeURIComponent(siteId)}`,
    })
  }

  /** Netlify's name filter is a substring match; callers pick the exact name. */
  listSites(name: string, page: number): Promise<NetlifySite[]> {
    return this.json({
      operation: 'listSites',
      what: `look for a site named '${name}'`,
      method: 'GET',
      path: '/sites',
      query: { name, filter: 'all', page: String(page), per_page: '100' },
    })
  }

  createSite(name: string): Promise<NetlifySite> {
    return this.json({ operation: 'createSite', what: `create site '${name}'`, method: 'POST', path: '/sites', json: { name } })
  }

  /** The files of the site's published (production) deploy: `[{ path: '/index.html', sha, … }]`. */
  listSiteFiles(siteId: string): Promise<Array<{ path: string; sha?: string }>> {
    return this.json({
      operation: 'listSiteFiles',
      what: 'list the files of the production deploy',
      method: 'GET',
      path: `/sites/${encodeURIComponent(siteId)}/files`,
    })
  }

  /** One call: the deploy and its whole file list (path → sha1). */
  createDeploy(
    siteId: string,
    title: string | undefined,
    body: { files: Record<string, string>; draft: boolean; branch?: string; async: boolean },
  ): Promise<NetlifyDeploy> {
    return this.createSiteDeploy(siteId, title, { what: 'create the deploy', json: body })
  }

  /**
   * The whole site as one zip, the other body the createSiteDeploy definition describes
   * ("Set Content-Type to 'application/zip' and send the zip file as the raw request body").
   * One request however many files; no draft or branch can be given, so production only.
   */
  createZipDeploy(
    siteId: string,
    title: string | undefined,
    zip: { path: string; size: number },
    timeoutMs: number,
  ): Promise<NetlifyDeploy> {
    return this.createSiteDeploy(siteId, title, { what: 'create the deploy from the zip of the site', zipFile: zip, timeoutMs })
  }

  private createSiteDeploy(
    siteId: string,
    title: string | undefined,
    body: Pick<Call, 'what' | 'json' | 'zipFile' | 'timeoutMs'>,
  ): Promise<NetlifyDeploy> {
    return this.json({
      operation: 'createSiteDeploy',
      method: 'POST',
      path: `/sites/${encodeURIComponent(siteId)}/deploys`,
      query: { title },
      ...body,
    })
  }

  getDeploy(siteId: string, deployId: string): Promise<NetlifyDeploy> {
    return this.json({
      operation: 'getSiteDeploy',
      what: `read the state of deploy ${deployId}`,
      method: 'GET',
      path: `/sites/${encodeURIComponent(siteId)}/deploys/${encodeURIComponent(deployId)}`,
    })
  }

  async uploadFile(deployId: string, path: string, content: Buffer): Promise<void> {
    const encoded = path.split('/').map(encodeURIComponent).join('/')
    await this.call({
      operation: 'uploadDeployFile',
      what: `upload ${path}`,
      method: 'PUT',
      path: `/deploys/${encodeURIComponent(deployId)}/files/${encoded}`,
      binary: content,
    })
  }

  /**
   * One page of a site's deploys, newest first. `branch` is a filter of the definition
   * (`/sites/{site_id}/deploys` takes it); callers still check each deploy's own `branch`.
   */
  listSiteDeploys(siteId: string, options: { branch?: string; page: number; perPage: number }): Promise<NetlifyDeploy[]> {
    return this.json({
      operation: 'listSiteDeploys',
      what: `list the deploys${options.branch ? ` of alias '${options.branch}'` : ''} (page ${options.page})`,
      method: 'GET',
      path: `/sites/${encodeURIComponent(siteId)}/deploys`,
      query: { branch: options.branch, page: String(options.page), per_page: String(options.perPage) },
    })
  }

  /** 204 on success; a 404 (already gone) reaches the caller as a NetlifyApiError. */
  async deleteSiteDeploy(siteId: string, deployId: string): Promise<void> {
    await this.call({
      operation: 'deleteSiteDeploy',
      what: `delete deploy ${deployId}`,
      method: 'DELETE',
      path: `/sites/${encodeURIComponent(siteId)}/deploys/${encodeURIComponent(deployId)}`,
    })
  }

  cancelDeploy(deployId: string): Promise<NetlifyDeploy> {
    return this.json({
      operation: 'cancelSiteDeploy',
      what: `cancel deploy ${deployId}`,
      method: 'POST',
      path: `/deploys/${encodeURIComponent(deployId)}/cancel`,
    })
  }

  private async json<T>(call: Call): Promise<T> {
    const response = await this.call(call)
    try {
      return JSON.parse(response.body.toString('utf8')) as T
    } catch {
      throw new ActionError(`Netlify's answer to the request to ${call.what} was not JSON (status ${response.status}).`, {
        hint: 'Check that the API URL points at Netlify; re-run the job if Netlify was having trouble.',
      })
    }
  }

  private async call(call: Call): Promise<HttpResponse> {
    const query = new URLSearchParams(
      Object.entries(call.query ?? {}).filter((entry): entry is [string, string] => entry[1] !== undefined),
    ).toString()
    const url = `${this.apiUrl}${call.path}${query ? `?${query}` : ''}`
    const headers: Record<string, string> = {
      authorization: `Bearer ${this.options.token}`,
      'user-agent': this.options.userAgent ?? 'django-deploy-actions/action-static',
    }
    let body: Buffer | string | undefined
    if (call.zipFile !== undefined) {
      headers['content-type'] = 'application/zip'
    } else if (call.json !== undefined) {
      headers['content-type'] = 'application/json'
      body = JSON.stringify(call.json)
    } else if (call.binary !== undefined) {
      headers['content-type'] = 'application/octet-stream'
      body = call.binary
    }
    for (let attempt = 1; ; attempt++) {
      await this.waitForPause(call)
      this.counts.byOperation[call.operation] = (this.counts.byOperation[call.operation] ?? 0) + 1
      let response: HttpResponse | undefined
      let failure: string
      try {
        response = await this.options.transport.send({
          method: call.method,
          url,
          headers,
          body,
          bodyFile: call.zipFile,
          timeoutMs: call.timeoutMs ?? this.options.requestTimeoutMs ?? 60_000,
        })
        if (response.status < 300) return response
        failure = `${response.status} ${netlifyMessage(response)}`
      } catch (error) {
        if (!(error instanceof NetworkError)) throw error
        failure = error.message
      }
      const retryable = response === undefined || isRetryableStatus(response.status)
      if (!retryable || attempt >= this.policy.maxAttempts) throw this.failure(call, response, failure, attempt)
      const hint = response ? serverWaitMs(response.headers, this.now()) : undefined
      const delay = retryDelayMs(this.policy, attempt, hint, this.random)
      if (response?.status === 429) this.pausedUntil = Math.max(this.pausedUntil, this.now() + delay)
      this.checkDeadline(call, delay, failure)
      this.counts.retries++
      this.options.log.info(
        `Netlify: ${call.what} failed (${failure}); retrying in ${(delay / 1000).toFixed(1)} s (attempt ${attempt + 1} of ${this.policy.maxAttempts}).`,
      )
      await this.sleep(delay)
    }
  }

  private async waitForPause(call: Call): Promise<void> {
    const wait = this.pausedUntil - this.now()
    if (wait <= 0) return
    this.checkDeadline(call, wait, 'rate limited')
    // Parallel requests all wait for the same pause; say so once per pause when it is long.
    if (wait > 10_000 && this.announcedPause !== this.pausedUntil) {
      this.announcedPause = this.pausedUntil
      this.options.log.info(
        `Netlify: rate limit reached; waiting ${Math.ceil(wait / 1000)} s for it to reset before the next requests (${call.what} and others).`,
      )
    }
    await this.sleep(wait)
  }

  private checkDeadline(call: Call, delay: number, failure: string): void {
    const deadline = this.options.deadline
    if (deadline !== undefined && this.now() + delay > deadline) {
      throw new TimeoutError(
        `Talking to Netlify (last: ${call.what}, ${failure})`,
        Math.max(1, Math.round((deadline - (this.options.now ?? Date.now)()) / 1000)),
        "Raise the 'timeout' input, or re-run the job when Netlify is less busy.",
      )
    }
  }

  private failure(call: Call, response: HttpResponse | undefined, failure: string, attempts: number): ActionError {
    if (!response) {
      return new ActionError(`Could not reach Netlify to ${call.what} after ${attempts} attempts: ${failure}.`, {
        hint: "Check the runner's network; Netlify status: https://www.netlifystatus.com.",
      })
    }
    const message = netlifyMessage(response)
    const requestId = response.headers['x-nf-request-id']
    const status = response.status
    if (status === 401) {
      return new NetlifyApiError(status, message, call.what, {
        input: 'netlify-auth-token',
        requestId,
        hint: 'The token is wrong, expired or revoked. Create a personal access token (User settings → Applications → Personal access tokens) and store it as a repository secret.',
      })
    }
    if (isRetryableStatus(status)) {
      return new NetlifyApiError(status, message, `${call.what} (${attempts} attempts)`, {
        requestId,
        hint: 'Netlify is busy or having trouble (https://www.netlifystatus.com); re-run the job later.',
      })
    }
    if (status >= 500) {
      return new NetlifyApiError(status, message, call.what, {
        requestId,
        hint: `Netlify refused the request with HTTP ${status}, an error that repeating the request does not fix, so it was not retried. Check https://www.netlifystatus.com; if it persists, report it to Netlify support with the request id.`,
      })
    }
    return new NetlifyApiError(status, message, call.what, { requestId })
  }
}

/** Netlify's `{code, message}` envelope, or a short piece of whatever came back. */
export function netlifyMessage(response: HttpResponse): string {
  const text = response.body.toString('utf8')
  try {
    const parsed = JSON.parse(text) as { message?: unknown; errors?: unknown }
    if (typeof parsed.message === 'string') {
      const errors = parsed.errors && typeof parsed.errors === 'object' ? ` ${JSON.stringify(parsed.errors)}` : ''
      return `${parsed.message}${errors}`
    }
  } catch {
    /* not JSON */
  }
  return text.trim().slice(0, 200) || 'no message'
}

/** The client of one run: its token, the run's transport and clock, and the run's deadline. */
export function netlifyForRun(
  token: string,
  run: {
    netlify: { transport: HttpTransport; apiUrl?: string }
    log: Logger
    now: () => number
    sleep?: (ms: number) => Promise<void>
  },
  deadline: number,
): NetlifyApi {
  return new NetlifyApi({
    token,
    transport: run.netlify.transport,
    apiUrl: run.netlify.apiUrl,
    log: run.log,
    deadline,
    now: run.now,
    sleep: run.sleep,
  })
}
