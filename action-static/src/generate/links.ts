import { tokenize, TokenType } from '@csstools/css-tokenizer'
import { Parser } from 'htmlparser2'

/**
 * The references a page or stylesheet makes, found with real parsers (htmlparser2 for HTML and
 * XML, the CSS Syntax Level 3 tokenizer for CSS) rather than regular expressions: attributes in
 * any quoting, entities (`&amp;`) decoded, `srcset` candidates, `<base href>`, CSS comments and
 * escapes all behave as browsers see them.
 */
export type RefKind = 'link' | 'asset' | 'refresh' | 'sitemap' | 'feed'

export interface Ref {
  url: string
  kind: RefKind
}

export interface HtmlRefs {
  refs: Ref[]
  /** The document's `<base href>`, when it has one. */
  base?: string
}

/** Attributes that hold one URL, by the elements that carry them: pages the crawl follows… */
const PAGE_ATTRIBUTES = { href: ['a', 'area'], src: ['iframe'] }
/** …and files the page needs. */
const ASSET_ATTRIBUTES = {
  href: ['link'],
  src: ['script', 'img', 'source', 'video', 'audio', 'track', 'embed', 'input'],
  poster: ['video'],
  data: ['object'],
}

/** The two tables turned around: per element, its URL attributes and the kind of reference each makes. */
const URL_ATTRIBUTES = perElement({ link: PAGE_ATTRIBUTES, asset: ASSET_ATTRIBUTES })

function perElement(tables: Partial<Record<RefKind, Record<string, string[]>>>): Map<string, Array<[string, RefKind]>> {
  const byElement = new Map<string, Array<[string, RefKind]>>()
  for (const [kind, table] of Object.entries(tables) as Array<[RefKind, Record<string, string[]>]>) {
    for (const [attribute, elements] of Object.entries(table)) {
      for (const element of elements) byElement.set(element, [...(byElement.get(element) ?? []), [attribute, kind]])
    }
  }
  return byElement
}

export function extractHtmlRefs(html: string): HtmlRefs {
  const refs: Ref[] = []
  let base: string | undefined
  let inStyle = false
  let styleText = ''
  const parser = new Parser(
    {
      onopentag(name, attributes) {
        if (name === 'base' && attributes.href !== undefined && base === undefined) base = attributes.href
        for (const [attribute, kind] of URL_ATTRIBUTES.get(name) ?? []) {
          const value = attributes[attribute]
          if (value !== undefined && value.trim() !== '')
            refs.push({
              url: value.trim(),
              kind: name === 'link' && /\b(alternate|canonical|next|prev)\b/i.test(attributes.rel ?? '') ? 'link' : kind,
            })
        }
        for (const attribute of ['srcset', 'imagesrcset']) {
          const srcset = attributes[attribute]
          if (srcset) for (const url of parseSrcset(srcset)) refs.push({ url, kind: 'asset' })
        }
        if (name === 'meta' && (attributes['http-equiv'] ?? '').toLowerCase() === 'refresh') {
          const url = refreshUrl(attributes.content ?? '')
          if (url) refs.push({ url, kind: 'refresh' })
        }
        if (attributes.style) for (const url of extractCssRefs(attributes.style)) refs.push({ url, kind: 'asset' })
        if (name === 'style') {
          inStyle = true
          styleText = ''
        }
      },
      ontext(text) {
        if (inStyle) styleText += text
      },
      onclosetag(name) {
        if (name === 'style' && inStyle) {
          inStyle = false
          for (const url of extractCssRefs(styleText)) refs.push({ url, kind: 'asset' })
        }
      },
    },
    { decodeEntities: true, lowerCaseTags: true, lowerCaseAttributeNames: true },
  )
  parser.write(html)
  parser.end()
  return { refs, base }
}

/** `img.png 1x, img@2x.png 2x` → both URLs (a URL may itself contain commas; candidates end at ", " after a descriptor). */
export function parseSrcset(srcset: string): string[] {
  const urls: string[] = []
  let rest = srcset.trim()
  while (rest !== '') {
    rest = rest.replace(/^[\s,]+/, '')
    const url = /^\S+/.exec(rest)?.[0] ?? ''
    if (url === '') break
    rest = rest.slice(url.length)
    // A URL that ends in commas had its separator glued on.
    urls.push(url.replace(/,+$/, ''))
    if (url.endsWith(',')) continue
    const descriptorEnd = rest.indexOf(',')
    rest = descriptorEnd < 0 ? '' : rest.slice(descriptorEnd + 1)
  }
  return urls.filter((url) => url !== '')
}

/** `5; url='/next/'` → `/next/`. */
export function refreshUrl(content: string): string | undefined {
  const match = /^\s*\d*(?:\.\d*)?\s*[;,]?\s*(?:url\s*=\s*)?(.*)$/i.exec(content)
  const url = match?.[1]
    ?.trim()
    .replace(/^(['"])(.*)\1$/, '$2')
    .trim()
  return url ? url : undefined
}

/** URLs in `url(...)`, `src(...)` and `@import "..."`. */
export function extractCssRefs(css: string): string[] {
  const urls: string[] = []
  const tokens = tokenize({ css })
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]
    if (!token) continue
    const type = token[0]
    if (type === TokenType.URL) {
      urls.push((token[4] as { value: string }).value)
    } else if (type === TokenType.Function && /^(url|src)$/i.test((token[4] as { value: string }).value)) {
      const next = nextMeaningful(tokens, i + 1)
      if (next && next[0] === TokenType.String) urls.push((next[4] as { value: string }).value)
    } else if (type === TokenType.AtKeyword && (token[4] as { value: string }).value.toLowerCase() === 'import') {
      const next = nextMeaningful(tokens, i + 1)
      if (next && next[0] === TokenType.String) urls.push((next[4] as { value: string }).value)
    }
  }
  return urls.map((url) => url.trim()).filter((url) => url !== '')
}

function nextMeaningful(tokens: ReturnType<typeof tokenize>, from: number): ReturnType<typeof tokenize>[number] | undefined {
  for (let i = from; i < tokens.length; i++) {
    const token = tokens[i]
    if (token && token[0] !== TokenType.Whitespace && token[0] !== TokenType.Comment) return token
  }
  return undefined
}

/**
 * Sitemaps (`<loc>` of `<url>` and of `<sitemap>` in an index) and feeds (RSS `<link>`, Atom
 * `<link href>`), parsed as XML.
 */
export function extractXmlRefs(xml: string): Ref[] {
  const refs: Ref[] = []
  const stack: string[] = []
  let text = ''
  const parser = new Parser(
    {
      onopentag(name, attributes) {
        stack.push(name)
        text = ''
        if (name === 'link' && attributes.href) refs.push({ url: attributes.href.trim(), kind: 'feed' })
        if (name === 'xhtml:link' && attributes.href) refs.push({ url: attributes.href.trim(), kind: 'sitemap' })
      },
      ontext(chunk) {
        text += chunk
      },
      onclosetag(name) {
        const parent = stack[stack.length - 2]
        const value = text.trim()
        if (name === 'loc' && value && (parent === 'url' || parent === 'sitemap')) refs.push({ url: value, kind: 'sitemap' })
        else if (name === 'link' && value && parent === 'item') refs.push({ url: value, kind: 'feed' })
        stack.pop()
        text = ''
      },
    },
    { xmlMode: true, decodeEntities: true },
  )
  parser.write(xml)
  parser.end()
  return refs
}

/** `Sitemap:` lines of a robots.txt. */
export function extractRobotsSitemaps(robots: string): string[] {
  return robots
    .split(/\r?\n/)
    .map((line) => /^\s*sitemap\s*:\s*(\S+)/i.exec(line)?.[1])
    .filter((url): url is string => url !== undefined)
}
