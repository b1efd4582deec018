import { mkdir, readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { GitHubApiStandin } from '../standins/github-api/server.js'
import { startGitHubApiStandin } from '../standins/github-api/server.js'
import { ACTIONS_BOT, sha } from '../standins/github-api/state.js'
import { startNetlifyStandin, type NetlifyStandin } from '../standins/netlify/server.js'
import { copyFixture, makeTempDir, run } from '../support/index.js'
import { eventContext, harness, pullRequestPayload } from './static-support.js'

/**
 * action-static's whole run against the Netlify and GitHub API stand-ins: pull request previews
 * (one sticky comment, deployments), fork pull requests (build only, no secrets), the workflow_run
 * half of the fork-safe pattern, clear errors, dry runs, and the bundle run the way GitHub runs it.
 */
const NETLIFY_TOKEN = 'nf-secret-token-1234'
const GITHUB_TOKEN = 'ghs_actions_token_1234'
let netlify: NetlifyStandin
let github: GitHubApiStandin
let dir: string

beforeEach(async () => {
  netlify = await startNetlifyStandin()
  netlify.state.addToken(NETLIFY_TOKEN)
  netlify.state.timing.diffMs = 5
  netlify.state.timing.processMs = 5
  netlify.state.addSite('blog')
  github = await startGitHubApiStandin()
  github.state.addRepo('octo/blog')
  github.state.addToken(GITHUB_TOKEN, { user: ACTIONS_BOT, installation: true })
  dir = await makeTempDir('static-action-')
})

afterEach(async () => {
  await netlify.close()
  await github.close()
})

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')

async function builtSite(files: Record<string, string>, name = '_site'): Promise<void> {
  for (const [file, content] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(dir, name, file)), { recursive: true })
    await writeFile(path.join(dir, name, file), content)
  }
}

const netlifyInputs = {
  provider: 'netlify',
  'netlify-auth-token': NETLIFY_TOKEN,
  'netlify-site-name': 'blog',
  'github-token': GITHUB_TOKEN,
}

describe('pull request previews', () => {
  it('deploys to the pr-N alias, keeps one comment up to date across runs, and records transient deployments', async () => {
    github.state.addPullRequest('octo/blog', { number: 12, headSha: sha('one'), headRef: 'new-theme' })
    await builtSite({ 'index.html': '<h1>v1</h1>', '404.html': 'nope' })
    const first = harness({
      workspace: dir,
      inputs: { ...netlifyInputs, mode: 'deploy' },
      netlifyApiUrl: netlify.apiUrl,
      githubApiUrl: github.url,
      context: await eventContext(dir, 'pull_request', pullRequestPayload(12, sha('one'))),
    })
    await first.run()
    expect(first.outputs.get('url')).toBe('https://pr-12--blog.netlify.app')
    expect(first.outputs.get('files-uploaded')).toBe('2')

    await builtSite({ 'index.html': '<h1>v2</h1>' })
    github.state.repo('octo/blog').knownShas.add(sha('two')) // the author pushed again
    const second = harness({
      workspace: dir,
      inputs: { ...netlifyInputs, mode: 'deploy' },
      netlifyApiUrl: netlify.apiUrl,
      githubApiUrl: github.url,
      context: await eventContext(dir, 'pull_request', pullRequestPayload(12, sha('two'))),
    })
    await second.run()
    expect(second.outputs.get('files-uploaded')).toBe('1')
    expect(second.outputs.get('files-unchanged')).toBe('1')

    const comments = github.state.comments('octo/blog', 12)
    expect(comments).toHaveLength(1)
    expect(comments[0]?.body).toContain('https://pr-12--blog.netlify.app')
    expect(comments[0]?.body).toContain(sha('two').slice(0, 7))
    expect(comments[0]?.body).toContain('**Pages:** 1')
    expect(second.outputs.get('pages')).toBe('1')
    const deployments = github.requests.filter(
      (request) => request.method === 'POST' && request.path === '/repos/octo/blog/deployments',
    )
    expect(deployments.map((request) => request.body)).toEqual([
      expect.objectContaining({
        environment: 'pr-12 preview',
        transient_environment: true,
        production_environment: false,
        ref: sha('one'),
      }),
      expect.objectContaining({ environment: 'pr-12 preview', transient_environment: true, ref: sha('two') }),
    ])
    const blog = netlify.state.siteByName('blog')!
    expect(blog.publishedDeployId).toBeUndefined() // previews never touch production
    expect(netlify.get(blog, 'pr-12', '/').body?.toString()).toBe('<h1>v2</h1>')
    expect(second.summary.join('')).toContain('Deployed blog')
  })

  it('builds only, with a notice, for a pull request from a fork (no secrets, no Netlify, no comment)', async () => {
    const workspace = await copyFixture('flat')
    const h = harness({
      workspace,
      inputs: {
        provider: 'netlify',
        'netlify-site-name': 'blog',
        'github-token': '',
        generator: 'command',
        'build-command':
          'mkdir -p "$OUTPUT_DIR" && echo "<html><body>hi</body></html>" > "$OUTPUT_DIR/index.html" && echo missing > "$OUTPUT_DIR/404.html"',
      },
      netlifyApiUrl: netlify.apiUrl,
      githubApiUrl: github.url,
      context: await eventContext(dir, 'pull_request', pullRequestPayload(7, sha('fork'), { fork: true })),
    })
    const result = await h.run()
    expect(result.mode).toBe('build')
    expect(result.deployed).toBeUndefined()
    expect(netlify.requests).toHaveLength(0)
    expect(github.requests).toHaveLength(0)
    expect(h.log.text()).toMatch(/notice: Pull request #7 comes from a fork.*nothing was deployed/)
    expect(h.outputs.get('pages')).toBe('1')
    expect(h.outputs.has('url')).toBe(false)
    expect(h.summary.join('')).toContain('Did not deploy')
  })

  it('a dry run shows the overlay the build runs with (its real size) and where the content comes from', async () => {
    const workspace = await copyFixture('tutorial')
    const h = harness({ workspace, inputs: { provider: 'directory', 'dry-run': 'true' } })
    const result = await h.run()
    expect(result.skipped).toBe('dry-run')
    const plan = h.log.text()
    const overlay = /django_deploy_static_settings\.py \(outside the checkout, on PYTHONPATH\)\s+\(.*, (\d+) bytes\)/.exec(plan)
    expect(Number(overlay?.[1])).toBeGreaterThan(1000)
    expect(plan).toMatch(/Content +a new SQLite database, migrated/)
  })

  it('the dry run says what the run then does: the same content source and generator, with and without a committed db.sqlite3', async () => {
    for (const files of [{}, { 'db.sqlite3': '' }] as Array<Record<string, string>>) {
      const workspace = await copyFixture('tutorial', { files })
      const dry = harness({ workspace, inputs: { provider: 'directory', 'dry-run': 'true' } })
      await dry.run()
      const plan = dry.log.text()
      const real = harness({ workspace, inputs: { provider: 'directory' } })
      await real.run()
      const said = /Generator: (\w+) \((.*)\); content from (.*)\.$/m.exec(real.log.text())
      expect(said, real.log.text()).not.toBeNull()
      const [, generator, reason, content] = said as unknown as string[]
      expect(plan).toMatch(new RegExp(`Generator +${generator} \\(${escape(reason as string)}\\)`))
      expect(plan).toMatch(new RegExp(`Content +${escape(content as string)}\n`))
      expect(content).toBe('db.sqlite3' in files ? 'a copy of db.sqlite3, migrated' : 'a new SQLite database, migrated')
    }
  })

  it('a project that cannot be built still gets a failed job summary naming why', async () => {
    const workspace = await copyFixture('not-django')
    const h = harness({ workspace, inputs: { provider: 'directory' } })
    await expect(h.run()).rejects.toThrow()
    const summary = h.summary.join('')
    expect(summary).toMatch(/failed/i)
    expect(summary).toMatch(/manage\.py/)
  })
})

describe('the fork-safe workflow_run deploy', () => {
  const runPayload = (headSha: string, conclusion = 'success') => ({
    action: 'completed',
    workflow_run: {
      id: 7001,
      name: 'preview-build',
      event: 'pull_request',
      conclusion,
      head_branch: 'patch-1',
      head_sha: headSha,
      pull_requests: [],
      head_repository: { full_name: 'stranger/blog' },
    },
    repository: { full_name: 'octo/blog', default_branch: 'main' },
    sender: { login: 'stranger' },
  })

  it('finds the pull request by head SHA, deploys its alias, comments, and drops proxy rules from the artifact', async () => {
    github.state.addPullRequest('octo/blog', {
      number: 31,
      headSha: sha('fork-head'),
      headRef: 'patch-1',
      headRepo: 'stranger/blog',
    })
    await builtSite({ 'index.html': 'from a fork', _redirects: '/api/*  https://evil.example/:splat  200\n/old/  /  301\n' })
    const h = harness({
      workspace: dir,
      inputs: { ...netlifyInputs, mode: 'deploy' },
      netlifyApiUrl: netlify.apiUrl,
      githubApiUrl: github.url,
      context: await eventContext(dir, 'workflow_run', runPayload(sha('fork-head'))),
    })
    await h.run()
    expect(h.outputs.get('url')).toBe('https://pr-31--blog.netlify.app')
    expect(github.state.comments('octo/blog', 31)).toHaveLength(1)
    const redirects = await readFile(path.join(dir, '_site', '_redirects'), 'utf8')
    expect(redirects).not.toContain('evil.example')
    expect(redirects).toContain('/old/  /  301')
    expect(h.log.text()).toMatch(/warning: Dropped 1 proxy rule/)
  })

  it('does not deploy a stale build (the pull request moved on) and never publishes a PR build to production', async () => {
    github.state.addPullRequest('octo/blog', { number: 31, headSha: sha('newer'), headRef: 'patch-1', headRepo: 'stranger/blog' })
    await builtSite({ 'index.html': 'old' })
    const stale = harness({
      workspace: dir,
      inputs: { ...netlifyInputs, mode: 'deploy' },
      netlifyApiUrl: netlify.apiUrl,
      githubApiUrl: github.url,
      context: await eventContext(dir, 'workflow_run', runPayload(sha('older'))),
    })
    const result = await stale.run()
    expect(result.skipped).toMatch(/moved on/)
    expect(netlify.calls('createSiteDeploy')).toHaveLength(0)

    const production = harness({
      workspace: dir,
      inputs: { ...netlifyInputs, mode: 'deploy', production: 'true' },
      netlifyApiUrl: netlify.apiUrl,
      githubApiUrl: github.url,
      context: await eventContext(dir, 'workflow_run', runPayload(sha('newer'))),
    })
    await expect(production.run()).rejects.toMatchObject({ input: 'production' })
    expect(netlify.calls('createSiteDeploy')).toHaveLength(0)
  })
})

describe('clear errors, never a false green', () => {
  it("names netlify-auth-token for a bad token, with Netlify's message, and fails the summary", async () => {
    await builtSite({ 'index.html': 'x' })
    const h = harness({
      workspace: dir,
      inputs: {
        ...netlifyInputs,
        mode: 'deploy',
        'netlify-auth-token': 'not-a-token',
        'pr-comment': 'false',
        'github-deployment': 'false',
      },
      netlifyApiUrl: netlify.apiUrl,
      context: await eventContext(
        dir,
        'push',
        { repository: { full_name: 'octo/blog', default_branch: 'main' } },
        { GITHUB_REF: 'refs/heads/main' },
      ),
    })
    await expect(h.run()).rejects.toMatchObject({
      input: 'netlify-auth-token',
      message: expect.stringContaining('Access Denied'),
    })
    expect(h.summary.join('')).toContain('Deploying not-a-token'.replace('not-a-token', 'blog') + ' failed')
  })

  it('names netlify-site-id for an unknown site', async () => {
    await builtSite({ 'index.html': 'x' })
    const h = harness({
      workspace: dir,
      inputs: {
        provider: 'netlify',
        'netlify-auth-token': NETLIFY_TOKEN,
        'netlify-site-id': 'f00-missing',
        mode: 'deploy',
        production: 'true',
      },
      netlifyApiUrl: netlify.apiUrl,
    })
    await expect(h.run()).rejects.toMatchObject({ input: 'netlify-site-id' })
  })

  it('refuses an empty output directory', async () => {
    await builtSite({ '.keep': '' })
    const h = harness({
      workspace: dir,
      inputs: {
        provider: 'netlify',
        'netlify-auth-token': NETLIFY_TOKEN,
        'netlify-site-name': 'blog',
        mode: 'deploy',
        production: 'true',
      },
      netlifyApiUrl: netlify.apiUrl,
    })
    await expect(h.run()).rejects.toMatchObject({ input: 'output-dir', message: expect.stringContaining('no files') })
    expect(netlify.calls('createSiteDeploy')).toHaveLength(0)
  })

  it('fails before deploying when a pull request needs a comment but there is no GitHub token', async () => {
    await builtSite({ 'index.html': 'x' })
    const h = harness({
      workspace: dir,
      inputs: { ...netlifyInputs, mode: 'deploy', 'github-token': '' },
      netlifyApiUrl: netlify.apiUrl,
      githubApiUrl: github.url,
      context: await eventContext(dir, 'pull_request', pullRequestPayload(12, sha('x'))),
    })
    await expect(h.run()).rejects.toMatchObject({ input: 'github-token' })
    expect(netlify.requests).toHaveLength(0)
  })

  it('prints the plan and sends nothing on a dry run', async () => {
    await builtSite({ 'index.html': 'x', 'a.css': 'a' })
    const h = harness({
      workspace: dir,
      inputs: { ...netlifyInputs, mode: 'deploy', 'dry-run': 'true' },
      netlifyApiUrl: netlify.apiUrl,
      githubApiUrl: github.url,
      context: await eventContext(dir, 'pull_request', pullRequestPayload(12, sha('x'))),
    })
    const result = await h.run()
    expect(result.skipped).toBe('dry-run')
    expect(netlify.requests).toHaveLength(0)
    expect(github.requests).toHaveLength(0)
    expect(h.log.text()).toContain('POST /api/v1/sites/{site_id}/deploys')
    expect(h.log.text()).toContain('alias pr-12')
    expect(h.log.text()).toContain('at most 2')
    expect(h.summary.join('')).toContain('Dry run')
  })
})

describe('the bundle, run the way GitHub runs it', () => {
  it('node action-static/dist/index.js with INPUT_* variables deploys to production on a push to main and writes GITHUB_OUTPUT', async () => {
    const workspace = await copyFixture('flat')
    github.state.repo('octo/blog').knownShas.add(sha('main-tip'))
    const outputFile = path.join(dir, 'github_output')
    const summaryFile = path.join(dir, 'step_summary')
    const eventFile = path.join(dir, 'push.json')
    await writeFile(outputFile, '')
    await writeFile(summaryFile, '')
    await writeFile(
      eventFile,
      JSON.stringify({ ref: 'refs/heads/main', repository: { full_name: 'octo/blog', default_branch: 'main' } }),
    )
    const env: NodeJS.ProcessEnv = {
      PATH: `/usr/bin:/bin:${process.env.PATH ?? ''}`,
      HOME: process.env.HOME,
      GITHUB_ACTIONS: 'true',
      GITHUB_WORKSPACE: workspace,
      GITHUB_OUTPUT: outputFile,
      GITHUB_STEP_SUMMARY: summaryFile,
      GITHUB_EVENT_NAME: 'push',
      GITHUB_EVENT_PATH: eventFile,
      GITHUB_REPOSITORY: 'octo/blog',
      GITHUB_REF: 'refs/heads/main',
      GITHUB_SHA: sha('main-tip'),
      GITHUB_RUN_ID: '4242',
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
      INPUT_GENERATOR: 'auto',
      'INPUT_OUTPUT-DIR': '_site',
      'INPUT_FAIL-ON-BROKEN-LINKS': 'true',
      INPUT_TIMEOUT: '5',
      'INPUT_DRY-RUN': 'false',
      'INPUT_WORKING-DIRECTORY': '.',
    }
    const bundle = path.resolve(import.meta.dirname, '../../action-static/dist/index.js')
    const result = await run(process.execPath, [bundle], { env, cwd: workspace })
    const stdout = result.stdout + result.stderr
    expect(result.exitCode, stdout).toBe(0)
    // The token is registered for masking (::add-mask::) and appears nowhere else.
    expect(
      stdout
        .split('\n')
        .filter((line) => !line.startsWith('::add-mask::'))
        .join('\n'),
    ).not.toContain(NETLIFY_TOKEN)
    expect(stdout).toContain(`::add-mask::${NETLIFY_TOKEN}`)
    const outputs = Object.fromEntries(
      [...(await readFile(outputFile, 'utf8')).matchAll(/^([\w-]+)<<(\S+)\n([\s\S]*?)\n\2$/gm)].map((match) => [
        match[1],
        match[3],
      ]),
    )
    expect(outputs.url).toBe('https://blog.netlify.app')
    expect(outputs['deploy-url']).toMatch(/^https:\/\/[0-9a-f]{24}--blog\.netlify\.app$/)
    expect(Number(outputs.files)).toBeGreaterThan(0)
    expect(outputs['files-uploaded']).toBe(outputs.files)
    const blog = netlify.state.siteByName('blog')!
    expect(blog.publishedDeployId).toBe(outputs['deploy-id'])
    expect(await readFile(summaryFile, 'utf8')).toContain('Deployed blog to')
    const deployment = github.requests.find(
      (request) => request.method === 'POST' && request.path === '/repos/octo/blog/deployments',
    )
    expect(deployment?.body).toMatchObject({ environment: 'production', production_environment: true, ref: sha('main-tip') })
  })
})
