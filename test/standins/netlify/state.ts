import { createHash, randomBytes } from 'node:crypto'
import { parseHeaders, parseRedirects, type HeaderRule, type RedirectRule } from './rules.js'

/**
 * What the Netlify stand-in remembers: accounts' tokens, sites, deploys and the file contents it
 * has received (by SHA1, per site, which is what makes a redeploy of unchanged files upload
 * nothing). The deploy lifecycle follows what the CLI and the API docs show:
 *
 *   POST /sites/{id}/deploys (no files)  → new
 *   … with files, sync                   → uploading (required ≠ ∅) or processing → ready
 *   … with files, async: true            → preparing → (diffMs later) prepared → uploading → …
 *   last required file uploaded          → uploaded → processing → (processMs later) ready
 *   POST … with a zip body               → uploaded → (diffMs later) processing → ready
 *   POST /deploys/{id}/cancel            → error, error_message "Canceled"
 *   DELETE …/deploys/{id}                → gone (never the published deploy; see deleteDeploy)
 *
 * A ready deploy that is not a draft publishes: with `branch` it becomes that alias, without it
 * becomes the site's production deploy.
 */
export type DeployState = 'new' | 'preparing' | 'prepared' | 'uploading' | 'uploaded' | 'processing' | 'ready' | 'error'

export interface Site {
  id: string
  name: string
  accountSlug: string
  createdAt: string
  /** sha1 → bytes, every file any deploy of this site has received. */
  blobs: Map<string, Buffer>
  publishedDeployId?: string
  /** alias (branch) → deploy id. */
  aliases: Map<string, string>
  /** Production deploys are locked (auto publishing stopped). */
  locked: boolean
}

export interface Deploy {
  id: string
  siteId: string
  state: DeployState
  title?: string
  draft: boolean
  branch?: string
  asyncDiff: boolean
  /** path (no leading slash) → sha1 */
  files: Map<string, string>
  /** sha1s still to upload. */
  required: Set<string>
  /** Paths still to upload: every path whose sha was required (the CLI uploads a shared sha to each of its paths). */
  pendingPaths: Set<string>
  /** sha1s that were required when the file list was sent: a path is uploadable iff its sha is here. */
  requiredAtStart: Set<string>
  /** Paths uploaded, in order. */
  uploads: string[]
  errorMessage?: string
  createdAt: string
  updatedAt: string
  publishedAt?: string
  redirects: RedirectRule[]
  headers: HeaderRule[]
  commitRef?: string
  /** The files came in one zip body instead of a digest and uploads. */
  fromZip: boolean
  /** Undocumented fields the client sent (the CLI sends deploy_source etc.), kept for assertions. */
  extra: Record<string, unknown>
}

export interface Timing {
  /** Time an async diff takes before `required` is known. */
  diffMs: number
  /** Time between the last upload (or a deploy needing none) and `ready`. */
  processMs: number
}

export class NetlifyState {
  readonly tokens = new Map<string, { accountSlug: string }>()
  readonly sites = new Map<string, Site>()
  readonly deploys = new Map<string, Deploy>()
  readonly timing: Timing = { diffMs: 30, processMs: 30 }
  /** Set `failProcessing` to make the next deploys end in `error` (e.g. a post-processing failure). */
  failProcessing: string | undefined
  private readonly timers = new Set<NodeJS.Timeout>()

  addToken(token: string, accountSlug = 'octo-team'): void {
    this.tokens.set(token, { accountSlug })
  }

  addSite(name: string, accountSlug = 'octo-team'): Site {
    if (this.siteByName(name)) throw new Error(`site ${name} exists`)
    const site: Site = { id: uuid(), name, accountSlug, createdAt: now(), blobs: new Map(), aliases: new Map(), locked: false }
    this.sites.set(site.id, site)
    return site
  }

  siteByName(name: string): Site | undefined {
    return [...this.sites.values()].find((site) => site.name === name)
  }

  /** Netlify accepts the API ID or the site's `<name>.netlify.app` domain as `site_id`. */
  findSite(idOrDomain: string): Site | undefined {
    const byId = this.sites.get(idOrDomain)
    if (byId) return byId
    const name = /^([a-z0-9-]+)\.netlify\.app$/.exec(idOrDomain)?.[1]
    return name ? this.siteByName(name) : undefined
  }

  createDeploy(site: Site, options: { title?: string; draft: boolean; branch?: string; extra: Record<string, unknown> }): Deploy {
    const deploy: Deploy = {
      id: randomBytes(12).toString('hex'),
      siteId: site.id,
      state: 'new',
      title: options.title,
      draft: options.draft,
      branch: options.branch,
      asyncDiff: false,
      files: new Map(),
      required: new Set(),
      pendingPaths: new Set(),
      requiredAtStart: new Set(),
      uploads: [],
      createdAt: now(),
      updatedAt: now(),
      redirects: [],
      headers: [],
      fromZip: false,
      extra: options.extra,
    }
    this.deploys.set(deploy.id, deploy)
    return deploy
  }

  /** The file list arrives (POST with files, or PUT): compute `required` now or after the async diff. */
  setFiles(deploy: Deploy, files: Map<string, string>, asyncDiff: boolean): void {
    const site = this.site(deploy)
    deploy.files = files
    deploy.asyncDiff = asyncDiff
    const diff = (): void => {
      const missing = new Set([...files.values()].filter((sha) => !site.blobs.has(sha)))
      deploy.required = missing
      deploy.requiredAtStart = new Set(missing)
      deploy.pendingPaths = new Set([...files].filter(([, sha]) => missing.has(sha)).map(([path]) => path))
      if (missing.size === 0) this.startProcessing(deploy)
      else this.transition(deploy, asyncDiff ? 'prepared' : 'uploading')
    }
    if (asyncDiff) {
      this.transition(deploy, 'preparing')
      this.later(this.timing.diffMs, () => {
        if (deploy.state === 'preparing' && this.deploys.has(deploy.id)) diff()
      })
    } else {
      diff()
    }
  }

  /** The files of a zip body: all there at once, so the deploy is uploaded and goes on to processing. */
  setZipFiles(deploy: Deploy, entries: Map<string, Buffer>): void {
    const site = this.site(deploy)
    deploy.fromZip = true
    deploy.files = new Map()
    for (const [path, content] of entries) {
      const sha = sha1(content)
      site.blobs.set(sha, content)
      deploy.files.set(path, sha)
    }
    this.transition(deploy, 'uploaded')
    // Unpacking takes Netlify a moment: the first answer says uploaded, polls see it move on.
    this.later(this.timing.diffMs, () => {
      if (deploy.state === 'uploaded' && this.deploys.has(deploy.id)) this.startProcessing(deploy)
    })
  }

  /** A file arrived and matched its sha: keep it, and finish the deploy once nothing is missing. */
  receive(deploy: Deploy, path: string, sha: string, body: Buffer): void {
    this.site(deploy).blobs.set(sha, body)
    deploy.required.delete(sha)
    deploy.pendingPaths.delete(path)
    deploy.uploads.push(path)
    if (deploy.state === 'prepared') this.transition(deploy, 'uploading')
    if (deploy.pendingPaths.size === 0) {
      this.transition(deploy, 'uploaded')
      this.startProcessing(deploy)
    }
  }

  cancel(deploy: Deploy): void {
    deploy.errorMessage = 'Canceled'
    this.transition(deploy, 'error')
  }

  site(deploy: Deploy): Site {
    const site = this.sites.get(deploy.siteId)
    if (!site) throw new Error(`deploy ${deploy.id} has no site`)
    return site
  }

  /** The content a deploy serves at `path` (no leading slash), for tests that look at the result. */
  fileOf(deploy: Deploy, path: string): Buffer | undefined {
    const sha = deploy.files.get(path)
    return sha === undefined ? undefined : this.site(deploy).blobs.get(sha)
  }

  /** Newest first, as Netlify lists them (creation order, so pages are stable when timestamps tie). */
  deploysOf(site: Site): Deploy[] {
    return [...this.deploys.values()].filter((deploy) => deploy.siteId === site.id).reverse()
  }

  /**
   * Delete a deploy (the server refuses the published one before this). An alias it served falls
   * back to the newest other ready deploy of that branch, as the alias URL always shows the
   * branch's latest deploy; with none left, the alias stops serving.
   */
  deleteDeploy(deploy: Deploy): void {
    const site = this.site(deploy)
    this.deploys.delete(deploy.id)
    for (const [alias, id] of site.aliases) {
      if (id !== deploy.id) continue
      const previous = this.deploysOf(site).find((other) => other.branch === alias && other.state === 'ready' && !other.draft)
      if (previous) site.aliases.set(alias, previous.id)
      else site.aliases.delete(alias)
    }
  }

  close(): void {
    for (const timer of this.timers) clearTimeout(timer)
    this.timers.clear()
  }

  private startProcessing(deploy: Deploy): void {
    this.transition(deploy, 'processing')
    this.later(this.timing.processMs, () => {
      // A deploy deleted while it was processing never publishes.
      if (deploy.state !== 'processing' || !this.deploys.has(deploy.id)) return
      if (this.failProcessing) {
        deploy.errorMessage = this.failProcessing
        this.transition(deploy, 'error')
        return
      }
      // Netlify reads these two files from the deploy; a broken line is skipped, not fatal.
      const redirects = this.fileOf(deploy, '_redirects')
      const headers = this.fileOf(deploy, '_headers')
      deploy.redirects = redirects ? parseRedirects(redirects.toString('utf8')) : []
      deploy.headers = headers ? parseHeaders(headers.toString('utf8')) : []
      this.transition(deploy, 'ready')
      this.publish(deploy)
    })
  }

  private publish(deploy: Deploy): void {
    if (deploy.draft) return
    const site = this.site(deploy)
    if (deploy.branch) {
      site.aliases.set(deploy.branch, deploy.id)
    } else if (!site.locked) {
      site.publishedDeployId = deploy.id
      deploy.publishedAt = now()
    }
  }

  private transition(deploy: Deploy, state: DeployState): void {
    deploy.state = state
    deploy.updatedAt = now()
  }

  private later(ms: number, fn: () => void): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer)
      fn()
    }, ms)
    this.timers.add(timer)
  }
}

export function sha1(data: Buffer | string): string {
  return createHash('sha1').update(data).digest('hex')
}

function uuid(): string {
  return globalThis.crypto.randomUUID()
}

function now(): string {
  return new Date().toISOString()
}
