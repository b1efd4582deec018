import { describe, expect, it } from 'vitest'
import {
  extractCssRefs,
  extractHtmlRefs,
  extractRobotsSitemaps,
  extractXmlRefs,
  parseSrcset,
  refreshUrl,
} from '../src/generate/links.js'
import { needsContentTypeHeader, outputFileFor, urlPathOf } from '../src/generate/paths.js'

describe('extractHtmlRefs', () => {
  it('finds links and assets in every element that has one, decoding entities and any quoting', () => {
    const html = `<!doctype html><html><head>
      <base href="/root/"><link rel=stylesheet href='/s.css'><link rel="canonical" href="https://x.example/a/">
      <script src=/app.js></script><meta http-equiv="Refresh" content="3; URL='/next/'">
      <style>@import "imp.css"; .a { background: url( 'bg.png' ) }</style></head>
      <body style="background-image: url(inline.png)"><a href="/p/?a=1&amp;b=2">p</a><area href="/area/">
      <img src="i.png" srcset="i-1x.png 1x, i-2x.png 2x"><picture><source srcset="s.webp 640w"></picture>
      <video src="v.mp4" poster="poster.jpg"></video><iframe src="/frame/"></iframe><!-- <a href="/commented/"> -->
      <script>document.write('<a href="/in-script/">')</script></body></html>`
    const { refs, base } = extractHtmlRefs(html)
    expect(base).toBe('/root/')
    const urls = refs.map((ref) => ref.url)
    expect(urls).toEqual(
      expect.arrayContaining([
        '/s.css',
        'https://x.example/a/',
        '/app.js',
        '/next/',
        'imp.css',
        'bg.png',
        'inline.png',
        '/p/?a=1&b=2',
        '/area/',
        'i.png',
        'i-1x.png',
        'i-2x.png',
        's.webp',
        'v.mp4',
        'poster.jpg',
        '/frame/',
      ]),
    )
    expect(urls).not.toContain('/commented/')
    expect(urls).not.toContain('/in-script/')
    expect(refs.find((ref) => ref.url === '/next/')?.kind).toBe('refresh')
  })

  it('parses srcset candidates and meta refresh contents', () => {
    expect(parseSrcset('a.png 1x,b.png 2x')).toEqual(['a.png', 'b.png'])
    expect(parseSrcset(' /img/a,b.png 640w , /img/c.png 1280w ')).toEqual(['/img/a,b.png', '/img/c.png'])
    expect(refreshUrl('0;url=/x/')).toBe('/x/')
    expect(refreshUrl('5')).toBeUndefined()
  })
})

describe('extractCssRefs', () => {
  it('uses the CSS tokenizer: quotes, no quotes, @import, comments and escapes', () => {
    const css = `@import url("a.css"); @import 'b.css' screen; /* url(commented.png) */
      .x { background: url(c\\(1\\).png?v=2) } .y { src: url( "d.woff#iefix" ) format("woff") }
      .z { background: url("data:image/svg+xml,%3Csvg%3E") }`
    expect(extractCssRefs(css)).toEqual(['a.css', 'b.css', 'c(1).png?v=2', 'd.woff#iefix', 'data:image/svg+xml,%3Csvg%3E'])
  })
})

describe('XML and robots.txt', () => {
  it('reads sitemap indexes, sitemaps, feeds and Sitemap: lines', () => {
    expect(extractXmlRefs('<sitemapindex><sitemap><loc>https://e.x/s1.xml</loc></sitemap></sitemapindex>')).toEqual([
      { url: 'https://e.x/s1.xml', kind: 'sitemap' },
    ])
    expect(extractXmlRefs('<urlset><url><loc> https://e.x/a/?q=1&amp;r=2 </loc></url></urlset>')).toEqual([
      { url: 'https://e.x/a/?q=1&r=2', kind: 'sitemap' },
    ])
    expect(
      extractXmlRefs('<rss><channel><link>https://e.x/</link><item><link>https://e.x/p/</link></item></channel></rss>').map(
        (ref) => ref.url,
      ),
    ).toEqual(['https://e.x/p/'])
    expect(extractXmlRefs('<feed><link href="https://e.x/atom/" rel="self"/></feed>').map((ref) => ref.url)).toEqual([
      'https://e.x/atom/',
    ])
    expect(extractRobotsSitemaps('User-agent: *\nSitemap: https://e.x/sitemap.xml\n# Sitemap: no\nsitemap:/other.xml')).toEqual([
      'https://e.x/sitemap.xml',
      '/other.xml',
    ])
  })
})

describe('output paths', () => {
  it('puts HTML at path/index.html and keeps other types at their path', () => {
    expect(outputFileFor('/', 'text/html; charset=utf-8')).toBe('index.html')
    expect(outputFileFor('/about/', 'text/html')).toBe('about/index.html')
    expect(outputFileFor('/about', 'text/html')).toBe('about/index.html')
    expect(outputFileFor('/page.html', 'text/html')).toBe('page.html')
    expect(outputFileFor('/api/posts.json', 'application/json')).toBe('api/posts.json')
    expect(outputFileFor('/blog/feed/', 'application/rss+xml')).toBe('blog/feed/index.html')
    expect(outputFileFor('/caf%C3%A9/', 'text/html')).toBe('café/index.html')
    expect(outputFileFor('/a/%2e%2e/secret', 'text/plain')).toBeUndefined()
    expect(urlPathOf('café/index.html')).toBe('/caf%C3%A9/')
  })

  it('asks for a Content-Type header only where the extension says something else', () => {
    expect(needsContentTypeHeader('blog/feed/index.html', 'application/rss+xml; charset=utf-8')).toBe(true)
    expect(needsContentTypeHeader('sitemap.xml', 'text/xml')).toBe(false)
    expect(needsContentTypeHeader('about/index.html', 'text/html; charset=utf-8')).toBe(false)
    expect(needsContentTypeHeader('data', 'application/json')).toBe(true)
  })
})
