import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { MemoryLogger } from '@django-deploy/shared/runtime'
import { NetlifyApi } from '../../action-static/src/netlify/api.js'
import { deploySite, resolveSite, type DeployTarget } from '../../action-static/src/netlify/deploy.js'
import { digestDirectory } from '../../action-static/src/netlify/digest.js'
import { fetchTransport } from '../../action-static/src/netlify/http.js'
import type { RateLimitForm } from '../standins/netlify/faults.js'
import { startNetlifyStandin, type NetlifyStandin } from '../standins/netlify/server.js'

/**
 * The Netlify deploy client against the local Netlify API stand-in (real HTTP, requests validated
 * against @netlify/open-api). Waits are recorded instead of slept, so retry behaviour is asserted
 * exactly (what the client was told to wait, and that it waited that long) without slow tests.
 */
let netlify: NetlifyStandin
let dir: string
const TOKEN = 'nf-token-123456'

beforeEach(async () => {
  netlify = await startNetlifyStandin()
  netlify.state.addToken(TOKEN)
  netlify.state.timing.diffMs = 5
  netlify.state.timing.processMs = 5
  dir = await mkdtemp(path.join(tmpdir(), 'static-netlify-'))
})

afterEach(async () => {
  await netlify.close()
  await rm(dir, { recursive: true, force: true })
})

async function site(files: Record<string, string>): Promise<void> {
  for (const [name, content] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(dir, name)), { recursive: true })
    await writeFile(path.join(dir, name), content)
  }
}

interface Run {
  api: NetlifyApi
  log: MemoryLogger
  sleeps: number[]
}

function client(options: { token?: string; maxAttempts?: number } = {}): Run {
  const log = new MemoryLogger()
  const sleeps: number[] = []
  const api = new NetlifyApi({
    token: options.token ?? TOKEN,
    transport: fetchTransport,
    apiUrl: netlify.apiUrl,
    log,
    requestTimeoutMs: 5_000,
    retry: { maxAttempts: options.maxAttempts ?? 6, baseDelayMs: 200, maxDelayMs: 60_000 },
    // Recorded, and shortened so the test does not sleep through real rate-limit windows.
    sleep: async (ms) => {
      sleeps.push(ms)
      await new Promise((resolve) => setTimeout(resolve, Math.min(ms, 5)))
    },
    random: () => 0.5,
  })
  return { api, log, sleeps }
}

async function deploy(
  run: Run,
  target: DeployTarget = { kind: 'production' },
  ref: { id?: string; name?: string } = { name: 'blog' },
) {
  const digest = await digestDirectory(dir)
  const resolved = await resolveSite(run.api, ref, run.log)
  return deploySite(
    {
      api: run.api,
      log: run.log,
      site: ref,
      digest,
      target,
      title: 'test deploy',
      deadline: Date.now() + 60_000,
      pollIntervalMs: 20,
      sleep: async (ms) => new Promise((r) => setTimeout(r, Math.min(ms, 20))),
    },
    resolved.site,
    resolved.created,
  )
}

describe('digest deploys', () => {
  it('creates the site by name, uploads everything the first time, then nothing, then only the changed file', async () => {
    await site({
      'index.html': '<h1>Home</h1>',
      'about/index.html': '<h1>About</h1>',
      'static/site.css': 'body{}',
      '404.html': 'not found',
    })
    const first = await deploy(client())
    expect(first.siteCreated).toBe(true)
    expect(first.uploaded).toBe(4)
    expect(first.url).toBe('https://blog.netlify.app')
    expect(first.deployUrl).toBe(`https://${first.deploy.id}--blog.netlify.app`)
    const blog = netlify.state.siteByName('blog')!
    expect(blog.publishedDeployId).toBe(first.deploy.id)
    expect(netlify.get(blog, 'production', '/about/').body?.toString()).toBe('<h1>About</h1>')

    netlify.requests.length = 0
    const second = await deploy(client())
    expect(second.siteCreated).toBe(false)
    expect(second.uploaded).toBe(0)
    expect(second.unchanged).toBe(4)
    expect(netlify.calls('createSiteDeploy')).toHaveLength(1)
    expect(netlify.calls('uploadDeployFile')).toHaveLength(0)

    await writeFile(path.join(dir, 'about/index.html'), '<h1>About us</h1>')
    netlify.requests.length = 0
    const third = await deploy(client())
    expect(third.uploaded).toBe(1)
    expect(netlify.calls('uploadDeployFile').map((request) => request.path)).toEqual([
      `/deploys/${third.deploy.id}/files/about/index.html`,
    ])
    expect(netlify.get(blog, 'production', '/about/').body?.toString()).toBe('<h1>About us</h1>')
  })

  it('uploads a shared SHA1 to every path that has it, and uses the async diff above 100 files', async () => {
    const files: Record<string, string> = {}
    for (let i = 0; i < 120; i++) files[`posts/${i}/index.html`] = `<p>post ${i % 60}</p>`
    await site(files)
    const result = await deploy(client())
    expect(result.uploaded).toBe(120)
    expect((netlify.calls('createSiteDeploy')[0]?.body as { async: boolean }).async).toBe(true)
    expect(netlify.calls('getSiteDeploy').length).toBeGreaterThan(0)
    const blog = netlify.state.siteByName('blog')!
    expect(netlify.get(blog, 'production', '/posts/119/').body?.toString()).toBe('<p>post 59</p>')
  })

  it('keeps production untouched for an alias and for a draft, and reports their URLs', async () => {
    await site({ 'index.html': 'v1' })
    const production = await deploy(client())
    await writeFile(path.join(dir, 'index.html'), 'v2')
    const alias = await deploy(client(), { kind: 'alias', alias: 'pr-12' })
    await writeFile(path.join(dir, 'index.html'), 'v3')
    const draft = await deploy(client(), { kind: 'draft' })
    const blog = netlify.state.siteByName('blog')!

    expect(alias.url).toBe('https://pr-12--blog.netlify.app')
    expect(draft.url).toBe(draft.deployUrl)
    expect(blog.publishedDeployId).toBe(production.deploy.id)
    expect(netlify.get(blog, 'production', '/').body?.toString()).toBe('v1')
    expect(netlify.get(blog, 'pr-12', '/').body?.toString()).toBe('v2')
    expect(netlify.get(blog, draft.deploy.id, '/').body?.toString()).toBe('v3')
    const bodies = netlify.calls('createSiteDeploy').map((request) => request.body as { draft: boolean; branch?: string })
    expect(bodies.map(({ draft, branch }) => ({ draft, branch }))).toEqual([
      { draft: false, branch: undefined },
      { draft: false, branch: 'pr-12' },
      { draft: true, branch: undefined },
    ])
    expect(netlify.calls('createSiteDeploy').every((request) => request.query.title === 'test deploy')).toBe(true)
  })

  it('deploys _redirects and _headers as files, so Netlify applies them (forced rules win over files)', async () => {
    await site({
      'index.html': 'home',
      'old/index.html': 'stub',
      _redirects: '/old/ /new/ 301!\n/gone/ /index.html 301\n',
      _headers: '/*\n  X-Frame-Options: DENY\n',
      'new/index.html': 'new',
    })
    await deploy(client())
    const blog = netlify.state.siteByName('blog')!
    expect(netlify.get(blog, 'production', '/old/')).toMatchObject({ status: 301, location: '/new/' })
    expect(netlify.get(blog, 'production', '/gone/')).toMatchObject({ status: 301, location: '/index.html' })
    expect(netlify.get(blog, 'production', '/').headers).toContainEqual(['X-Frame-Options', 'DENY'])
  })
})

describe('clear errors', () => {
  it("names the token input and prints Netlify's message for a bad token", async () => {
    await site({ 'index.html': 'x' })
    const error = await deploy(client({ token: 'wrong-token' })).catch((e: unknown) => e)
    expect(error).toMatchObject({ input: 'netlify-auth-token', status: 401 })
    expect(String((error as Error).message)).toContain('Access Denied')
    expect(netlify.calls('listSites')).toHaveLength(1) // 401 is not retried
  })

  it('names the site-id input for an unknown site', async () => {
    await site({ 'index.html': 'x' })
    const error = await deploy(client(), { kind: 'production' }, { id: 'no-such-site' }).catch((e: unknown) => e)
    expect(error).toMatchObject({ input: 'netlify-site-id' })
    expect((error as Error).message).toContain("no site with the id 'no-such-site'")
  })

  it('refuses an empty output directory before calling Netlify to create a deploy', async () => {
    await site({ '.hidden': 'x' })
    const error = await deploy(client()).catch((e: unknown) => e)
    expect(error).toMatchObject({ input: 'output-dir' })
    expect(netlify.calls('createSiteDeploy')).toHaveLength(0)
  })

  it('refuses a symbolic link that leads outside the site', async () => {
    await site({ 'index.html': 'x' })
    const { symlink } = await import('node:fs/promises')
    await symlink('/etc/hostname', path.join(dir, 'leak.txt'))
    await expect(digestDirectory(dir)).rejects.toThrow(/leak.txt is a symbolic link to a place outside the site/)
  })
})

describe('retries and cancellation', () => {
  const forms: RateLimitForm[] = ['retry-after-seconds', 'retry-after-date', 'reset-epoch', 'reset-utc']
  for (const form of forms) {
    it(`waits as told by a 429 with ${form}`, async () => {
      await site({ 'index.html': 'x', 'a.css': 'a' })
      netlify.fault({ operation: 'uploadDeployFile', action: { kind: 'rate-limit', form, waitSeconds: 30 } })
      const run = client()
      const result = await deploy(run)
      expect(result.uploaded).toBe(2)
      const uploads = netlify.calls('uploadDeployFile')
      expect(uploads.filter((request) => request.status === 429)).toHaveLength(1)
      // Dates have whole-second resolution: 30 s ± 1 s, plus the jitter (up to 20 %; 10 % with random() = 0.5).
      const waits = run.sleeps.filter((ms) => ms > 20_000)
      expect(waits.length).toBeGreaterThanOrEqual(1)
      for (const wait of waits) {
        expect(wait).toBeGreaterThanOrEqual(29_000)
        expect(wait).toBeLessThanOrEqual(35_000)
      }
    })
  }

  it('retries 503 and 502 answers and dropped connections, then succeeds', async () => {
    await site({ 'index.html': 'x' })
    netlify.fault({ operation: 'createSiteDeploy', action: { kind: 'status', status: 502 } })
    netlify.fault({ operation: 'uploadDeployFile', action: { kind: 'drop' } })
    netlify.fault({ operation: 'getSiteDeploy', action: { kind: 'status', status: 503 } })
    const run = client()
    const result = await deploy(run)
    expect(result.deploy.state).toBe('ready')
    expect(netlify.calls('createSiteDeploy').map((request) => request.status)).toEqual([502, 200])
    expect(netlify.calls('uploadDeployFile').map((request) => request.status)).toEqual([-1, 200])
    expect(run.api.counts.retries).toBeGreaterThanOrEqual(2)
  })

  it('survives a slow answer within the per-request timeout', async () => {
    await site({ 'index.html': 'x' })
    netlify.fault({ operation: 'uploadDeployFile', action: { kind: 'delay', ms: 300 } })
    const result = await deploy(client())
    expect(result.uploaded).toBe(1)
  })

  it('does not retry a 422 and cancels the deploy so nothing goes live', async () => {
    await site({ 'index.html': 'x', 'b.html': 'b' })
    netlify.fault({ operation: 'uploadDeployFile', action: { kind: 'status', status: 422, message: 'Invalid file' } })
    const error = await deploy(client()).catch((e: unknown) => e)
    expect(error).toMatchObject({ status: 422 })
    expect((error as Error).message).toContain('Invalid file')
    expect(netlify.calls('uploadDeployFile').filter((request) => request.status === 422)).toHaveLength(1)
    expect(netlify.calls('cancelSiteDeploy')).toHaveLength(1)
    const deployed = [...netlify.state.deploys.values()][0]!
    expect(deployed.state).toBe('error')
    expect(netlify.state.siteByName('blog')!.publishedDeployId).toBeUndefined()
  })

  it('gives up after the last attempt on a persistent 503, and cancels', async () => {
    await site({ 'index.html': 'x' })
    netlify.fault({ operation: 'uploadDeployFile', action: { kind: 'status', status: 503 }, times: Infinity })
    const error = await deploy(client({ maxAttempts: 3 })).catch((e: unknown) => e)
    expect((error as Error).message).toMatch(/503 .*3 attempts/)
    expect(netlify.calls('uploadDeployFile')).toHaveLength(3)
    expect(netlify.calls('cancelSiteDeploy')).toHaveLength(1)
  })

  it('does not retry a 501 (or 505): the same request gets the same answer; says why', async () => {
    for (const status of [501, 505]) {
      await site({ 'index.html': `x${status}` })
      const before = netlify.calls('uploadDeployFile').length
      netlify.fault({ operation: 'uploadDeployFile', action: { kind: 'status', status }, times: 1 })
      const error = await deploy(client({ maxAttempts: 3 })).catch((e: unknown) => e)
      expect((error as Error).message).toMatch(new RegExp(`^Netlify answered ${status} `))
      expect((error as Error).message).not.toContain('attempts')
      expect((error as { hint?: string }).hint).toContain('not retried')
      expect((error as { hint?: string }).hint).not.toContain('busy')
      expect(netlify.calls('uploadDeployFile').length - before).toBe(1)
    }
  })

  it('retries a 502 and a 504 (honouring Retry-After), then succeeds', async () => {
    await site({ 'index.html': 'y' })
    netlify.fault({ operation: 'uploadDeployFile', action: { kind: 'status', status: 502 }, times: 1 })
    netlify.fault({
      operation: 'uploadDeployFile',
      action: { kind: 'status', status: 504, headers: { 'retry-after': '3' } },
      times: 1,
    })
    const run = client({ maxAttempts: 4 })
    await deploy(run)
    expect(netlify.calls('uploadDeployFile')).toHaveLength(3)
    expect(run.sleeps.some((ms) => ms >= 3000 && ms < 4000)).toBe(true)
  })

  it("fails with Netlify's error_message when processing fails, and nothing is published", async () => {
    await site({ 'index.html': 'x' })
    netlify.state.failProcessing = 'Post-processing failed: invalid _headers'
    const error = await deploy(client()).catch((e: unknown) => e)
    expect((error as Error).message).toContain('Post-processing failed: invalid _headers')
    expect(netlify.state.siteByName('blog')!.publishedDeployId).toBeUndefined()
  })
})
