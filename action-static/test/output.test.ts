import { mkdtemp, readFile, rm, writeFile, mkdir } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { checkOutput } from '../src/generate/checks.js'
import {
  CSRF_PLACEHOLDER,
  finishBody,
  replaceCsrfTokens,
  writeContentTypeHeaders,
  writeRedirects,
} from '../src/generate/output.js'

const dirs: string[] = []
async function outputDir(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'static-output-'))
  dirs.push(dir)
  return dir
}
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })))
})

describe('generated _redirects and _headers', () => {
  const redirects = [
    { from: '/old-blog/', to: '/blog/', status: 301 },
    { from: '/about-us/', to: '/about/', status: 301 },
    { from: '/go/', to: '/blog/page/2/', status: 302 },
  ]

  it('are byte-identical whatever order the crawl found the redirects in', async () => {
    const first = await outputDir()
    const second = await outputDir()
    await writeRedirects(first, redirects)
    await writeRedirects(second, [...redirects].reverse())
    const text = await readFile(path.join(first, '_redirects'), 'utf8')
    expect(await readFile(path.join(second, '_redirects'), 'utf8')).toBe(text)
    expect(text.split('\n').filter((line) => line.startsWith('/'))).toEqual([
      '/about-us/  /about/  301',
      '/go/  /blog/page/2/  302',
      '/old-blog/  /blog/  301',
    ])

    const types = new Map([
      ['feed/index.html', 'application/rss+xml'],
      ['api/posts', 'application/json'],
    ])
    await writeContentTypeHeaders(first, types)
    await writeContentTypeHeaders(second, new Map([...types].reverse()))
    expect(await readFile(path.join(second, '_headers'), 'utf8')).toBe(await readFile(path.join(first, '_headers'), 'utf8'))
  })

  it("forces a rule whose source path is shadowed by a file, and keeps the project's own rules first", async () => {
    const dir = await outputDir()
    await mkdir(path.join(dir, 'old-blog'))
    await writeFile(path.join(dir, 'old-blog', 'index.html'), 'stub')
    await writeFile(path.join(dir, '_redirects'), '/legacy/*  /blog/:splat  301\n')
    await writeRedirects(dir, redirects)
    const lines = (await readFile(path.join(dir, '_redirects'), 'utf8')).trim().split('\n')
    expect(lines[0]).toBe('/legacy/*  /blog/:splat  301')
    expect(lines).toContain('/old-blog/  /blog/  301!')
    expect(lines).toContain('/about-us/  /about/  301')
  })
})

describe('CSRF tokens and forms', () => {
  const page = (token: string): string =>
    `<html><body><form method="post" action="/vote/"><input type="hidden" name="csrfmiddlewaretoken" value="${token}">` +
    `<button>Vote</button></form><script>const csrf = '${token}'</script></body></html>`

  it('replaces every token value (and its copies in the page) with the placeholder, so two builds are the same bytes', async () => {
    const first = await outputDir()
    const second = await outputDir()
    await mkdir(path.join(first, 'poll'), { recursive: true })
    await mkdir(path.join(second, 'poll'), { recursive: true })
    await writeFile(path.join(first, 'poll/index.html'), page('a'.repeat(32) + 'Xy12'.repeat(8)))
    await writeFile(path.join(second, 'poll/index.html'), page('b'.repeat(32) + 'Zq34'.repeat(8)))
    await writeFile(path.join(first, 'plain.html'), '<p>csrfmiddlewaretoken is a word here</p>')
    expect(await replaceCsrfTokens(first)).toEqual(['poll/index.html'])
    expect(await replaceCsrfTokens(second)).toEqual(['poll/index.html'])
    const text = await readFile(path.join(first, 'poll/index.html'), 'utf8')
    expect(text).toBe(await readFile(path.join(second, 'poll/index.html'), 'utf8'))
    expect(text).toContain(`value="${CSRF_PLACEHOLDER}"`)
    expect(text).toContain(`const csrf = '${CSRF_PLACEHOLDER}'`)
    expect(await replaceCsrfTokens(first)).toEqual([]) // nothing left to replace
  })

  it('leaves alone the files it is told the crawl already treated', async () => {
    const dir = await outputDir()
    const token = 'c'.repeat(32) + 'Wx56'.repeat(8)
    await writeFile(path.join(dir, 'crawled.html'), page(token))
    await writeFile(path.join(dir, 'copied.html'), page(token))
    expect(await replaceCsrfTokens(dir, new Map([['crawled.html', 'text/html']]))).toEqual(['copied.html'])
    expect(await readFile(path.join(dir, 'crawled.html'), 'utf8')).toContain(token)
  })

  it('lists the pages whose form posts, and only those', async () => {
    const dir = await outputDir()
    await mkdir(path.join(dir, 'search'), { recursive: true })
    await mkdir(path.join(dir, 'contact'), { recursive: true })
    await writeFile(path.join(dir, 'index.html'), '<html><body><a href="/search/">s</a> <a href="/contact/">c</a></body></html>')
    await writeFile(path.join(dir, 'search/index.html'), '<form action="/search/" method="get"><input name="q"></form>')
    await writeFile(path.join(dir, 'contact/index.html'), "<FORM METHOD='POST' action='/contact/'></FORM>")
    expect((await checkOutput(dir)).postForms).toEqual(['contact/index.html'])
  })
})

describe('finishBody (what the crawl writes for a saved answer)', () => {
  const local = 'http://127.0.0.1:65535'
  const token = 'd'.repeat(32) + 'Vu78'.repeat(8)
  const html = Buffer.from(
    `<link rel="canonical" href="${local}/blog/p/"><form method="post"><input type="hidden" name="csrfmiddlewaretoken" value="${token}"></form>`,
  )

  it('replaces the local origin (with base-url, or with nothing) and then the CSRF tokens in a page', () => {
    const bare = finishBody('blog/p/index.html', html, local, undefined)
    expect(bare.changed).toEqual({ origin: true, csrf: true })
    expect(bare.body.toString()).toBe(
      `<link rel="canonical" href="/blog/p/"><form method="post"><input type="hidden" name="csrfmiddlewaretoken" value="${CSRF_PLACEHOLDER}"></form>`,
    )
    const based = finishBody('blog/p/index.html', html, local, 'https://www.example.org/sub/')
    expect(based.body.toString()).toContain('href="https://www.example.org/blog/p/"')
  })

  it('replaces the origin in feeds, stylesheets and data, but CSRF tokens only in HTML', () => {
    const text = Buffer.from(`${local}/a ${token} csrfmiddlewaretoken <input name="csrfmiddlewaretoken" value="${token}">`)
    for (const file of ['feed.xml', 'site.css', 'data.json', 'robots.txt']) {
      const finished = finishBody(file, text, local, undefined)
      expect(finished.changed, file).toEqual({ origin: true, csrf: false })
      expect(finished.body.toString(), file).toContain(token)
    }
  })

  it('writes bodies it does not change as served, byte for byte (even bytes that are not UTF-8)', () => {
    const binary = Buffer.concat([Buffer.from(local), Buffer.from([0xff, 0xfe, 0x00])])
    expect(finishBody('logo.png', binary, local, undefined).body).toBe(binary)
    const latin1 = Buffer.from([0x3c, 0x70, 0x3e, 0xe9, 0x3c, 0x2f, 0x70, 0x3e]) // <p>é</p> in Latin-1
    const kept = finishBody('page.html', latin1, local, undefined)
    expect(kept.changed).toEqual({ origin: false, csrf: false })
    expect(kept.body).toBe(latin1)
  })
})
