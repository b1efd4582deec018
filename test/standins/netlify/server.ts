import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import { unzipSync } from 'fflate'
import type { AddressInfo, Socket } from 'node:net'
import { arm, rateLimitHeaders, takeFault, type ArmedFault, type Fault } from './faults.js'
import { serve, type Served } from './rules.js'
import { BASE_PATH, isProblem, match, validateBody, validateQuery, type ParsedBody, type Route } from './spec.js'
import { NetlifyState, sha1, type Deploy, type Site } from './state.js'

/**
 * A local stand-in for Netlify's deploy API (`https://api.netlify.com/api/v1`), on a free loopback
 * port. Every request is first checked against `@netlify/open-api` (spec.ts); then the handlers
 * below implement what deploys need — sites (by id or `<name>.netlify.app`, find and create),
 * the file-digest deploy flow with its states (state.ts), uploads checked against the deploy's
 * file list, `required` set and SHA1, cancel, drafts, production publishing and aliases, the
 * paged deploy list and deleting deploys (an alias then falls back to its branch's previous
 * deploy, or stops serving) — and refuse what Netlify refuses (401 bad token, 404 unknown or
 * foreign site/deploy, 422 invalid bodies, uploads in the wrong state or with the wrong content,
 * deleting the published deploy). Operations of the definition that deploys do not use answer
 * 501, so a client that starts calling them is noticed.
 *
 *     const netlify = await startNetlifyStandin()
 *     netlify.state.addToken('tok'); const site = netlify.state.addSite('blog')
 *     // NETLIFY_API_URL=netlify.url (netlify-cli), or our client with apiUrl = netlify.apiUrl
 *     netlify.fault({ operation: 'uploadDeployFile', action: { kind: 'rate-limit', form: 'reset-utc', waitSeconds: 1 } })
 */
export interface RecordedRequest {
  operation?: string
  method: string
  /** Below the base path, e.g. `/deploys/abc/files/index.html` (still URL-encoded). */
  path: string
  query: Record<string, string>
  body?: unknown
  /** The request's Content-Type, as sent. */
  contentType?: string
  bodyBytes: number
  /** Epoch ms the request arrived (the benchmark checks that 429s were waited out). */
  at: number
  /** For a 429 of the rate limit: epoch ms its window ends, when the budget is back. */
  limitedUntil?: number
  status: number
  /** A fault answered (or dropped) this request instead of the handler. */
  faulted?: string
}

export interface NetlifyStandin {
  /** Origin to put in NETLIFY_API_URL, e.g. http://127.0.0.1:40123 (the CLI adds /api/v1). */
  url: string
  /** Full API base, e.g. http://127.0.0.1:40123/api/v1. */
  apiUrl: string
  state: NetlifyState
  requests: RecordedRequest[]
  /** Requests for one operation id. */
  calls(operation: string): RecordedRequest[]
  fault(fault: Fault): ArmedFault
  clearFaults(): void
  /** Added to every request before it is handled (the benchmark uses 50 ms). */
  latencyMs: number
  /**
   * Netlify's API rate limit: `limit` requests per `windowMs` per token (unauthenticated
   * requests share one bucket per client address). Default as Netlify: 500 per minute. Every API
   * response carries X-RateLimit-Limit/-Remaining/-Reset; past the limit the answer is 429 with
   * Retry-After until the window ends. Tests may shrink both; set `limit` to 0 to disable.
   */
  rateLimit: { limit: number; windowMs: number }
  /** What the site answers for a path at production (`'production'`), an alias, or a deploy id. */
  get(site: Site, target: string, path: string): Served & { body?: Buffer }
  close(): Promise<void>
}

type Reply = { status: number; body?: unknown; headers?: Record<string, string> }

export async function startNetlifyStandin(): Promise<NetlifyStandin> {
  const state = new NetlifyState()
  const requests: RecordedRequest[] = []
  const faults: ArmedFault[] = []
  const sockets = new Set<Socket>()
  let origin = ''
  const windows = new Map<string, { start: number; used: number }>()

  /** Counts one request against its bucket; the headers to send, and whether it is over the limit. */
  function rateLimitFor(
    bucket: string,
    now = Date.now(),
  ): { headers: Record<string, string>; limited: boolean; resetAt?: number } {
    const { limit, windowMs } = standin.rateLimit
    if (limit <= 0) return { headers: {}, limited: false }
    let window = windows.get(bucket)
    if (!window || now >= window.start + windowMs) {
      window = { start: now, used: 0 }
      windows.set(bucket, window)
    }
    window.used++
    const resetAt = window.start + windowMs
    const headers: Record<string, string> = {
      'x-ratelimit-limit': String(limit),
      'x-ratelimit-remaining': String(Math.max(0, limit - window.used)),
      'x-ratelimit-reset': String(Math.ceil(resetAt / 1000)),
    }
    const limited = window.used > limit
    if (limited) headers['retry-after'] = String(Math.max(1, Math.ceil((resetAt - now) / 1000)))
    return { headers, limited, resetAt }
  }

  const standin: NetlifyStandin = {
    url: '',
    apiUrl: '',
    state,
    requests,
    latencyMs: 0,
    rateLimit: { limit: 500, windowMs: 60_000 },
    calls: (operation) => requests.filter((request) => request.operation === operation),
    fault: (fault) => {
      const armed = arm(fault)
      faults.push(armed)
      return armed
    },
    clearFaults: () => {
      faults.length = 0
    },
    get: (site, target, path) => {
      const deployId =
        target === 'production'
          ? site.publishedDeployId
          : (site.aliases.get(target) ?? (state.deploys.get(target)?.siteId === site.id ? target : undefined))
      const deploy = deployId ? state.deploys.get(deployId) : undefined
      if (!deploy || deploy.state !== 'ready') return { status: 404, headers: [] }
      const served = serve(path, new Set(deploy.files.keys()), deploy.redirects, deploy.headers)
      return { ...served, body: served.file ? state.fileOf(deploy, served.file) : undefined }
    },
    close: async () => {
      state.close()
      for (const socket of sockets) socket.destroy()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) send(res, { status: 500, body: { code: 500, message: `stand-in bug: ${String(error)}` } })
    })
  })
  server.on('connection', (socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const raw = await readBody(req)
    const url = new URL(req.url ?? '/', origin)
    const method = req.method ?? 'GET'
    const record: RecordedRequest = {
      method,
      path: url.pathname.slice(BASE_PATH.length),
      query: Object.fromEntries(url.searchParams),
      contentType: req.headers['content-type'],
      bodyBytes: raw.length,
      at: Date.now(),
      status: 0,
    }
    requests.push(record)
    if (standin.latencyMs > 0) await sleep(standin.latencyMs)

    // netlify-cli reports telemetry; tests point NETLIFY_TEST_TRACK_URL etc. here so nothing leaves the machine.
    if (url.pathname.startsWith('/telemetry/') || url.pathname === '/report-error')
      return finishWith(res, record, { status: 200, body: {} })
    if (!url.pathname.startsWith(`${BASE_PATH}/`))
      return finishWith(res, record, { status: 404, body: { code: 404, message: 'Not Found' } })
    const matched = match(method, record.path)
    if (isProblem(matched))
      return finishWith(res, record, { status: matched.status, body: { code: matched.status, message: matched.message } })
    record.operation = matched.route.operationId

    const bearer = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '')?.[1]?.trim()
    const limit = rateLimitFor(bearer ? `token:${bearer}` : `addr:${req.socket.remoteAddress ?? ''}`)
    const finish = (response: ServerResponse, entry: RecordedRequest, reply: Reply): void =>
      finishWith(response, entry, { ...reply, headers: { ...limit.headers, ...(reply.headers ?? {}) } })
    if (limit.limited) {
      record.limitedUntil = limit.resetAt
      return finish(res, record, {
        status: 429,
        body: { code: 429, message: 'Rate limit exceeded: too many requests for this token, retry after the reset' },
      })
    }

    const fault = takeFault(faults, record.operation, method, record.path)
    let dropAfter = false
    if (fault) {
      record.faulted = fault.kind
      if (fault.kind === 'drop') {
        record.status = -1
        req.socket.destroy()
        return
      }
      if (fault.kind === 'delay') await sleep(fault.ms)
      else if (fault.kind === 'status')
        return finish(res, record, {
          status: fault.status,
          body: { code: fault.status, message: fault.message ?? statusMessage(fault.status) },
          headers: fault.headers,
        })
      // A scripted 429 speaks for itself: its headers, not the live window's, say how long to wait.
      else if (fault.kind === 'rate-limit')
        return finishWith(res, record, {
          status: 429,
          body: { code: 429, message: 'Too Many Requests' },
          headers: rateLimitHeaders(fault.form, fault.waitSeconds),
        })
      else dropAfter = true
    }

    const account = bearer ? state.tokens.get(bearer) : undefined
    if (!account)
      return finish(res, record, {
        status: 401,
        body: { code: 401, message: 'Access Denied: your access token is missing, invalid or expired' },
      })

    const queryProblem = validateQuery(matched.route, url.searchParams)
    if (queryProblem)
      return finish(res, record, {
        status: queryProblem.status,
        body: { code: queryProblem.status, message: queryProblem.message },
      })
    const body = validateBody(matched.route, req.headers['content-type'], raw)
    if (isProblem(body)) return finish(res, record, { status: body.status, body: { code: body.status, message: body.message } })
    if (body.kind === 'json') record.body = body.value

    const reply = dispatch(matched.route, matched.params, url.searchParams, body, account.accountSlug)
    if (dropAfter) {
      record.status = -1
      req.socket.destroy()
      return
    }
    finish(res, record, reply)
  }

  function dispatch(
    route: Route,
    params: Record<string, string>,
    query: URLSearchParams,
    body: ParsedBody,
    accountSlug: string,
  ): Reply {
    const json = (body.kind === 'json' && typeof body.value === 'object' && body.value !== null ? body.value : {}) as Record<
      string,
      unknown
    >
    const ownSite = (id: string | undefined): Site | undefined => {
      const site = id ? state.findSite(id) : undefined
      return site && site.accountSlug === accountSlug ? site : undefined
    }
    const ownDeploy = (id: string | undefined): Deploy | undefined => {
      const deploy = id ? state.deploys.get(id) : undefined
      return deploy && state.site(deploy).accountSlug === accountSlug ? deploy : undefined
    }
    switch (route.operationId) {
      case 'getCurrentUser':
        return ok({ id: 'user-1', email: 'octo@example.org', full_name: 'Octo', slug: accountSlug })
      case 'listAccountsForUser':
        return ok([{ id: 'account-1', name: accountSlug, slug: accountSlug, type: 'personal' }])
      case 'getEnvVars':
        // netlify-cli reads the team's environment variables before deploying; the stand-in has none.
        return params.account_id === accountSlug ? ok([]) : notFound()
      case 'listSites':
      case 'listSitesForAccount': {
        const name = query.get('name')
        const paging = pageOf(query)
        if (typeof paging === 'string') return unprocessable(paging)
        const sites = [...state.sites.values()].filter(
          (site) => site.accountSlug === accountSlug && (!name || site.name.includes(name)),
        )
        return ok(sites.slice((paging.page - 1) * paging.perPage, paging.page * paging.perPage).map((site) => siteJson(site)))
      }
      case 'getSite': {
        const site = ownSite(params.site_id)
        return site ? ok(siteJson(site)) : notFound()
      }
      case 'createSite':
      case 'createSiteInTeam': {
        if (route.operationId === 'createSiteInTeam' && params.account_slug !== accountSlug) return notFound()
        const name = typeof json.name === 'string' ? json.name : `site-${Math.random().toString(36).slice(2, 10)}`
        if (!/^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/.test(name))
          return unprocessable('Validation Failed', { name: ['is invalid: lowercase letters, digits and hyphens only'] })
        if (state.siteByName(name)) return unprocessable('Validation Failed', { subdomain: ['must be unique'] })
        return { status: 201, body: siteJson(state.addSite(name, accountSlug)) }
      }
      case 'listSiteDeploys': {
        const site = ownSite(params.site_id)
        if (!site) return notFound()
        // The definition's other filters have semantics the stand-in does not model; say so rather than ignore them.
        for (const unmodelled of ['deploy-previews', 'latest-published']) {
          if (query.has(unmodelled))
            return {
              status: 501,
              body: { code: 501, message: `the ${unmodelled} filter of listSiteDeploys is not implemented by the stand-in` },
            }
        }
        const paging = pageOf(query)
        if (typeof paging === 'string') return unprocessable(paging)
        const branch = query.get('branch')
        const wanted = query.get('state')
        const production = query.get('production')
        const list = state
          .deploysOf(site)
          .filter(
            (deploy) =>
              (branch === null || deploy.branch === branch) &&
              (wanted === null || deploy.state === wanted) &&
              (production === null || (production === 'true') === (!deploy.draft && !deploy.branch)),
          )
        return ok(
          list.slice((paging.page - 1) * paging.perPage, paging.page * paging.perPage).map((deploy) => deployJson(deploy)),
        )
      }
      case 'createSiteDeploy': {
        const site = ownSite(params.site_id)
        if (!site) return notFound()
        if (body.kind === 'binary') {
          // A raw zip body (the definition's second way): one request carries every file. It
          // cannot say draft or branch, so it is a production deploy.
          const entries = zipEntries(body.value)
          if (typeof entries === 'string') return unprocessable(entries)
          const deploy = state.createDeploy(site, { title: query.get('title') ?? undefined, draft: false, extra: {} })
          state.setZipFiles(deploy, entries)
          return ok(deployJson(deploy))
        }
        if (json.zip !== undefined)
          return {
            status: 501,
            body: { code: 501, message: 'a zip in the JSON body (the zip field) is not implemented by the stand-in' },
          }
        const files = json.files === undefined ? undefined : fileList(json.files)
        if (typeof files === 'string') return unprocessable(files)
        const deploy = state.createDeploy(site, {
          title: query.get('title') ?? undefined,
          draft: json.draft === true,
          branch: nonEmpty(json.branch),
          extra: extraFields(json),
        })
        if (files) {
          if (files.size === 0) return unprocessable('A deploy needs at least one file')
          state.setFiles(deploy, files, json.async === true)
        }
        return ok(deployJson(deploy))
      }
      case 'updateSiteDeploy': {
        const site = ownSite(params.site_id)
        const deploy = ownDeploy(params.deploy_id)
        if (!site || !deploy || deploy.siteId !== site.id) return notFound()
        if (deploy.state !== 'new') return unprocessable(`Deploy ${deploy.id} is ${deploy.state}; its files can only be set once`)
        const files = fileList(json.files)
        if (typeof files === 'string') return unprocessable(files)
        if (files.size === 0) return unprocessable('A deploy needs at least one file')
        if (json.draft !== undefined) deploy.draft = json.draft === true
        if (json.branch !== undefined) deploy.branch = nonEmpty(json.branch)
        Object.assign(deploy.extra, extraFields(json))
        deploy.commitRef = query.get('commit_ref') ?? undefined
        state.setFiles(deploy, files, json.async === true)
        return ok(deployJson(deploy))
      }
      case 'listSiteFiles': {
        // The files of the published deploy, as Netlify lists them (leading slash); none before the first.
        const site = ownSite(params.site_id)
        if (!site) return notFound()
        const published = site.publishedDeployId ? state.deploys.get(site.publishedDeployId) : undefined
        return ok(
          [...(published?.files ?? new Map<string, string>())].map(([file, sha]) => ({ id: `/${file}`, path: `/${file}`, sha })),
        )
      }
      case 'getSiteDeploy': {
        const site = ownSite(params.site_id)
        const deploy = ownDeploy(params.deploy_id)
        return site && deploy && deploy.siteId === site.id ? ok(deployJson(deploy)) : notFound()
      }
      case 'getDeploy': {
        const deploy = ownDeploy(params.deploy_id)
        return deploy ? ok(deployJson(deploy)) : notFound()
      }
      case 'uploadDeployFile': {
        const deploy = ownDeploy(params.deploy_id)
        if (!deploy) return notFound()
        if (deploy.state !== 'prepared' && deploy.state !== 'uploading')
          return unprocessable(`Deploy ${deploy.id} is ${deploy.state}; it does not accept uploads`)
        const path = (params.path ?? '').replace(/^\/+/, '')
        const expected = deploy.files.get(path)
        if (expected === undefined) return unprocessable(`${path} is not a file of deploy ${deploy.id}`)
        if (!deploy.requiredAtStart.has(expected)) return unprocessable(`${path} is not required by deploy ${deploy.id}`)
        const content = body.kind === 'binary' ? body.value : Buffer.alloc(0)
        const size = query.get('size')
        if (size !== null && Number(size) !== content.length)
          return unprocessable(`size ${size} does not match the ${content.length} bytes received`)
        const actual = sha1(content)
        if (actual !== expected) return unprocessable(`SHA1 of ${path} is ${actual}, the deploy expects ${expected}`)
        state.receive(deploy, path, actual, content)
        return ok({
          id: `${deploy.id}/${path}`,
          path: `/${path}`,
          sha: actual,
          mime_type: 'application/octet-stream',
          size: content.length,
        })
      }
      case 'cancelSiteDeploy': {
        const deploy = ownDeploy(params.deploy_id)
        if (!deploy) return notFound()
        if (deploy.state === 'ready' || deploy.state === 'error')
          return unprocessable(`Deploy ${deploy.id} is ${deploy.state} and cannot be cancelled`)
        state.cancel(deploy)
        return { status: 201, body: deployJson(deploy) }
      }
      case 'deleteSiteDeploy':
      case 'deleteDeploy': {
        const deploy = ownDeploy(params.deploy_id)
        if (!deploy) return notFound()
        const site = state.site(deploy)
        // Under /sites/{site_id}/… the deploy must belong to that site (by id or domain, as elsewhere).
        if (route.operationId === 'deleteSiteDeploy' && ownSite(params.site_id)?.id !== site.id) return notFound()
        if (site.publishedDeployId === deploy.id)
          return unprocessable('The published deploy cannot be deleted; publish another deploy first')
        state.deleteDeploy(deploy)
        return { status: 204 }
      }
      default:
        return {
          status: 501,
          body: { code: 501, message: `${route.operationId} is in the Netlify API but not implemented by the stand-in` },
        }
    }
  }

  function siteJson(site: Site): object {
    const published = site.publishedDeployId ? state.deploys.get(site.publishedDeployId) : undefined
    return {
      id: site.id,
      site_id: site.id,
      name: site.name,
      state: 'current',
      url: `http://${site.name}.netlify.app`,
      ssl_url: `https://${site.name}.netlify.app`,
      admin_url: `https://app.netlify.com/projects/${site.name}`,
      account_slug: site.accountSlug,
      account_name: site.accountSlug,
      created_at: site.createdAt,
      updated_at: site.createdAt,
      published_deploy: published ? { ...deployJson(published), locked: site.locked } : null,
      feature_flags: {},
      build_settings: {},
      capabilities: {},
      processing_settings: { html: { pretty_urls: true } },
    }
  }

  function deployJson(deploy: Deploy): object {
    const site = state.site(deploy)
    const host = (prefix: string): string => `${prefix}--${site.name}.netlify.app`
    return {
      id: deploy.id,
      site_id: site.id,
      build_id: null,
      state: deploy.state,
      name: site.name,
      url: `http://${site.name}.netlify.app`,
      ssl_url: `https://${site.name}.netlify.app`,
      admin_url: `https://app.netlify.com/projects/${site.name}`,
      deploy_url: `http://${host(deploy.id)}`,
      deploy_ssl_url: `https://${host(deploy.id)}`,
      // Netlify leaves `required` out until the diff is known.
      ...(deploy.state === 'new' || deploy.state === 'preparing'
        ? {}
        : { required: [...deploy.required], required_functions: [] }),
      error_message: deploy.errorMessage ?? null,
      branch: deploy.branch ?? null,
      draft: deploy.draft,
      context: deploy.draft ? 'deploy-preview' : deploy.branch ? 'branch-deploy' : 'production',
      title: deploy.title ?? null,
      commit_ref: deploy.commitRef ?? null,
      locked: false,
      skipped: false,
      created_at: deploy.createdAt,
      updated_at: deploy.updatedAt,
      published_at: deploy.publishedAt ?? null,
      links: { permalink: `https://${host(deploy.id)}`, ...(deploy.branch ? { alias: `https://${host(deploy.branch)}` } : {}) },
    }
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()))
  const address = server.address() as AddressInfo
  origin = `http://127.0.0.1:${address.port}`
  standin.url = origin
  standin.apiUrl = `${origin}${BASE_PATH}`
  return standin
}

/** Netlify's list paging: `page` from 1, `per_page` 100 by default and at most 100. A string is the 422 message. */
function pageOf(query: URLSearchParams): { page: number; perPage: number } | string {
  const page = Number(query.get('page') ?? 1)
  const perPage = Number(query.get('per_page') ?? 100)
  if (page < 1) return `page must be 1 or more, got ${page}`
  if (perPage < 1) return `per_page must be 1 or more, got ${perPage}`
  return { page, perPage: Math.min(perPage, 100) }
}

const SHA1 = /^[0-9a-f]{40}$/

/** The `files` object of a deploy: path → sha1, paths without a leading slash. A string is the 422 message. */
function fileList(value: unknown): Map<string, string> | string {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'files must be an object of path → SHA1'
  const files = new Map<string, string>()
  for (const [rawPath, sha] of Object.entries(value)) {
    const path = rawPath.replace(/^\/+/, '')
    if (path === '' || path.split('/').some((part) => part === '' || part === '.' || part === '..'))
      return `Invalid file path '${rawPath}'`
    if (typeof sha !== 'string' || !SHA1.test(sha)) return `Invalid SHA1 for ${rawPath}: ${JSON.stringify(sha)}`
    files.set(path, sha)
  }
  return files
}

const KNOWN = new Set([
  'files',
  'draft',
  'async',
  'branch',
  'functions',
  'function_schedules',
  'functions_config',
  'framework',
  'framework_version',
  'environment',
  'zip',
  'edge_functions',
  'server',
])

function extraFields(json: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(json).filter(([key]) => !KNOWN.has(key)))
}

/**
 * The files of a zip body, or why it is refused: not a zip archive, no file in it, or an entry
 * whose name would land outside the site (an absolute path, a drive letter, a `..` component).
 * Directory entries carry no file and are skipped.
 */
export function zipEntries(body: Buffer): Map<string, Buffer> | string {
  let unzipped: Record<string, Uint8Array>
  try {
    unzipped = unzipSync(new Uint8Array(body.buffer, body.byteOffset, body.length))
  } catch (error) {
    return `The request body is not a valid zip archive (${error instanceof Error ? error.message : String(error)})`
  }
  const files = new Map<string, Buffer>()
  for (const [name, data] of Object.entries(unzipped)) {
    if (name.endsWith('/')) continue
    if (/^([/\\]|[a-zA-Z]:)/.test(name))
      return `Zip entry '${name}' has an absolute path; entries must be relative to the site root`
    if (name.split(/[/\\]/).includes('..')) return `Zip entry '${name}' has a '..' component; entries must stay inside the site`
    files.set(name, Buffer.from(data))
  }
  if (files.size === 0) return 'A deploy needs at least one file; the zip holds none'
  return files
}

function nonEmpty(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined
}

function ok(body: unknown): Reply {
  return { status: 200, body }
}

function notFound(): Reply {
  return { status: 404, body: { code: 404, message: 'Not Found' } }
}

function unprocessable(message: string, errors?: Record<string, string[]>): Reply {
  return { status: 422, body: { code: 422, message, ...(errors ? { errors } : {}) } }
}

function statusMessage(status: number): string {
  return (
    { 500: 'Internal Server Error', 502: 'Bad Gateway', 503: 'Service Unavailable', 504: 'Gateway Timeout' }[status] ??
    `Error ${status}`
  )
}

function finishWith(res: ServerResponse, record: RecordedRequest, reply: Reply): void {
  record.status = reply.status
  send(res, reply)
}

function send(res: ServerResponse, reply: Reply): void {
  const headers: Record<string, string> = { 'x-nf-request-id': Math.random().toString(36).slice(2), ...(reply.headers ?? {}) }
  if (reply.body === undefined) {
    res.writeHead(reply.status, headers)
    res.end()
    return
  }
  const text = JSON.stringify(reply.body)
  res.writeHead(reply.status, {
    ...headers,
    'content-type': 'application/json; charset=utf-8',
    'content-length': String(Buffer.byteLength(text)),
  })
  res.end(text)
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => resolve(Buffer.concat(chunks)))
    req.on('error', reject)
  })
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}
