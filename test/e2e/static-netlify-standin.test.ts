import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { rateLimitHeaders } from '../standins/netlify/faults.js'
import { parseRedirects, serve } from '../standins/netlify/rules.js'
import { startNetlifyStandin, type NetlifyStandin } from '../standins/netlify/server.js'
import { sha1 } from '../standins/netlify/state.js'

/**
 * The stand-in itself: it must refuse what Netlify refuses, or the client tests prove nothing.
 */
let netlify: NetlifyStandin
let siteId = ''
const TOKEN = 'standin-token'

beforeAll(async () => {
  netlify = await startNetlifyStandin()
  netlify.state.addToken(TOKEN)
  netlify.state.addToken('other-team-token', 'other-team')
  netlify.state.timing.diffMs = 5
  netlify.state.timing.processMs = 5
  siteId = netlify.state.addSite('docs').id
})

afterAll(async () => {
  await netlify.close()
})

async function call(
  method: string,
  path: string,
  options: { body?: unknown; raw?: Buffer; token?: string | null; contentType?: string } = {},
) {
  const headers: Record<string, string> = {}
  if (options.token !== null) headers.authorization = `Bearer ${options.token ?? TOKEN}`
  let body: string | Uint8Array | undefined
  if (options.raw) {
    headers['content-type'] = options.contentType ?? 'application/octet-stream'
    body = new Uint8Array(options.raw)
  } else if (options.body !== undefined) {
    headers['content-type'] = options.contentType ?? 'application/json'
    body = typeof options.body === 'string' ? options.body : JSON.stringify(options.body)
  }
  const response = await fetch(`${netlify.apiUrl}${path}`, { method, headers, body })
  const text = await response.text()
  return { status: response.status, json: text ? (JSON.parse(text) as Record<string, unknown>) : {} }
}

async function waitFor(deployId: string, state: string) {
  for (let i = 0; i < 200; i++) {
    const { json } = await call('GET', `/sites/${siteId}/deploys/${deployId}`)
    if (json.state === state) return json
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
  throw new Error(`deploy ${deployId} never reached ${state}`)
}

describe('authentication and lookup', () => {
  it('answers 401 without a token or with an unknown one', async () => {
    expect((await call('GET', `/sites/${siteId}`, { token: null })).status).toBe(401)
    expect(await call('GET', `/sites/${siteId}`, { token: 'nope' })).toMatchObject({ status: 401, json: { code: 401 } })
  })

  it('answers 404 for unknown sites, sites of another team, unknown deploys and unknown paths', async () => {
    expect((await call('GET', '/sites/not-a-site')).status).toBe(404)
    expect((await call('GET', `/sites/${siteId}`, { token: 'other-team-token' })).status).toBe(404)
    expect((await call('GET', '/deploys/0000')).status).toBe(404)
    expect((await call('GET', '/no/such/endpoint/at/all')).status).toBe(404)
  })

  it('finds a site by id or by its netlify.app domain', async () => {
    expect((await call('GET', `/sites/${siteId}`)).json.name).toBe('docs')
    expect((await call('GET', '/sites/docs.netlify.app')).json.id).toBe(siteId)
  })
})

describe('validation against @netlify/open-api', () => {
  it('rejects a body whose fields have the wrong types', async () => {
    const response = await call('POST', `/sites/${siteId}/deploys`, {
      body: { files: { 'index.html': sha1('x') }, draft: 'yes' },
    })
    expect(response.status).toBe(422)
    expect(String(response.json.message)).toMatch(/draft must be boolean/)
  })

  it('rejects malformed JSON, wrong query types and a missing body', async () => {
    expect((await call('POST', `/sites/${siteId}/deploys`, { body: '{"files": ' })).status).toBe(400)
    expect((await call('GET', '/sites?page=two')).status).toBe(422)
    expect((await call('GET', `/sites/${siteId}/deploys?state=finished`)).status).toBe(422)
    expect((await call('PUT', `/sites/${siteId}/deploys/abc`)).status).toBe(422)
  })

  it('rejects file lists Netlify cannot take: bad SHA1s, escaping paths, an empty list', async () => {
    expect((await call('POST', `/sites/${siteId}/deploys`, { body: { files: { 'index.html': 'abc' } } })).status).toBe(422)
    expect((await call('POST', `/sites/${siteId}/deploys`, { body: { files: { '../etc/passwd': sha1('x') } } })).status).toBe(422)
    expect((await call('POST', `/sites/${siteId}/deploys`, { body: { files: {} } })).status).toBe(422)
  })

  it('refuses a site name that is taken or not a host name label', async () => {
    expect((await call('POST', '/sites', { body: { name: 'docs' } })).json).toMatchObject({
      code: 422,
      errors: { subdomain: ['must be unique'] },
    })
    expect((await call('POST', '/sites', { body: { name: 'Not_Valid' } })).status).toBe(422)
  })
})

describe('the digest deploy flow', () => {
  it('computes required from what the site lacks, and checks every upload', async () => {
    const index = Buffer.from('<h1>docs</h1>')
    const css = Buffer.from('body{}')
    const created = await call('POST', `/sites/${siteId}/deploys?title=first`, {
      body: { files: { '/index.html': sha1(index), 'css/a.css': sha1(css), 'css/b.css': sha1(css) } },
    })
    expect(created.json).toMatchObject({ state: 'uploading', title: 'first', draft: false })
    expect((created.json.required as string[]).sort()).toEqual([sha1(index), sha1(css)].sort())
    const id = String(created.json.id)

    expect((await call('PUT', `/deploys/${id}/files/other.html`, { raw: index })).status).toBe(422) // not in the deploy
    expect((await call('PUT', `/deploys/${id}/files/index.html`, { raw: Buffer.from('tampered') })).json.message).toMatch(
      /SHA1 of index.html/,
    )
    expect((await call('PUT', `/deploys/${id}/files/index.html?size=3`, { raw: index })).status).toBe(422)
    expect((await call('PUT', `/deploys/${id}/files/index.html`, { raw: index })).status).toBe(200)
    expect((await call('PUT', `/deploys/${id}/files/css/a.css`, { raw: css })).status).toBe(200)
    expect((await call('GET', `/deploys/${id}`)).json.state).toBe('uploading') // css/b.css shares the SHA but is still due
    expect((await call('PUT', `/deploys/${id}/files/css%2Fb.css`, { raw: css })).status).toBe(200)
    await waitFor(id, 'ready')
    expect((await call('PUT', `/deploys/${id}/files/index.html`, { raw: index })).status).toBe(422) // ready: no more uploads
    expect((await call('GET', `/sites/${siteId}`)).json).toMatchObject({ published_deploy: { id } })

    // Everything is known now: nothing required, straight to ready.
    const again = await call('POST', `/sites/${siteId}/deploys`, {
      body: { files: { 'index.html': sha1(index), 'css/a.css': sha1(css) }, branch: 'pr-3' },
    })
    expect(again.json.required).toEqual([])
    const ready = await waitFor(String(again.json.id), 'ready')
    expect(ready).toMatchObject({ branch: 'pr-3', links: { alias: 'https://pr-3--docs.netlify.app' } })
    expect((await call('GET', `/sites/${siteId}`)).json).toMatchObject({ published_deploy: { id } }) // alias deploys do not publish
  })

  it('runs the async diff, refuses files twice, refuses uploads not required, and cancels', async () => {
    const known = Buffer.from('<h1>docs</h1>')
    const fresh = Buffer.from('fresh')
    const empty = await call('POST', `/sites/${siteId}/deploys`, { body: { draft: true } })
    expect(empty.json.state).toBe('new')
    const id = String(empty.json.id)
    netlify.state.timing.diffMs = 300 // long enough to try an upload before the diff is done
    const updated = await call('PUT', `/sites/${siteId}/deploys/${id}`, {
      body: { files: { 'index.html': sha1(known), 'new.txt': sha1(fresh) }, async: true },
    })
    expect(updated.json.state).toBe('preparing')
    expect(updated.json.required).toBeUndefined()
    expect((await call('PUT', `/deploys/${id}/files/new.txt`, { raw: fresh })).status).toBe(422) // diff not done yet
    netlify.state.timing.diffMs = 5
    const prepared = await waitFor(id, 'prepared')
    expect(prepared.required).toEqual([sha1(fresh)])
    expect((await call('PUT', `/sites/${siteId}/deploys/${id}`, { body: { files: { 'x.txt': sha1('x') } } })).status).toBe(422)
    expect((await call('PUT', `/deploys/${id}/files/index.html`, { raw: known })).json.message).toMatch(/not required/)
    expect((await call('POST', `/deploys/${id}/cancel`)).status).toBe(201)
    expect((await call('GET', `/deploys/${id}`)).json).toMatchObject({ state: 'error', error_message: 'Canceled' })
    expect((await call('PUT', `/deploys/${id}/files/new.txt`, { raw: fresh })).status).toBe(422)
    expect((await call('POST', `/deploys/${id}/cancel`)).status).toBe(422)
  })
})

describe('listing and deleting deploys', () => {
  let listSite = ''
  /** A ready deploy of `listSite` serving `text` at /, with `extra` (branch, draft) in the create body. */
  async function readyDeploy(text: string, extra: Record<string, unknown> = {}): Promise<string> {
    const content = Buffer.from(text)
    const created = await call('POST', `/sites/${listSite}/deploys`, {
      body: { files: { 'index.html': sha1(content) }, ...extra },
    })
    const id = String(created.json.id)
    if ((created.json.required as string[]).length)
      expect((await call('PUT', `/deploys/${id}/files/index.html`, { raw: content })).status).toBe(200)
    for (let i = 0; i < 200 && (await call('GET', `/deploys/${id}`)).json.state !== 'ready'; i++)
      await new Promise((resolve) => setTimeout(resolve, 5))
    return id
  }

  beforeAll(() => {
    listSite = netlify.state.addSite('lists').id
  })

  it('pages the list newest first with page/per_page (at most 100 a page), filters by branch, and refuses bad paging', async () => {
    const ids: string[] = []
    for (let i = 0; i < 5; i++) ids.push(await readyDeploy(`v${i}`, i % 2 ? { branch: 'pr-5' } : {}))
    const newestFirst = [...ids].reverse()
    expect((await call('GET', `/sites/${listSite}/deploys?per_page=2&page=1`)).json).toEqual(
      newestFirst.slice(0, 2).map((id) => expect.objectContaining({ id })),
    )
    expect((await call('GET', `/sites/${listSite}/deploys?per_page=2&page=3`)).json).toEqual([
      expect.objectContaining({ id: newestFirst[4] }),
    ])
    expect((await call('GET', `/sites/${listSite}/deploys?per_page=2&page=4`)).json).toEqual([])
    expect((await call('GET', `/sites/${listSite}/deploys?per_page=500`)).json).toHaveLength(5)
    const aliasDeploys = (await call('GET', `/sites/${listSite}/deploys?branch=pr-5`)).json as unknown as Array<
      Record<string, unknown>
    >
    expect(aliasDeploys.map((deploy) => deploy.id)).toEqual([ids[3], ids[1]])
    expect(aliasDeploys[0]).toMatchObject({ branch: 'pr-5', context: 'branch-deploy', state: 'ready' })

    expect((await call('GET', `/sites/${listSite}/deploys?page=0`)).status).toBe(422)
    expect((await call('GET', `/sites/${listSite}/deploys?per_page=0`)).status).toBe(422)
    expect((await call('GET', `/sites/${listSite}/deploys?page=two`)).status).toBe(422)
    expect((await call('GET', `/sites/${listSite}/deploys?deploy-previews=yes`)).status).toBe(422) // a boolean in the definition
    expect((await call('GET', `/sites/${listSite}/deploys?deploy-previews=true`)).status).toBe(501) // defined, not modelled
    expect((await call('GET', '/sites/not-a-site/deploys')).status).toBe(404)
    expect((await call('GET', `/sites/${listSite}/deploys`, { token: 'other-team-token' })).status).toBe(404)
  })

  it('deletes a deploy (204), then 404; an alias falls back to its previous deploy, then stops serving; the published deploy stays', async () => {
    const site = netlify.state.sites.get(listSite)!
    const production = await readyDeploy('production')
    const older = await readyDeploy('preview one', { branch: 'pr-9' })
    const newer = await readyDeploy('preview two', { branch: 'pr-9' })
    expect(netlify.get(site, 'pr-9', '/').body?.toString()).toBe('preview two')

    expect((await call('DELETE', `/sites/${listSite}/deploys/${production}`)).json).toMatchObject({
      code: 422,
      message: expect.stringMatching(/published deploy/),
    })
    expect((await call('DELETE', `/deploys/${production}`)).status).toBe(422)
    expect((await call('DELETE', `/sites/${siteId}/deploys/${newer}`)).status).toBe(404) // another site's path
    expect((await call('DELETE', `/sites/${listSite}/deploys/${newer}`, { token: 'other-team-token' })).status).toBe(404)
    expect((await call('DELETE', `/sites/${listSite}/deploys/${newer}`, { token: null })).status).toBe(401)

    const deleted = await fetch(`${netlify.apiUrl}/sites/${listSite}/deploys/${newer}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${TOKEN}` },
    })
    expect(deleted.status).toBe(204)
    expect(await deleted.text()).toBe('')
    expect((await call('GET', `/deploys/${newer}`)).status).toBe(404)
    expect((await call('DELETE', `/sites/${listSite}/deploys/${newer}`)).status).toBe(404)
    expect(netlify.get(site, 'pr-9', '/').body?.toString()).toBe('preview one')

    expect((await call('DELETE', `/deploys/${older}`)).status).toBe(204)
    expect(netlify.get(site, 'pr-9', '/').status).toBe(404)
    expect((await call('GET', `/sites/${listSite}/deploys?branch=pr-9`)).json).toEqual([])
    expect(netlify.get(site, 'production', '/').body?.toString()).toBe('production')
    expect((await call('GET', `/sites/${listSite}`)).json).toMatchObject({ published_deploy: { id: production } })
  })

  it('never publishes a deploy deleted while it was processing', async () => {
    const site = netlify.state.sites.get(listSite)!
    netlify.state.timing.processMs = 100
    try {
      const content = Buffer.from('known')
      await readyDeploy('known', { draft: true }) // now the site has the file: the next deploy goes straight to processing
      const created = await call('POST', `/sites/${listSite}/deploys`, {
        body: { files: { 'index.html': sha1(content) }, branch: 'pr-10' },
      })
      expect(created.json.state).toBe('processing')
      expect((await call('DELETE', `/sites/${listSite}/deploys/${String(created.json.id)}`)).status).toBe(204)
      await new Promise((resolve) => setTimeout(resolve, 150))
      expect(site.aliases.has('pr-10')).toBe(false)
    } finally {
      netlify.state.timing.processMs = 5
    }
  })
})

describe('fault injection', () => {
  it('sends each rate-limit form', () => {
    const now = Date.parse('2026-10-21T07:27:58Z')
    expect(rateLimitHeaders('retry-after-seconds', 2, now)['retry-after']).toBe('2')
    expect(rateLimitHeaders('retry-after-date', 2, now)['retry-after']).toBe('Wed, 21 Oct 2026 07:28:00 GMT')
    expect(rateLimitHeaders('reset-epoch', 2, now)['x-ratelimit-reset']).toBe(String(Date.parse('2026-10-21T07:28:00Z') / 1000))
    expect(rateLimitHeaders('reset-utc', 2, now)['x-ratelimit-reset']).toBe('2026-10-21 07:28:00 UTC')
  })

  it('answers injected statuses only for the matching operation and the given number of times', async () => {
    netlify.fault({ operation: 'getSite', action: { kind: 'rate-limit', form: 'retry-after-seconds', waitSeconds: 3 }, times: 2 })
    expect((await call('GET', '/sites')).status).toBe(200)
    const limited = await fetch(`${netlify.apiUrl}/sites/${siteId}`, { headers: { authorization: `Bearer ${TOKEN}` } })
    expect(limited.status).toBe(429)
    expect(limited.headers.get('retry-after')).toBe('3')
    expect((await call('GET', `/sites/${siteId}`)).status).toBe(429)
    expect((await call('GET', `/sites/${siteId}`)).status).toBe(200)
  })

  it('drops the connection', async () => {
    netlify.fault({ operation: 'getSite', action: { kind: 'drop' } })
    await expect(call('GET', `/sites/${siteId}`)).rejects.toThrow(/fetch failed/)
  })
})

describe('_redirects on the CDN', () => {
  it('ignores an unforced rule where a file exists and applies a forced one', () => {
    const files = new Set(['old/index.html', 'new/index.html', '404.html'])
    const rules = parseRedirects('# moved\n/old/ /new/ 301\n/forced/ /new/ 302!\n/api/* /.netlify/functions/:splat 200\n')
    expect(serve('/old/', files, rules)).toMatchObject({ status: 200, file: 'old/index.html' })
    const forcedFiles = new Set([...files, 'forced/index.html'])
    expect(serve('/forced/', forcedFiles, rules)).toMatchObject({ status: 302, location: '/new/' })
    expect(serve('/missing', files, rules)).toMatchObject({ status: 404, file: '404.html' })
  })
})

/**
 * The real client against the stand-in. netlify-cli is not a dependency of this repository (it is
 * large and would only serve this check); install it outside and point NETLIFY_CLI at it:
 *   npm install --prefix /tmp/netlify-cli netlify-cli && NETLIFY_CLI=/tmp/netlify-cli/node_modules/.bin/netlify npx vitest run test/e2e/static-netlify-standin.test.ts
 * The benchmark (test/bench/static.bench.ts) runs the same deploy.
 */
const NETLIFY_CLI = process.env.NETLIFY_CLI
describe.skipIf(!NETLIFY_CLI)('netlify-cli against the stand-in', () => {
  it('deploys a directory to production with `netlify deploy --prod`', async () => {
    const { mkdtemp, mkdir: makeDir, writeFile: write } = await import('node:fs/promises')
    const { tmpdir } = await import('node:os')
    const path = await import('node:path')
    const { spawn } = await import('node:child_process')
    const dir = await mkdtemp(path.join(tmpdir(), 'cli-site-'))
    await makeDir(path.join(dir, 'site/css'), { recursive: true })
    await write(path.join(dir, 'site/index.html'), '<h1>from the cli</h1>')
    await write(path.join(dir, 'site/css/a.css'), 'body{}')
    await write(path.join(dir, 'site/_redirects'), '/old /  301\n')
    netlify.state.addSite('cli-site')
    const guard = path.resolve(import.meta.dirname, '../bench/static-offline-guard.mjs')
    const code = await new Promise<number | null>((resolve) => {
      const child = spawn(
        NETLIFY_CLI as string,
        ['deploy', '--dir', 'site', '--site', 'cli-site', '--auth', TOKEN, '--no-build', '--prod', '--json'],
        {
          cwd: dir,
          env: {
            ...process.env,
            HOME: dir,
            NETLIFY_API_URL: netlify.url,
            NETLIFY_TEST_TRACK_URL: `${netlify.url}/telemetry/track`,
            NETLIFY_TEST_IDENTIFY_URL: `${netlify.url}/telemetry/identify`,
            NETLIFY_TEST_ERROR_REPORT_URL: `${netlify.url}/report-error`,
            NODE_OPTIONS: `--import ${guard}`,
          },
          stdio: 'ignore',
        },
      )
      child.on('close', resolve)
    })
    expect(code).toBe(0)
    const site = netlify.state.siteByName('cli-site')!
    expect(site.publishedDeployId).toBeDefined()
    expect(netlify.get(site, 'production', '/').body?.toString()).toBe('<h1>from the cli</h1>')
    expect(netlify.state.deploys.get(site.publishedDeployId!)?.uploads).toEqual(
      expect.arrayContaining(['index.html', 'css/a.css']),
    )
  }, 120_000)
})
