import { existsSync } from 'node:fs'
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { startGitHubApiStandin, type GitHubApiStandin } from '../standins/github-api/server.js'
import { ACTIONS_BOT, sha } from '../standins/github-api/state.js'
import { startNetlifyStandin, type NetlifyStandin } from '../standins/netlify/server.js'
import type { Site } from '../standins/netlify/state.js'
import { makeTempDir, run } from '../support/index.js'
import { eventContext, harness, pullRequestPayload } from './static-support.js'

/**
 * When a pull request closes, action-static takes its preview down instead of building: the
 * alias's Netlify deploys are deleted (the stand-in then stops serving the alias), the preview
 * environment's GitHub deployments go inactive and the one sticky comment says so. The closing
 * runs use a working directory with no Django project and no checkout at all.
 */
const NETLIFY_TOKEN = 'nf-secret-token-5678'
const GITHUB_TOKEN = 'ghs_actions_token_5678'
let netlify: NetlifyStandin
let github: GitHubApiStandin
let blog: Site
/** Where the preview and production builds are. */
let dir: string
/** The closing runs' working directory: empty. */
let bare: string

const netlifyInputs = {
  provider: 'netlify',
  'netlify-auth-token': NETLIFY_TOKEN,
  'netlify-site-name': 'blog',
  'github-token': GITHUB_TOKEN,
}

beforeEach(async () => {
  netlify = await startNetlifyStandin()
  netlify.state.addToken(NETLIFY_TOKEN)
  netlify.state.timing.diffMs = 5
  netlify.state.timing.processMs = 5
  blog = netlify.state.addSite('blog')
  github = await startGitHubApiStandin()
  github.state.addRepo('octo/blog')
  github.state.addToken(GITHUB_TOKEN, { user: ACTIONS_BOT, installation: true })
  github.state.addPullRequest('octo/blog', { number: 7, headSha: sha('pr7-one'), headRef: 'new-theme' })
  github.state.addPullRequest('octo/blog', { number: 8, headSha: sha('pr8'), headRef: 'other' })
  dir = await makeTempDir('static-remove-preview-')
  bare = await makeTempDir('static-remove-preview-bare-')
})

afterEach(async () => {
  await netlify.close()
  await github.close()
})

async function builtSite(html: string): Promise<void> {
  await mkdir(path.join(dir, '_site'), { recursive: true })
  await writeFile(path.join(dir, '_site', 'index.html'), html)
}

async function deployPreview(number: number, head: string, html: string): Promise<void> {
  await builtSite(html)
  github.state.repo('octo/blog').knownShas.add(head)
  const run = harness({
    workspace: dir,
    inputs: { ...netlifyInputs, mode: 'deploy' },
    netlifyApiUrl: netlify.apiUrl,
    githubApiUrl: github.url,
    context: await eventContext(dir, 'pull_request', pullRequestPayload(number, head)),
  })
  await run.run()
  expect(run.outputs.get('url')).toBe(`https://pr-${number}--blog.netlify.app`)
}

async function deployProduction(html: string): Promise<string> {
  await builtSite(html)
  github.state.repo('octo/blog').knownShas.add(sha('main-tip'))
  const push = await eventContext(
    dir,
    'push',
    { ref: 'refs/heads/main', repository: { full_name: 'octo/blog', default_branch: 'main' } },
    { GITHUB_REF: 'refs/heads/main', GITHUB_SHA: sha('main-tip') },
  )
  const run = harness({
    workspace: dir,
    inputs: { ...netlifyInputs, mode: 'deploy' },
    netlifyApiUrl: netlify.apiUrl,
    githubApiUrl: github.url,
    context: push,
  })
  await run.run()
  expect(run.outputs.get('url')).toBe('https://blog.netlify.app')
  return run.outputs.get('deploy-id') ?? ''
}

async function closing(inputs: Record<string, string> = {}, options: { event?: string; fork?: boolean; number?: number } = {}) {
  const number = options.number ?? 7
  const payload = pullRequestPayload(number, sha('pr7-two'), { action: 'closed', merged: true, fork: options.fork })
  return harness({
    workspace: bare,
    inputs: { ...netlifyInputs, ...inputs },
    netlifyApiUrl: netlify.apiUrl,
    githubApiUrl: github.url,
    context: await eventContext(dir, options.event ?? 'pull_request_target', payload),
  })
}

const aliasDeploys = (alias: string) => netlify.state.deploysOf(blog).filter((deploy) => deploy.branch === alias)
const deploymentsOf = (environment: string) =>
  github.state.repo('octo/blog').deployments.filter((deployment) => deployment.environment === environment)
const statusPosts = () =>
  github.requests.filter((request) => request.method === 'POST' && /\/deployments\/\d+\/statuses$/.test(request.path))

describe('a closed pull request takes its preview down', () => {
  it('deletes every deploy of pr-7, keeps production and other previews, deactivates the deployments and edits the one comment; a second run deletes nothing', async () => {
    const production = await deployProduction('<h1>production</h1>')
    await deployPreview(7, sha('pr7-one'), '<h1>preview one</h1>')
    await deployPreview(7, sha('pr7-two'), '<h1>preview two</h1>')
    await deployPreview(8, sha('pr8'), '<h1>other preview</h1>')
    expect(aliasDeploys('pr-7')).toHaveLength(2)
    expect(deploymentsOf('pr-7 preview').map((deployment) => github.state.latestState('octo/blog', deployment.id))).toEqual([
      'inactive',
      'success',
    ])
    expect(github.state.comments('octo/blog', 7)[0]?.body).toContain('is ready')
    const created = netlify.calls('createSiteDeploy').length

    const first = await closing()
    const result = await first.run()

    // Netlify: the alias is gone, nothing else is touched, nothing was deployed.
    expect(result.removedPreview?.netlify.deleted).toHaveLength(2)
    expect(aliasDeploys('pr-7')).toEqual([])
    expect(netlify.get(blog, 'pr-7', '/').status).toBe(404)
    expect(blog.publishedDeployId).toBe(production)
    expect(netlify.get(blog, 'production', '/').body?.toString()).toBe('<h1>production</h1>')
    expect(netlify.get(blog, 'pr-8', '/').body?.toString()).toBe('<h1>other preview</h1>')
    expect(netlify.calls('createSiteDeploy')).toHaveLength(created)
    expect(netlify.calls('deleteSiteDeploy').map((request) => request.status)).toEqual([204, 204])
    expect(netlify.calls('listSiteDeploys')[0]?.query).toMatchObject({ branch: 'pr-7', page: '1', per_page: '100' })

    // GitHub: every pr-7 deployment inactive, production and pr-8 untouched; one comment, edited.
    expect(deploymentsOf('pr-7 preview').map((deployment) => github.state.latestState('octo/blog', deployment.id))).toEqual([
      'inactive',
      'inactive',
    ])
    expect(deploymentsOf('production').map((deployment) => github.state.latestState('octo/blog', deployment.id))).toEqual([
      'success',
    ])
    expect(deploymentsOf('pr-8 preview').map((deployment) => github.state.latestState('octo/blog', deployment.id))).toEqual([
      'success',
    ])
    const comments = github.state.comments('octo/blog', 7)
    expect(comments).toHaveLength(1)
    expect(comments[0]?.body).toMatch(/^<!-- django-deploy:static:blog -->/)
    expect(comments[0]?.body).toContain('Preview of blog removed')
    expect(comments[0]?.body).toContain('pull request #7 was merged')
    expect(comments[0]?.body).not.toContain('is ready')
    expect(github.state.comments('octo/blog', 8)[0]?.body).toContain('is ready')

    // No build: the working directory is as empty as it was.
    expect(await readdir(bare)).toEqual([])
    expect(first.outputs.get('url')).toBe('')
    expect(first.outputs.get('deploy-id')).toBe('')
    expect(first.outputs.get('files-uploaded')).toBe('0')
    const summary = first.summary.join('')
    expect(summary).toContain('Removed pr-7--blog.netlify.app')
    expect(summary).toContain('2 Netlify deploys of alias pr-7 deleted')

    // Again: nothing left, nothing deleted, nothing re-posted, still green.
    const statuses = statusPosts().length
    const commentWrites = github.requests.filter(
      (request) => request.method !== 'GET' && request.path.includes('/comments'),
    ).length
    const second = await closing()
    const again = await second.run()
    expect(again.removedPreview?.netlify).toMatchObject({ found: 0, deleted: [], alreadyGone: [] })
    expect(netlify.calls('deleteSiteDeploy')).toHaveLength(2)
    expect(statusPosts()).toHaveLength(statuses)
    expect(github.requests.filter((request) => request.method !== 'GET' && request.path.includes('/comments'))).toHaveLength(
      commentWrites,
    )
    expect(github.state.comments('octo/blog', 7)).toHaveLength(1)
    expect(second.log.text()).toMatch(/notice: Netlify: alias pr-7 of blog has no deploys: nothing to remove/)
    expect(second.summary.join('')).toContain('alias pr-7 had no deploys left to delete')
  })

  it('edits only an existing comment: a pull request that never had a preview gets no "removed" comment', async () => {
    await deployPreview(8, sha('pr8'), '<h1>other preview</h1>')
    github.state.addPullRequest('octo/blog', { number: 9, headSha: sha('pr9'), headRef: 'draft-idea' })
    const result = await (await closing({}, { number: 9 })).run()
    expect(result.removedPreview?.comment).toBe('none')
    expect(result.removedPreview?.netlify.deleted).toEqual([])
    expect(github.state.comments('octo/blog', 9)).toEqual([])
    expect(github.requests.filter((request) => request.method === 'POST' && request.path.endsWith('/issues/9/comments'))).toEqual(
      [],
    )
    expect(aliasDeploys('pr-8')).toHaveLength(1)
  })

  it('pages through more than 100 deploys of the alias', async () => {
    await deployPreview(7, sha('pr7-one'), '<h1>preview</h1>')
    const known = [...(aliasDeploys('pr-7')[0]?.files ?? [])]
    for (let i = 0; i < 120; i++)
      netlify.state.setFiles(netlify.state.createDeploy(blog, { draft: false, branch: 'pr-7', extra: {} }), new Map(known), false)
    expect(aliasDeploys('pr-7')).toHaveLength(121)

    const result = await (await closing({ 'pr-comment': 'false', 'github-deployment': 'false' })).run()
    expect(result.removedPreview?.netlify.deleted).toHaveLength(121)
    expect(netlify.calls('listSiteDeploys').map((request) => request.query.page)).toEqual(['1', '2'])
    expect(aliasDeploys('pr-7')).toEqual([])
  })

  it('counts a delete whose answer was lost as done when the retry finds the deploy gone', async () => {
    await deployPreview(7, sha('pr7-one'), '<h1>preview</h1>')
    netlify.fault({ operation: 'deleteSiteDeploy', action: { kind: 'drop-after' } })
    const waits: number[] = []
    const run = harness({
      workspace: bare,
      inputs: { ...netlifyInputs, 'pr-comment': 'false', 'github-deployment': 'false' },
      netlifyApiUrl: netlify.apiUrl,
      context: await eventContext(dir, 'pull_request_target', pullRequestPayload(7, sha('pr7-one'), { action: 'closed' })),
      sleep: async (ms) => void waits.push(ms),
    })
    const result = await run.run()
    expect(waits).toHaveLength(1)
    expect(netlify.calls('deleteSiteDeploy').map((request) => request.status)).toEqual([-1, 404])
    expect(result.removedPreview?.netlify.alreadyGone).toHaveLength(1)
    expect(aliasDeploys('pr-7')).toEqual([])
  })

  it("fails with Netlify's message when a delete is refused, and leaves GitHub as it was (a re-run finishes)", async () => {
    await deployPreview(7, sha('pr7-one'), '<h1>preview one</h1>')
    await deployPreview(7, sha('pr7-two'), '<h1>preview two</h1>')
    netlify.fault({
      operation: 'deleteSiteDeploy',
      action: { kind: 'status', status: 422, message: 'Deploy is locked' },
      after: 1,
    })
    const statuses = statusPosts().length
    const failing = await closing()
    await expect(failing.run()).rejects.toThrow(/Netlify answered 422 \(Deploy is locked\) when asked to delete deploy/)
    expect(failing.summary.join('')).toMatch(/failed: Netlify answered 422/)
    // Oldest first: the newest preview still serves, not an older one.
    expect(netlify.get(blog, 'pr-7', '/').body?.toString()).toBe('<h1>preview two</h1>')
    expect(statusPosts()).toHaveLength(statuses)
    expect(github.state.comments('octo/blog', 7)[0]?.body).toContain('is ready')

    await (await closing()).run()
    expect(aliasDeploys('pr-7')).toEqual([])
    expect(github.state.comments('octo/blog', 7)[0]?.body).toContain('Preview of blog removed')
  })

  it('succeeds with a notice when the site has no deploy of the alias, and never creates a missing site', async () => {
    const fresh = await (await closing({ 'github-deployment': 'false' })).run()
    expect(fresh.removedPreview?.netlify.found).toBe(0)
    expect(netlify.calls('deleteSiteDeploy')).toHaveLength(0)

    const missing = await closing({ 'netlify-site-name': 'no-such-site', 'pr-comment': 'false', 'github-deployment': 'false' })
    const result = await missing.run()
    expect(result.removedPreview?.site).toBeUndefined()
    expect(netlify.calls('createSite')).toHaveLength(0)
    expect(netlify.state.siteByName('no-such-site')).toBeUndefined()
    expect(missing.log.text()).toMatch(/notice: Netlify has no site named 'no-such-site'/)
  })
})

describe('what a closed pull request does not do', () => {
  it('mode: build has nothing to build: a notice, success, no request anywhere', async () => {
    const run = await closing({ mode: 'build' })
    const result = await run.run()
    expect(result.skipped).toMatch(/pull request #7 was closed, so there is nothing to build/)
    expect(result.generated).toBeUndefined()
    expect(netlify.requests).toHaveLength(0)
    expect(github.requests).toHaveLength(0)
    expect(run.log.text()).toMatch(/notice: Not deploying: pull request #7 was closed/)
    expect(existsSync(path.join(bare, '_site'))).toBe(false)
  })

  it('a fork pull request on pull_request (no secrets): a warning that points at pull_request_target, no request', async () => {
    const run = await closing({ 'netlify-auth-token': '', 'github-token': '' }, { event: 'pull_request', fork: true })
    const result = await run.run()
    expect(result.skipped).toMatch(/comes from a fork/)
    expect(run.log.text()).toMatch(
      /warning: Pull request #7 was merged, but this run cannot remove its preview pr-7: .*pull_request_target/,
    )
    expect(netlify.requests).toHaveLength(0)
    expect(github.requests).toHaveLength(0)
  })

  it('dry-run prints the requests it would make and changes nothing', async () => {
    await deployPreview(7, sha('pr7-one'), '<h1>preview</h1>')
    const before = { netlify: netlify.requests.length, github: github.requests.length }
    const run = await closing({ 'dry-run': 'true' })
    const result = await run.run()
    expect(result.skipped).toBe('dry-run')
    expect(netlify.requests).toHaveLength(before.netlify)
    expect(github.requests).toHaveLength(before.github)
    expect(aliasDeploys('pr-7')).toHaveLength(1)
    const log = run.log.text()
    expect(log).toContain('GET /api/v1/sites/{site_id}/deploys?branch=pr-7&page=1&per_page=100')
    expect(log).toContain('DELETE /api/v1/sites/{site_id}/deploys/{deploy_id}')
    expect(log).toContain("Mark the GitHub deployments of 'pr-7 preview' inactive")
    expect(run.summary.join('')).toContain(
      '## Dry run: would remove alias pr-7 of blog: pull request #7 was merged (nothing was changed)',
    )
  })

  it('fails before any request when the comment or the deployments need a token and there is none', async () => {
    await deployPreview(7, sha('pr7-one'), '<h1>preview</h1>')
    const before = netlify.requests.length
    const run = await closing({ 'github-token': '' })
    await expect(run.run()).rejects.toMatchObject({ input: 'github-token' })
    expect(netlify.requests).toHaveLength(before)
    expect(aliasDeploys('pr-7')).toHaveLength(1)
  })

  it('production: false keeps its meaning on a closed pull request (deploys to the alias as told)', async () => {
    await builtSite('<h1>after close</h1>')
    const run = harness({
      workspace: dir,
      inputs: { ...netlifyInputs, mode: 'deploy', production: 'false', 'pr-comment': 'false', 'github-deployment': 'false' },
      netlifyApiUrl: netlify.apiUrl,
      context: await eventContext(dir, 'pull_request_target', pullRequestPayload(7, sha('pr7-one'), { action: 'closed' })),
    })
    const result = await run.run()
    expect(result.removedPreview).toBeUndefined()
    expect(result.deployed?.url).toBe('https://pr-7--blog.netlify.app')
  })
})

describe('the bundle on a closed pull request, run the way GitHub runs it', () => {
  it('node action-static/dist/index.js in an empty workspace removes the preview and writes its outputs', async () => {
    await deployPreview(7, sha('pr7-one'), '<h1>preview</h1>')
    const outputFile = path.join(dir, 'github_output')
    const summaryFile = path.join(dir, 'step_summary')
    const eventFile = path.join(dir, 'closed.json')
    await writeFile(outputFile, '')
    await writeFile(summaryFile, '')
    await writeFile(eventFile, JSON.stringify(pullRequestPayload(7, sha('pr7-one'), { action: 'closed' })))
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      GITHUB_ACTIONS: 'true',
      GITHUB_WORKSPACE: bare,
      GITHUB_OUTPUT: outputFile,
      GITHUB_STEP_SUMMARY: summaryFile,
      GITHUB_EVENT_NAME: 'pull_request_target',
      GITHUB_EVENT_PATH: eventFile,
      GITHUB_REPOSITORY: 'octo/blog',
      GITHUB_REF: 'refs/heads/main',
      GITHUB_SHA: sha('main-tip'),
      GITHUB_RUN_ID: '4343',
      GITHUB_API_URL: github.url,
      RUNNER_TEMP: dir,
      NETLIFY_API_URL: netlify.url,
      INPUT_PROVIDER: 'netlify',
      'INPUT_NETLIFY-AUTH-TOKEN': NETLIFY_TOKEN,
      'INPUT_NETLIFY-SITE-NAME': 'blog',
      'INPUT_GITHUB-TOKEN': GITHUB_TOKEN,
      'INPUT_PR-COMMENT': 'true',
      'INPUT_GITHUB-DEPLOYMENT': 'true',
      INPUT_PRODUCTION: 'auto',
      INPUT_MODE: 'all',
      'INPUT_OUTPUT-DIR': '_site',
      INPUT_TIMEOUT: '5',
      'INPUT_DRY-RUN': 'false',
      'INPUT_WORKING-DIRECTORY': '.',
    }
    const bundle = path.resolve(import.meta.dirname, '../../action-static/dist/index.js')
    const result = await run(process.execPath, [bundle], { env, cwd: bare })
    const output = result.stdout + result.stderr
    expect(result.exitCode, output).toBe(0)
    const outputs = Object.fromEntries(
      [...(await readFile(outputFile, 'utf8')).matchAll(/^([\w-]+)<<(\S+)\n([\s\S]*?)\n?\2$/gm)].map((match) => [
        match[1],
        match[3],
      ]),
    )
    expect(outputs).toMatchObject({ url: '', 'deploy-id': '', 'files-uploaded': '0' })
    expect(aliasDeploys('pr-7')).toEqual([])
    expect(deploymentsOf('pr-7 preview').map((deployment) => github.state.latestState('octo/blog', deployment.id))).toEqual([
      'inactive',
    ])
    expect(await readFile(summaryFile, 'utf8')).toContain('Removed pr-7--blog.netlify.app')
    expect(await readdir(bare)).toEqual([])
  })
})
