import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { GitHubApiStandin } from '../standins/github-api/server.js'
import { startGitHubApiStandin } from '../standins/github-api/server.js'
import { ACTIONS_BOT, sha } from '../standins/github-api/state.js'
import { startNetlifyStandin, type NetlifyStandin } from '../standins/netlify/server.js'
import { listFiles } from '../../action-static/src/generate/checks.js'
import { CSRF_PLACEHOLDER } from '../../action-static/src/generate/output.js'
import { copyFixture, freePort, readQuickstart } from '../support/index.js'
import { eventContext, harness, pullRequestPayload } from './static-support.js'

/**
 * The Django tutorial's shape (test/fixtures/tutorial: no view at `/`, /polls/ with detail pages
 * that hold a POST form, the admin) built with the defaults: the crawl starts from the URLconf,
 * the missing `/` is a notice and not a broken link, the form pages are named, a server error
 * fails the build whatever fail-on-broken-links says, and the output is the same bytes every time.
 */
async function snapshot(dir: string): Promise<Map<string, string>> {
  const files = new Map<string, string>()
  for (const file of await listFiles(dir)) files.set(file, await readFile(path.join(dir, file), 'utf8'))
  return files
}

describe('the tutorial project with the defaults', () => {
  it('builds /polls/ and its detail pages from the URLconf, reports the missing / as a seed, and names the form pages', async () => {
    const workspace = await copyFixture('tutorial')
    const h = harness({ workspace, inputs: { provider: 'directory' } })
    const result = await h.run()
    const site = path.join(workspace, '_site')
    const files = await listFiles(site)
    expect(files).toEqual(
      expect.arrayContaining([
        'polls/index.html',
        'polls/1/index.html',
        'polls/2/index.html',
        'polls/1/results/index.html',
        'polls/2/results/index.html',
        '404.html',
      ]),
    )
    expect(files).not.toContain('index.html')
    expect(files.some((file) => file.startsWith('admin/'))).toBe(false)
    expect(result.generated?.seeds).toMatchObject({ paths: ['/polls/'], withParameters: 3 })
    expect(result.generated?.seeds?.admin).toBeGreaterThan(0)
    expect(result.generated?.check.pages).toBe(5)
    expect(h.outputs.get('pages')).toBe('5')

    const log = h.log.text()
    const summary = h.summary.join('')
    // `/` has no view and nothing links to it: a notice, not a broken link, in the log and the summary alike.
    const seedNotice = '/: not found (a seed, not linked from any page)'
    expect(log).toContain(seedNotice)
    expect(log).not.toMatch(/broken link/i)
    expect(summary).toContain('0 broken links, 3 seeds not found (a seed, not linked from any page): / /robots.txt /sitemap.xml,')
    expect(summary).not.toContain('undefined')
    // The build's time, broken into its parts under it.
    expect(summary).toMatch(
      /\| Build \| [^|]+ \|\n\| &nbsp;&nbsp;↳ Database and settings \| [^|]+ \|\n\| &nbsp;&nbsp;↳ collectstatic \(beside the database\) \|[\s\S]*↳ Crawl and render[\s\S]*↳ Checks/,
    )
    expect(log).not.toContain('undefined')

    // The vote forms, named once, in the log and the summary.
    const formWarning = h.log.entries
      .filter((entry) => entry.level === 'warning')
      .map((entry) => entry.message)
      .filter((message) => message.includes('<form method="post">'))
    expect(formWarning).toHaveLength(1)
    expect(formWarning[0]).toContain('2 pages have a form that posts')
    expect(formWarning[0]).toContain('/polls/1/, /polls/2/')
    expect(formWarning[0]).toContain('cannot work on a static host')
    expect(summary).toContain('/polls/1/, /polls/2/')

    // The CSRF token is a fixed placeholder, never the value Django made for the crawler's request.
    const detail = await readFile(path.join(site, 'polls/1/index.html'), 'utf8')
    expect(detail).toContain(`name="csrfmiddlewaretoken" value="${CSRF_PLACEHOLDER}"`)
    expect(detail).toContain('Just hacking again')
  }, 180_000)

  it('gives byte-identical output on two builds of the same project', async () => {
    const workspace = await copyFixture('tutorial')
    const build = async (): Promise<Map<string, string>> => {
      await harness({ workspace, inputs: { provider: 'directory' } }).run()
      return snapshot(path.join(workspace, '_site'))
    }
    const first = await build()
    const second = await build()
    expect([...second.keys()]).toEqual([...first.keys()])
    for (const [file, content] of first) expect(second.get(file), file).toBe(content)
  }, 240_000)

  it('fails on an unreachable database-url even with fail-on-broken-links: false, and deploys nothing', async () => {
    const workspace = await copyFixture('tutorial')
    const port = await freePort() // nothing listens there
    const h = harness({
      workspace,
      inputs: {
        provider: 'directory',
        'database-url': `postgres://postgres@127.0.0.1:${port}/polls`,
        'fail-on-broken-links': 'false',
      },
    })
    const error = (await h.run().catch((caught: unknown) => caught)) as Error
    expect(error).toBeInstanceOf(Error)
    expect(error.message).toContain('/polls/ answered 500')
    expect(error.message).toContain('did not render')
    expect(h.summary.join('')).toContain('failed')
    expect(h.outputs.get('files-uploaded')).toBeUndefined()
    // The secret-free database URL never shows up in what the run printed.
    expect(h.log.text()).not.toContain('undefined')
  }, 180_000)
})

describe('the tutorial project as a pull request preview', () => {
  const NETLIFY_TOKEN = 'nf-secret-token-5678'
  const GITHUB_TOKEN = 'ghs_actions_token_5678'
  let netlify: NetlifyStandin
  let github: GitHubApiStandin

  beforeEach(async () => {
    netlify = await startNetlifyStandin()
    netlify.state.addToken(NETLIFY_TOKEN)
    netlify.state.timing.diffMs = 5
    netlify.state.timing.processMs = 5
    netlify.state.addSite('polls')
    github = await startGitHubApiStandin()
    github.state.addRepo('octo/blog')
    github.state.addToken(GITHUB_TOKEN, { user: ACTIONS_BOT, installation: true })
  })

  afterEach(async () => {
    await netlify.close()
    await github.close()
  })

  it("README's Quickstart 2 as written: a push to main creates the site and publishes /polls/; a pull request gets its preview and one comment", async () => {
    const quickstart = readQuickstart('action-static', { 'secrets.NETLIFY_AUTH_TOKEN': NETLIFY_TOKEN })
    expect(quickstart.events).toEqual(['push', 'pull_request'])
    // setup-python and `pip install -r requirements.txt` give the runner Django; here Debian's is installed.
    expect(quickstart.stepsBefore).toEqual(['actions/checkout@v6', 'actions/setup-python@v6', 'pip install -r requirements.txt'])
    const workspace = await copyFixture('tutorial')
    github.state.repo('octo/blog').knownShas.add(sha('main-tip'))
    // The runner fills the action's defaults: github-token is ${{ github.token }}.
    const inputs = { ...quickstart.inputs, 'github-token': GITHUB_TOKEN }
    const push = harness({
      workspace,
      inputs,
      netlifyApiUrl: netlify.apiUrl,
      githubApiUrl: github.url,
      context: await eventContext(
        workspace,
        'push',
        { ref: 'refs/heads/main', repository: { full_name: 'octo/blog', default_branch: 'main' } },
        { GITHUB_REF: 'refs/heads/main', GITHUB_REF_NAME: 'main', GITHUB_SHA: sha('main-tip') },
      ),
    })
    await push.run()
    const site = netlify.state.siteByName(quickstart.inputs['netlify-site-name'] as string)
    expect(site, push.log.text()).toBeDefined()
    expect(push.outputs.get('url')).toBe(`https://${site?.name}.netlify.app`)
    expect(netlify.get(site!, 'production', '/polls/').body?.toString()).toContain('Favourite colour?')
    expect(push.summary.join('')).toMatch(/^## Deployed my-django-site/)

    github.state.addPullRequest('octo/blog', { number: 3, headSha: sha('qs'), headRef: 'polls' })
    const preview = harness({
      workspace,
      inputs,
      netlifyApiUrl: netlify.apiUrl,
      githubApiUrl: github.url,
      context: await eventContext(workspace, 'pull_request', pullRequestPayload(3, sha('qs'), { headRef: 'polls' })),
    })
    await preview.run()
    expect(preview.outputs.get('url')).toBe(`https://pr-3--${site?.name}.netlify.app`)
    expect(github.state.comments('octo/blog', 3)).toHaveLength(1)
    expect(site?.publishedDeployId).toBe(netlify.state.siteByName('my-django-site')?.publishedDeployId)
  }, 240_000)

  it('an unreachable database-url with fail-on-broken-links: false on Netlify: the build fails, production is not touched', async () => {
    const workspace = await copyFixture('tutorial')
    const port = await freePort() // nothing listens there
    github.state.repo('octo/blog').knownShas.add(sha('db-down'))
    const h = harness({
      workspace,
      inputs: {
        provider: 'netlify',
        'netlify-auth-token': NETLIFY_TOKEN,
        'netlify-site-name': 'polls',
        'github-token': GITHUB_TOKEN,
        'database-url': `postgres://postgres@127.0.0.1:${port}/polls`,
        'fail-on-broken-links': 'false',
      },
      netlifyApiUrl: netlify.apiUrl,
      githubApiUrl: github.url,
      context: await eventContext(
        workspace,
        'push',
        { ref: 'refs/heads/main', repository: { full_name: 'octo/blog', default_branch: 'main' } },
        { GITHUB_REF: 'refs/heads/main', GITHUB_REF_NAME: 'main', GITHUB_SHA: sha('db-down') },
      ),
    })
    const error = (await h.run().catch((caught: unknown) => caught)) as Error
    expect(error.message).toContain('/polls/ answered 500')
    expect(h.summary.join('')).toMatch(/^## Deploying polls failed: /)
    // Only reads reached Netlify (the site, for its URL): no deploy was created, nothing uploaded.
    expect(netlify.calls('createSiteDeploy')).toEqual([])
    expect(netlify.calls('uploadDeployFile')).toEqual([])
    expect(netlify.state.siteByName('polls')?.publishedDeployId).toBeUndefined()
  }, 180_000)

  it('says in the comment what the log says, and an unchanged redeploy uploads nothing', async () => {
    github.state.addPullRequest('octo/blog', { number: 12, headSha: sha('one'), headRef: 'polls' })
    const workspace = await copyFixture('tutorial')
    const deploy = async () => {
      const h = harness({
        workspace,
        inputs: {
          provider: 'netlify',
          'netlify-auth-token': NETLIFY_TOKEN,
          'netlify-site-name': 'polls',
          'github-token': GITHUB_TOKEN,
          'extra-paths': '/polls/archive/',
          'fail-on-broken-links': 'false',
        },
        netlifyApiUrl: netlify.apiUrl,
        githubApiUrl: github.url,
        context: await eventContext(workspace, 'pull_request', pullRequestPayload(12, sha('one'), { headRef: 'polls' })),
      })
      await h.run()
      return h
    }
    const first = await deploy()
    expect(first.outputs.get('pages')).toBe('5')
    expect(Number(first.outputs.get('files-uploaded'))).toBeGreaterThan(0)
    const second = await deploy()
    expect(second.outputs.get('files-uploaded')).toBe('0')
    expect(second.outputs.get('files-unchanged')).toBe(second.outputs.get('files'))

    const comments = github.state.comments('octo/blog', 12)
    expect(comments).toHaveLength(1)
    const body = comments[0]?.body ?? ''
    expect(body).toContain('**Pages:** 5')
    expect(body).not.toContain('listed above')
    expect(body).not.toContain('undefined')
    // The broken extra path and the form pages: the same words in the log, the summary and the comment.
    const warnings = second.log.entries.filter((entry) => entry.level === 'warning').map((entry) => entry.message)
    const broken = warnings.find((message) => message.startsWith('1 broken link: '))
    expect(broken).toBe('1 broken link: /polls/archive/ answered 404.')
    const forms = warnings.find((message) => message.includes('<form method="post">'))
    expect(forms).toContain('/polls/1/, /polls/2/')
    for (const message of [broken!, forms!]) {
      expect(body).toContain(message.replace(/</g, '&lt;').replace(/>/g, '&gt;'))
      expect(second.summary.join('')).toContain(message.replace(/</g, '&lt;').replace(/>/g, '&gt;'))
    }
    expect(second.log.text()).toMatch(/Pull request comment (updated|unchanged): http\S+\.$/m)
    expect(second.log.text()).not.toContain('undefined')
  }, 240_000)
})
