import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { zipSync } from 'fflate'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { MemoryLogger } from '@django-deploy/shared/runtime'
import { NetlifyApi } from '../../action-static/src/netlify/api.js'
import { deploySite, resolveSite } from '../../action-static/src/netlify/deploy.js'
import { digestDirectory } from '../../action-static/src/netlify/digest.js'
import { fetchTransport, type HttpTransport } from '../../action-static/src/netlify/http.js'
import { ZIP_UPLOAD_THRESHOLD } from '../../action-static/src/netlify/upload-mode.js'
import { startNetlifyStandin, type NetlifyStandin } from '../standins/netlify/server.js'
import { makeTempDir, run } from '../support/index.js'
import { harness } from './static-support.js'

/**
 * Zip deploys for big uploads: action-static's whole run (mode deploy) against the Netlify
 * stand-in. A production deploy that needs more than ZIP_UPLOAD_THRESHOLD files goes up as one
 * zip; everything else stays a digest deploy (an unchanged redeploy is one create and no
 * upload); the stand-in refuses what is not a valid site zip with 422, as Netlify does.
 */
const TOKEN = 'nf-secret-token-zip-1234'
let netlify: NetlifyStandin
let dir: string

beforeEach(async () => {
  netlify = await startNetlifyStandin()
  netlify.state.addToken(TOKEN)
  netlify.state.timing.diffMs = 5
  netlify.state.timing.processMs = 5
  netlify.state.addSite('blog')
  dir = await makeTempDir('static-zip-')
})

afterEach(async () => {
  await netlify.close()
})

const BIG = ZIP_UPLOAD_THRESHOLD + 50

async function builtSite(pages: number, version = 'v1'): Promise<void> {
  await rm(path.join(dir, '_site'), { recursive: true, force: true })
  const write = async (file: string, content: string): Promise<void> => {
    await mkdir(path.dirname(path.join(dir, '_site', file)), { recursive: true })
    await writeFile(path.join(dir, '_site', file), content)
  }
  const links = Array.from({ length: pages - 1 }, (_, i) => `<a href="/p/${i}/">${i}</a>`).join('')
  await write('index.html', `<h1>home ${version}</h1>${links}`)
  for (let i = 0; i < pages - 1; i++) await write(`p/${i}/index.html`, `<h1>page ${i} ${version}</h1><a href="/">home</a>`)
  await write('_redirects', '/old/  /p/0/  301\n')
}

function production(
  options: { transport?: HttpTransport; sleep?: (ms: number) => Promise<void>; alias?: string; dryRun?: boolean } = {},
) {
  return harness({
    workspace: dir,
    inputs: {
      provider: 'netlify',
      'netlify-auth-token': TOKEN,
      'netlify-site-name': 'blog',
      mode: 'deploy',
      ...(options.alias ? { production: 'false', alias: options.alias } : { production: 'true' }),
      ...(options.dryRun ? { 'dry-run': 'true' } : {}),
    },
    netlifyApiUrl: netlify.apiUrl,
    transport: options.transport,
    sleep: options.sleep,
  })
}

/** The value of a row of the printed plan (`  Label   value`). */
function planRow(text: string, label: string): string | undefined {
  return text
    .split('\n')
    .map((line) => new RegExp(`^\\s+${label}\\s{2,}(.*)$`).exec(line)?.[1])
    .find((value) => value !== undefined)
}

function zipRequests() {
  return netlify.calls('createSiteDeploy').filter((request) => request.contentType === 'application/zip')
}

describe('zip deploys', () => {
  it('sends a big production deploy as one zip: the site is served as built, _redirects applied', async () => {
    await builtSite(BIG)
    const h = production()
    await h.run()
    // The digest first (it might have needed nothing), cancelled, then one zip.
    expect(netlify.calls('createSiteDeploy')).toHaveLength(2)
    expect(zipRequests()).toHaveLength(1)
    expect(netlify.calls('cancelSiteDeploy')).toHaveLength(1)
    expect(netlify.calls('uploadDeployFile')).toHaveLength(0)
    const blog = netlify.state.siteByName('blog')!
    const published = netlify.state.deploys.get(blog.publishedDeployId!)!
    expect(published.fromZip).toBe(true)
    expect(published.files.size).toBe(BIG + 1)
    expect(h.outputs.get('deploy-id')).toBe(published.id)
    expect(netlify.get(blog, 'production', '/').body?.toString()).toContain('<h1>home v1</h1>')
    expect(netlify.get(blog, 'production', '/p/17/').body?.toString()).toBe('<h1>page 17 v1</h1><a href="/">home</a>')
    expect(netlify.get(blog, 'production', '/old/')).toMatchObject({ status: 301 })
    // The cancelled digest deploy never served anything.
    const digestDeploy = netlify.state.deploysOf(blog).find((deploy) => !deploy.fromZip)!
    expect(digestDeploy).toMatchObject({ state: 'error', errorMessage: 'Canceled' })
    expect(h.outputs.get('files-uploaded')).toBe(String(BIG + 1))
    const summary = h.summary.join('')
    expect(summary).toContain('Upload mode')
    expect(summary).toContain(`zip (${BIG + 1} files to upload, more than ${ZIP_UPLOAD_THRESHOLD})`)
    expect(h.log.text()).toContain('uploading the site as one zip')
  })

  it('keeps a small production deploy on the digest', async () => {
    await builtSite(20)
    const h = production()
    await h.run()
    expect(netlify.calls('createSiteDeploy')).toHaveLength(1)
    expect(zipRequests()).toHaveLength(0)
    expect(netlify.calls('uploadDeployFile')).toHaveLength(21)
    expect(h.summary.join('')).toContain(`digest (21 files to upload, at most ${ZIP_UPLOAD_THRESHOLD})`)
  })

  it('redeploys an unchanged big site with one create request and no upload; a small change goes by digest', async () => {
    await builtSite(BIG)
    await production().run()
    const before = netlify.requests.length
    const again = production()
    await again.run()
    const second = netlify.requests.slice(before)
    expect(second.filter((request) => request.operation === 'createSiteDeploy')).toHaveLength(1)
    expect(second.filter((request) => request.operation === 'uploadDeployFile')).toHaveLength(0)
    expect(second.filter((request) => request.operation === 'cancelSiteDeploy')).toHaveLength(0)
    expect(again.outputs.get('files-uploaded')).toBe('0')
    expect(again.summary.join('')).toContain('digest (0 files to upload')

    // One page changed: the digest uploads only it (no zip of everything for one file).
    await writeFile(path.join(dir, '_site', 'p', '3', 'index.html'), '<h1>page 3 v2</h1><a href="/">home</a>')
    const changed = production()
    await changed.run()
    expect(changed.outputs.get('files-uploaded')).toBe('1')
    const blog = netlify.state.siteByName('blog')!
    expect(netlify.get(blog, 'production', '/p/3/').body?.toString()).toContain('page 3 v2')
  })

  it('keeps a preview on the digest however many files it needs', async () => {
    await builtSite(BIG)
    const h = production({ alias: 'staging' })
    await h.run()
    expect(zipRequests()).toHaveLength(0)
    expect(netlify.calls('cancelSiteDeploy')).toHaveLength(0)
    expect(netlify.calls('uploadDeployFile')).toHaveLength(BIG + 1)
    const blog = netlify.state.siteByName('blog')!
    expect(blog.publishedDeployId).toBeUndefined()
    expect(netlify.get(blog, 'staging', '/p/9/').body?.toString()).toContain('page 9 v1')
    expect(h.summary.join('')).toContain('previews always upload by digest')
  })

  it("honours the rate limit's 429s on the way (the zip request is one request of the budget)", async () => {
    await builtSite(BIG)
    // A small budget so this run meets it: every 429 must be waited out, not failed on.
    netlify.rateLimit = { limit: 4, windowMs: 1500 }
    const sleeps: number[] = []
    const h = production({
      sleep: async (ms) => {
        sleeps.push(ms)
        await new Promise((resolve) => setTimeout(resolve, ms))
      },
    })
    await h.run()
    const limited = netlify.requests.filter((request) => request.status === 429)
    expect(limited.length).toBeGreaterThan(0)
    expect(sleeps.length).toBeGreaterThanOrEqual(limited.length)
    expect(zipRequests().filter((request) => request.status === 200)).toHaveLength(1)
    const blog = netlify.state.siteByName('blog')!
    expect(netlify.state.deploys.get(blog.publishedDeployId!)?.fromZip).toBe(true)
    expect(netlify.get(blog, 'production', '/p/1/').body?.toString()).toContain('page 1 v1')
  })

  it('says clearly when Netlify refuses the zip, and that production still serves the previous deploy', async () => {
    await builtSite(5, 'old')
    await production().run()
    const blog = netlify.state.siteByName('blog')!
    const previous = blog.publishedDeployId!

    // The zip is damaged on its way (cut in half): the stand-in checks it as Netlify does.
    const damaging: HttpTransport = {
      send: async (request) => {
        if (!request.bodyFile) return fetchTransport.send(request)
        const bytes = await readFile(request.bodyFile.path)
        const damaged = `${request.bodyFile.path}.damaged`
        await writeFile(damaged, bytes.subarray(0, Math.floor(bytes.length / 2)))
        return fetchTransport.send({ ...request, bodyFile: { path: damaged, size: Math.floor(bytes.length / 2) } })
      },
    }
    await builtSite(BIG, 'new')
    const h = production({ transport: damaging })
    await expect(h.run()).rejects.toThrow(
      new RegExp(
        `Netlify answered 422 \\(The request body is not a valid zip archive.*\\) when asked to create the deploy from the zip of the site\\..*production still serves the previous deploy ${previous}`,
      ),
    )
    expect(zipRequests().at(-1)?.status).toBe(422)
    expect(zipRequests()).toHaveLength(1) // a 422 is not retried
    expect(blog.publishedDeployId).toBe(previous)
    expect(netlify.get(blog, 'production', '/').body?.toString()).toContain('home old')
    expect(h.summary.join('')).toContain('production still serves the previous deploy')
  })
})

describe('a zip that cannot be written', () => {
  it('fails clearly, cancels the digest deploy and leaves production as it was', async () => {
    await builtSite(5, 'old')
    await production().run()
    const blog = netlify.state.siteByName('blog')!
    const previous = blog.publishedDeployId!
    await builtSite(BIG, 'new')
    const log = new MemoryLogger()
    const api = new NetlifyApi({ token: TOKEN, transport: fetchTransport, apiUrl: netlify.apiUrl, log })
    const site = await resolveSite(api, { name: 'blog' }, log)
    await expect(
      deploySite(
        {
          api,
          log,
          site: { name: 'blog' },
          digest: await digestDirectory(path.join(dir, '_site')),
          target: { kind: 'production' },
          deadline: Date.now() + 60_000,
          tempDir: path.join(dir, 'no-such-temp-dir'),
        },
        site.site,
        site.created,
      ),
    ).rejects.toMatchObject({
      name: 'ActionError',
      message: expect.stringMatching(
        new RegExp(`^Could not send the zip of the site: ENOENT.*production still serves the previous deploy ${previous}\\.$`),
      ),
      hint: expect.stringContaining('RUNNER_TEMP'),
    })
    expect(zipRequests()).toHaveLength(0)
    expect(netlify.state.deploysOf(blog)[0]).toMatchObject({ state: 'error', errorMessage: 'Canceled' })
    expect(blog.publishedDeployId).toBe(previous)
  })
})

describe('the bundle', () => {
  it('node action-static/dist/index.js sends a big production deploy as one zip (fflate works under ncc)', async () => {
    await builtSite(BIG)
    const outputFile = path.join(dir, 'github_output')
    const summaryFile = path.join(dir, 'step_summary')
    await writeFile(outputFile, '')
    await writeFile(summaryFile, '')
    const env: NodeJS.ProcessEnv = {
      PATH: `/usr/bin:/bin:${process.env.PATH ?? ''}`,
      HOME: process.env.HOME,
      GITHUB_ACTIONS: 'true',
      GITHUB_WORKSPACE: dir,
      GITHUB_OUTPUT: outputFile,
      GITHUB_STEP_SUMMARY: summaryFile,
      RUNNER_TEMP: dir,
      NETLIFY_API_URL: netlify.url,
      INPUT_PROVIDER: 'netlify',
      'INPUT_NETLIFY-AUTH-TOKEN': TOKEN,
      'INPUT_NETLIFY-SITE-NAME': 'blog',
      INPUT_PRODUCTION: 'true',
      INPUT_MODE: 'deploy',
      'INPUT_OUTPUT-DIR': '_site',
      INPUT_TIMEOUT: '5',
    }
    const bundle = path.resolve(import.meta.dirname, '../../action-static/dist/index.js')
    const result = await run(process.execPath, [bundle], { env, cwd: dir })
    const stdout = result.stdout + result.stderr
    expect(result.exitCode, stdout).toBe(0)
    expect(zipRequests().map((request) => request.status)).toEqual([200])
    expect(netlify.calls('uploadDeployFile')).toHaveLength(0)
    const blog = netlify.state.siteByName('blog')!
    expect(netlify.state.deploys.get(blog.publishedDeployId!)?.fromZip).toBe(true)
    expect(netlify.get(blog, 'production', '/p/42/').body?.toString()).toContain('page 42 v1')
    expect(await readFile(summaryFile, 'utf8')).toContain(`zip (${BIG + 1} files to upload, more than ${ZIP_UPLOAD_THRESHOLD})`)
    // The temporary zip is gone.
    expect((await readdir(dir)).filter((name) => name.startsWith('netlify-zip-'))).toEqual([])
  })
})

describe('the plan (dry run)', () => {
  it('shows the upload mode it can know before Netlify compares the files, and sends nothing', async () => {
    await builtSite(BIG)
    const big = production({ dryRun: true })
    await big.run()
    expect(planRow(big.log.text(), 'Upload mode')).toBe(
      `zip if Netlify needs more than ${ZIP_UPLOAD_THRESHOLD} of the ${BIG + 1} files, else digest`,
    )
    expect(big.log.text()).toContain('Content-Type: application/zip')
    expect(big.summary.join('')).toContain('Upload mode')

    const preview = production({ dryRun: true, alias: 'staging' })
    await preview.run()
    expect(planRow(preview.log.text(), 'Upload mode')).toBe(`digest (previews always upload by digest; ${BIG + 1} files)`)
    expect(preview.log.text()).not.toContain('application/zip')

    await builtSite(20)
    const small = production({ dryRun: true })
    await small.run()
    expect(planRow(small.log.text(), 'Upload mode')).toBe(`digest (21 files, so at most ${ZIP_UPLOAD_THRESHOLD} to upload)`)
    expect(netlify.requests).toHaveLength(0)
  })
})

describe('the stand-in refuses what Netlify refuses in a zip body', () => {
  const siteId = () => netlify.state.siteByName('blog')!.id
  const post = (body: Uint8Array) =>
    fetch(`${netlify.apiUrl}/sites/${siteId()}/deploys`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/zip' },
      body,
    })

  it.each([
    ['not a zip', new TextEncoder().encode('this is not a zip archive'), /not a valid zip archive/],
    ['an empty body', new Uint8Array(0), /not a valid zip archive/],
    ['an absolute path', zipSync({ '/etc/passwd': new TextEncoder().encode('root') }), /absolute path/],
    ['a drive letter', zipSync({ 'C:/x.html': new TextEncoder().encode('x') }), /absolute path/],
    ['a .. component', zipSync({ 'blog/../../escape.html': new TextEncoder().encode('x') }), /'\.\.' component/],
    ['no file (directories only)', zipSync({ 'empty/': new Uint8Array(0) }), /at least one file/],
  ])('422 for %s, and no deploy is created', async (_, body, message) => {
    const response = await post(body)
    expect(response.status).toBe(422)
    const answer = (await response.json()) as { code: number; message: string }
    expect(answer.code).toBe(422)
    expect(answer.message).toMatch(message)
    expect(netlify.state.deploys.size).toBe(0)
    // Counted against the rate limit like any request.
    expect(response.headers.get('x-ratelimit-remaining')).toBe('499')
  })

  it('accepts a valid zip as one request: uploaded, then processing, then ready and published', async () => {
    const response = await post(
      zipSync({ 'index.html': new TextEncoder().encode('<h1>hi</h1>'), 'a/b.css': new TextEncoder().encode('b{}') }),
    )
    expect(response.status).toBe(200)
    const deploy = (await response.json()) as { id: string; state: string }
    expect(deploy.state).toBe('uploaded')
    const blog = netlify.state.siteByName('blog')!
    for (let i = 0; i < 100 && netlify.state.deploys.get(deploy.id)?.state !== 'ready'; i++)
      await new Promise((resolve) => setTimeout(resolve, 10))
    expect(netlify.state.deploys.get(deploy.id)?.state).toBe('ready')
    expect(blog.publishedDeployId).toBe(deploy.id)
    expect(netlify.get(blog, 'production', '/a/b.css').body?.toString()).toBe('b{}')
  })

  it('refuses application/zip on an operation whose definition does not take it', async () => {
    const response = await fetch(`${netlify.apiUrl}/sites`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/zip' },
      body: zipSync({ 'index.html': new Uint8Array(1) }),
    })
    expect(response.status).toBe(415)
  })
})
