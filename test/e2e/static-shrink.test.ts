import { mkdir, rm, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { startNetlifyStandin, type NetlifyStandin } from '../standins/netlify/server.js'
import { makeTempDir } from '../support/index.js'
import { harness } from './static-support.js'

/**
 * A production deploy with less than half the pages of the current production deploy is refused
 * (a likely broken build) before anything is uploaded, unless allow-fewer-pages is set.
 */
const NETLIFY_TOKEN = 'nf-secret-token-shrink'
let netlify: NetlifyStandin
let dir: string

beforeEach(async () => {
  netlify = await startNetlifyStandin()
  netlify.state.addToken(NETLIFY_TOKEN)
  netlify.state.timing.diffMs = 5
  netlify.state.timing.processMs = 5
  netlify.state.addSite('blog')
  dir = await makeTempDir('static-shrink-')
})

afterEach(async () => {
  await netlify.close()
})

async function site(pages: number): Promise<void> {
  await rm(path.join(dir, '_site'), { recursive: true, force: true })
  await mkdir(path.join(dir, '_site'), { recursive: true })
  await writeFile(path.join(dir, '_site', '404.html'), 'missing')
  await writeFile(path.join(dir, '_site', 'style.css'), 'body{}')
  for (let page = 0; page < pages; page++) {
    await mkdir(path.join(dir, '_site', `p${page}`), { recursive: true })
    await writeFile(path.join(dir, '_site', `p${page}`, 'index.html'), `<h1>${page}</h1>`)
  }
}

const deploy = (extra: Record<string, string> = {}) =>
  harness({
    workspace: dir,
    inputs: {
      provider: 'netlify',
      'netlify-auth-token': NETLIFY_TOKEN,
      'netlify-site-name': 'blog',
      mode: 'deploy',
      production: 'true',
      ...extra,
    },
    netlifyApiUrl: netlify.apiUrl,
  })

describe('a production deploy with far fewer pages', () => {
  it('is refused below half of production, allowed at half, and deployed on purpose with allow-fewer-pages', async () => {
    await site(10)
    await deploy().run() // the first production deploy: nothing to compare with
    expect(netlify.calls('createSiteDeploy')).toHaveLength(1)

    await site(4)
    const refused = deploy()
    const error = await refused.run().catch((caught: unknown) => caught)
    expect(error).toMatchObject({
      input: 'allow-fewer-pages',
      message: 'This deploy has 4 pages, less than half of the 10 pages in production on blog; not deploying to production.',
    })
    expect(netlify.calls('createSiteDeploy')).toHaveLength(1) // nothing created, nothing uploaded
    expect(refused.summary.join('')).toContain('failed')

    await site(5)
    await deploy().run()
    expect(netlify.calls('createSiteDeploy')).toHaveLength(2)

    await site(1)
    const allowed = deploy({ 'allow-fewer-pages': 'true' })
    await allowed.run()
    expect(netlify.calls('createSiteDeploy')).toHaveLength(3)
    expect(allowed.outputs.get('pages')).toBe('1')
  })

  it('is never compared for previews', async () => {
    await site(10)
    await deploy().run()
    await site(1)
    const preview = deploy({ production: 'false', alias: 'try' })
    await preview.run()
    expect(preview.outputs.get('url')).toBe('https://try--blog.netlify.app')
  })
})
