import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { parseHeaders, parseRedirects, serve } from '../standins/netlify/rules.js'
import { listFiles } from '../../action-static/src/generate/checks.js'
import type { RunResult } from '../../action-static/src/main.js'
import { copyFixture } from '../support/index.js'
import { harness, type Harness } from './static-support.js'

/**
 * The crawler on the real example site (Debian's Django 4.2, gunicorn, the production settings
 * overlay): everything the site has must be in the output, and everything a static host cannot
 * serve must be reported.
 */
let workspace: string
let site: string
let result: RunResult
let h: Harness
const file = (name: string): Promise<string> => readFile(path.join(site, name), 'utf8')

beforeAll(async () => {
  workspace = await copyFixture('example-site', { subdir: 'app' })
  h = harness({
    workspace,
    inputs: {
      'working-directory': 'app',
      provider: 'directory',
      'base-url': 'https://www.example.org',
      fixtures: 'example_extra',
      'extra-paths': '/blog/page/1/',
    },
  })
  result = await h.run()
  site = path.join(workspace, '_site')
}, 240_000)

describe('crawl of the example site', () => {
  it('writes every page as path/index.html, including pagination by path and the pages from the fixture', async () => {
    expect(result.generated?.generator).toBe('crawl')
    for (const page of [
      'index.html',
      'blog/index.html',
      'blog/page/2/index.html',
      'blog/page/5/index.html',
      'about/index.html',
      'gallery/lighthouse/index.html',
      'blog/author/ada/index.html',
      'blog/tag/django/index.html',
    ]) {
      expect(existsSync(path.join(site, page)), page).toBe(true)
    }
    // 24 published posts from the migrations + 2 from the example_extra fixture; the draft is not published.
    const posts = (await listFiles(site)).filter(
      (name) => /^blog\/[^/]+\/index\.html$/.test(name) && !/^blog\/(page|tag|author|feed)\//.test(name),
    )
    expect(posts).toHaveLength(26)
    expect(Number(h.outputs.get('pages'))).toBe(result.generated?.check.pages)
    expect(h.outputs.get('output-dir')).toBe('_site')
  })

  it('finds the page only the sitemap links to, following the sitemap index', async () => {
    expect(await file('colophon/index.html')).toContain('Colophon')
    expect(await file('sitemap.xml')).toContain('<sitemapindex')
    expect(await file('sitemap-pages.xml')).toContain('https://www.example.org/colophon/')
  })

  it('builds absolute URLs for base-url (sitemap, robots.txt, feed)', async () => {
    expect(await file('robots.txt')).toContain('Sitemap: https://www.example.org/sitemap.xml')
    expect(await file('blog/feed/index.html')).toContain('https://www.example.org/blog/')
    const all = await Promise.all((await listFiles(site)).filter((name) => /\.(html|xml|txt|json)$/.test(name)).map(file))
    expect(all.some((text) => text.includes('127.0.0.1'))).toBe(false)
  })

  it('keeps feeds and JSON as they are, with their real type in _headers', async () => {
    expect(await file('blog/feed/index.html')).toMatch(/^<\?xml[\s\S]*<rss/)
    expect(await file('blog/feed/atom/index.html')).toContain('<feed')
    expect(JSON.parse(await file('api/posts.json')).count).toBe(26)
    const headers = parseHeaders(await file('_headers'))
    expect(headers).toContainEqual({ path: '/blog/feed/', headers: [['Content-Type', 'application/rss+xml']] })
    expect(headers).toContainEqual({ path: '/blog/feed/atom/', headers: [['Content-Type', 'application/atom+xml']] })
  })

  it('copies static files, the assets CSS references (url(), @import, fonts) and the referenced media', async () => {
    for (const asset of [
      'static/css/site.css',
      'static/css/fonts.css',
      'static/css/layout.css',
      'static/fonts/dejavu-sans-subset.woff',
      'static/fonts/dejavu-sans-subset.ttf',
      'static/img/pattern.png',
      'static/img/hero-1280.png',
      'static/img/logo.svg',
      'static/js/site.js',
      'media/gallery/lighthouse.png',
      'media/blog/covers/launch.png',
    ]) {
      expect(existsSync(path.join(site, asset)), asset).toBe(true)
    }
    expect(result.generated?.crawl?.staticFiles.has('img/hero-1280.png')).toBe(true) // only in a srcset
    expect(existsSync(path.join(site, 'static/admin'))).toBe(false)
    expect((await listFiles(site)).some((name) => name.endsWith('.gz') || name.endsWith('.br'))).toBe(false)
  })

  it("turns the app's redirects into _redirects rules that Netlify applies", async () => {
    const rules = parseRedirects(await file('_redirects'))
    expect(rules).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ from: '/old-blog/', to: '/blog/', status: 301 }),
        expect.objectContaining({ from: '/about-us/', to: '/about/', status: 301 }),
        expect.objectContaining({ from: '/blog/page/1/', to: '/blog/', status: 301 }),
      ]),
    )
    const files = new Set(await listFiles(site))
    expect(serve('/old-blog/', files, rules)).toMatchObject({ status: 301, location: '/blog/' })
    expect(existsSync(path.join(site, 'old-blog'))).toBe(false)
  })

  it("writes the app's own 404 page as 404.html", async () => {
    expect(await file('404.html')).toContain('Page not found')
    expect(result.generated?.check.missing404).toBe(false)
  })

  it('reports query-string URLs with the pages linking to them, and never saves them', async () => {
    const queries = result.generated?.crawl?.queryUrls ?? []
    expect(queries.map((query) => query.url)).toEqual(expect.arrayContaining(['/gallery/?page=2', '/blog/tag/django/?page=2']))
    expect(queries.find((query) => query.url === '/gallery/?page=2')?.referrers).toContain('/gallery/')
    expect(h.log.text()).toMatch(/warning: .*URLs? with a query string cannot be served by a static host.*\/gallery\/\?page=2/)
    // Photos only reachable through ?page=2 are still found by following it.
    expect(existsSync(path.join(site, 'gallery/windmill-ridge/index.html'))).toBe(true)
  })

  it('reports off-site links and leaves them alone; finds no broken links', () => {
    expect(result.generated?.crawl?.offsite).toBeGreaterThan(0)
    expect(result.generated?.check.broken).toEqual([])
    expect(h.summary.join('')).toContain("provider is 'directory'")
  })
})
