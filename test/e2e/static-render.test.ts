import { mkdtemp, readFile, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { describe, expect, it, onTestFinished, vi } from 'vitest'
import { listFiles } from '../../action-static/src/generate/checks.js'
import { startRenderPool } from '../../action-static/src/generate/render.js'
import { copyFixture, PYTHON } from '../support/index.js'
import { connectionCountingProject, harness } from './static-support.js'

/**
 * The in-process renderer (generator auto) against the HTTP crawl (generator: crawl) on the same
 * project: the same files, byte for byte. And the renderer's own limits, on a plain WSGI app: a
 * hung view is cut off and its worker replaced, a crashing worker is replaced, and both pages are
 * reported while the rest render.
 */
async function tree(dir: string): Promise<Map<string, Buffer>> {
  const files = new Map<string, Buffer>()
  for (const file of await listFiles(dir)) files.set(file, await readFile(path.join(dir, file)))
  return files
}

describe.each(['tutorial', 'example-site'] as const)('the %s fixture: in-process render vs HTTP crawl', (fixture) => {
  it('writes the same files, byte for byte, with and without base-url', async () => {
    for (const baseUrl of [undefined, 'https://www.example.org']) {
      const workspace = await copyFixture(fixture)
      const build = async (generator: string, outputDir: string) => {
        const h = harness({
          workspace,
          inputs: { provider: 'directory', generator, 'output-dir': outputDir, ...(baseUrl ? { 'base-url': baseUrl } : {}) },
        })
        await h.run()
        return { log: h.log.text(), files: await tree(path.join(workspace, outputDir)) }
      }
      const rendered = await build('auto', '_rendered')
      const crawled = await build('crawl', '_crawled')
      expect(rendered.log).toMatch(/Render in-process \(\d+ workers forked after Django loaded/)
      expect(crawled.log).toMatch(/Crawl \((gunicorn|runserver), \d+ workers/)
      expect([...rendered.files.keys()].sort()).toEqual([...crawled.files.keys()].sort())
      expect(rendered.files.size).toBeGreaterThan(3)
      for (const [file, bytes] of crawled.files) {
        const other = rendered.files.get(file) as Buffer
        expect(other.equals(bytes), `${file} differs (base-url ${baseUrl ?? 'none'})`).toBe(true)
      }
    }
  }, 300_000)
})

describe('the render pool on a plain WSGI app', () => {
  it('cuts off a hung view, replaces a crashed worker, and keeps rendering', async () => {
    const appDir = await mkdtemp(path.join(tmpdir(), 'render-app-'))
    await writeFile(
      path.join(appDir, 'app.py'),
      [
        'import gc, os, time',
        'def application(environ, start_response):',
        "    path = environ['PATH_INFO']",
        "    if path == '/gc/':",
        "        start_response('200 OK', [('Content-Type', 'text/plain')])",
        "        return [('collecting %s, frozen %s' % (gc.isenabled(), gc.get_freeze_count() > 0)).encode()]",
        "    if path == '/hang/':",
        '        time.sleep(600)',
        "    if path == '/crash/':",
        '        os._exit(3)',
        "    body = ('page %s host %s scheme %s' % (path, environ['HTTP_HOST'], environ['wsgi.url_scheme'])).encode()",
        "    start_response('200 OK', [('Content-Type', 'text/plain'), ('Set-Cookie', 'a=1'), ('Set-Cookie', 'b=2')])",
        '    return [body]',
        '',
      ].join('\n'),
    )
    const pool = await startRenderPool({
      python: PYTHON,
      appDir,
      env: { PYTHONPATH: appDir },
      wsgiApplication: 'app.application',
      workers: 2,
      host: 'www.example.org',
      forwardedProto: 'https',
      requestTimeoutMs: 2000,
      startTimeoutMs: 30_000,
    })
    onTestFinished(() => pool.close())
    const ok = await pool.get('/one/?page=2')
    expect(ok.status).toBe(200)
    expect(ok.body.toString()).toBe('page /one/ host www.example.org scheme https')
    expect(ok.headers['content-type']).toBe('text/plain')
    expect(ok.headers['set-cookie']).toBe('a=1, b=2')
    // What the project loaded is frozen before the fork; the workers collect their own garbage.
    expect((await pool.get('/gc/')).body.toString()).toBe('collecting True, frozen True')

    const results = await Promise.allSettled([pool.get('/hang/'), pool.get('/crash/'), pool.get('/two/'), pool.get('/three/')])
    expect(results[0]).toMatchObject({
      status: 'rejected',
      reason: expect.objectContaining({ message: 'no answer for /hang/ within 2 s (its render worker was stopped)' }),
    })
    expect(results[1]).toMatchObject({
      status: 'rejected',
      reason: expect.objectContaining({ message: 'the render worker crashed (exit status 3) while rendering /crash/' }),
    })
    expect(results.slice(2).map((result) => result.status)).toEqual(['fulfilled', 'fulfilled'])
    await vi.waitFor(() => expect(pool.replaced).toBe(2))
    // The replacements serve.
    const after = await Promise.all([pool.get('/four/'), pool.get('/five/')])
    expect(after.map((response) => response.body.toString())).toEqual([
      'page /four/ host www.example.org scheme https',
      'page /five/ host www.example.org scheme https',
    ])
    expect((await Promise.all([pool.get('/gc/'), pool.get('/gc/')])).map((response) => response.body.toString())).toEqual([
      'collecting True, frozen True',
      'collecting True, frozen True',
    ])
  }, 60_000)

  it('keeps one database connection per worker across requests, and replaces one a request left untrustworthy', async () => {
    const appDir = await connectionCountingProject('render-db-')
    const pool = await startRenderPool({
      python: PYTHON,
      appDir,
      env: { PYTHONPATH: appDir, DJANGO_SETTINGS_MODULE: 'settings' },
      workers: 1,
      host: 'localhost',
      requestTimeoutMs: 10_000,
      startTimeoutMs: 30_000,
    })
    onTestFinished(() => pool.close())
    const body = async (page: string): Promise<string> => (await pool.get(page)).body.toString()
    // Django's default (CONN_MAX_AGE = 0) would connect anew for every request: opened 1, 2, 3.
    const first = await body('/db/')
    expect(first).toMatch(/^pid \d+ opened 1$/)
    expect([await body('/db/'), await body('/db/')]).toEqual([first, first])
    expect(await body('/broken/')).toBe('broken')
    expect(await body('/db/')).toBe(first.replace('opened 1', 'opened 2'))
  }, 60_000)

  it('says why when the project cannot be loaded in-process', async () => {
    const appDir = await mkdtemp(path.join(tmpdir(), 'render-broken-'))
    await writeFile(path.join(appDir, 'app.py'), 'raise RuntimeError("settings need REDIS_URL")\n')
    await expect(
      startRenderPool({
        python: PYTHON,
        appDir,
        env: { PYTHONPATH: appDir },
        wsgiApplication: 'app.application',
        workers: 1,
        host: 'localhost',
        requestTimeoutMs: 2000,
        startTimeoutMs: 30_000,
      }),
    ).rejects.toThrow(/the project could not be loaded in-process:[\s\S]*RuntimeError: settings need REDIS_URL/)
  })
})
