import { spawn } from 'node:child_process'
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { fixtureRepo, git, postgres, psql, run } from '../support/index.js'
import { startDokkuStandin, type DokkuStandin } from '../standins/dokku/standin.js'
import type { GeneratedKey } from '../../action-dokku/test/keys.js'
import { authorizedKey, baseInputs, pullRequestContext, runAction, writeCommands } from './dokku-support.js'

/** Review apps, refusals before any change, shallow checkouts and the deploy lock, on the stand-in. */
const cleanups: Array<() => Promise<void> | void> = []
let dokku: DokkuStandin
let key: GeneratedKey

beforeAll(async () => {
  dokku = await startDokkuStandin({ cleanup: (fn) => cleanups.push(fn) })
  key = await authorizedKey(dokku)
})

afterAll(async () => {
  for (const fn of cleanups.reverse()) await fn()
})

async function databaseExists(name: string): Promise<boolean> {
  const info = await postgres()
  return (await psql(info.adminUrl, `select count(*) from pg_database where datname = '${name}'`)) === '1'
}

describe('review apps', () => {
  it('deploys <app>-pr-<N> with its own database on a pull request, and removes both when it is closed', async () => {
    const repo = await fixtureRepo('example-site')
    const inputs = { ...baseInputs(dokku, key, 'site'), postgres: 'true', domains: 'site.example.com', 'http-check': 'true' }
    const opened = await runAction({ repoDir: repo.dir, inputs, context: pullRequestContext(7, 'opened') })
    expect(opened.error, opened.visible).toBeUndefined()
    expect(opened.outputs.app).toBe('site-pr-7')
    expect(opened.outputs.url).toBe(dokku.url('site-pr-7'))
    expect(dokku.app('site')).toBeUndefined()
    const review = dokku.app('site-pr-7')
    expect(review?.domains).toEqual([]) // the production domain is not given to a review app
    const service = dokku.service('site-pr-7')
    expect(service?.links).toEqual(['site-pr-7'])
    expect(await databaseExists(service?.database ?? '')).toBe(true)
    const api = (await (await fetch(`${dokku.url('site-pr-7')}/api/posts.json`)).json()) as { count: number }
    expect(api.count).toBeGreaterThan(0)
    expect(opened.summary).toContain('review app for PR #7')

    const closed = await runAction({ repoDir: repo.dir, inputs, context: pullRequestContext(7, 'closed') })
    expect(closed.error, closed.visible).toBeUndefined()
    expect(closed.result?.outcome).toBe('removed')
    expect(closed.result?.created).toEqual(['app site-pr-7', 'Postgres service site-pr-7'])
    expect(dokku.app('site-pr-7')).toBeUndefined()
    expect(dokku.service('site-pr-7')).toBeUndefined()
    expect(await databaseExists(service?.database ?? '')).toBe(false)
    expect((await fetch(opened.outputs.url ?? '').catch(() => undefined))?.ok ?? false).toBe(false)

    // Closing again (a re-run) finds nothing to remove and succeeds.
    const again = await runAction({
      repoDir: repo.dir,
      inputs: { ...inputs, 'review-app': 'destroy' },
      context: pullRequestContext(7, 'closed'),
    })
    expect(again.error).toBeUndefined()
    expect(again.result?.created).toEqual([])
  })
})

describe('refused before anything changes', () => {
  it('postgres: true without the dokku-postgres plugin says it must be installed as root', async () => {
    const bare = await startDokkuStandin({ plugins: [], cleanup: (fn) => cleanups.push(fn) })
    const bareKey = await authorizedKey(bare)
    const repo = await fixtureRepo('flat')
    const action = await runAction({ repoDir: repo.dir, inputs: { ...baseInputs(bare, bareKey, 'nodb'), postgres: 'true' } })
    expect(action.error).toMatchObject({
      input: 'postgres',
      message: expect.stringContaining('the dokku-postgres plugin is not installed'),
    })
    expect((action.error as { hint?: string }).hint).toContain(
      'sudo dokku plugin:install https://github.com/dokku/dokku-postgres.git postgres',
    )
    expect(writeCommands(await bare.commands())).toEqual([])
    expect(bare.app('nodb')).toBeUndefined()
  })

  it("an invalid app name is an input error naming Dokku's rule", async () => {
    const repo = await fixtureRepo('flat')
    const action = await runAction({ repoDir: repo.dir, inputs: { ...baseInputs(dokku, key, 'My_App') } })
    expect(action.error).toMatchObject({ name: 'InputError', input: 'app' })
    expect(action.error?.message).toContain('must begin with a lowercase letter or digit')
    expect((action.error as { hint?: string }).hint).toBe("Use 'my-app'.")
  })
})

describe('code delivery', () => {
  it('works from a shallow checkout (fetch-depth 1) and leaves the checkout as it was', async () => {
    const repo = await fixtureRepo('flat', { shallow: true })
    const shallowBefore = readFileSync(path.join(repo.dir, '.git', 'shallow'), 'utf8')
    const first = await runAction({ repoDir: repo.dir, inputs: baseInputs(dokku, key, 'shallow') })
    expect(first.error, first.visible).toBeUndefined()
    expect((await fetch(`${dokku.url('shallow')}/`)).status).toBe(200)
    // A second commit on top, still shallow: the deploy commit is chained onto what runs.
    writeFileSync(path.join(repo.dir, 'home', 'templates', 'home', 'index.html'), '<h1>changed</h1>\n')
    await git(repo.dir, ['commit', '-q', '-am', 'change'])
    const shallowAfterCommit = readFileSync(path.join(repo.dir, '.git', 'shallow'), 'utf8')
    const second = await runAction({ repoDir: repo.dir, inputs: baseInputs(dokku, key, 'shallow') })
    expect(second.error, second.visible).toBeUndefined()
    expect(second.result?.outcome).toBe('deployed')
    expect(await (await fetch(`${dokku.url('shallow')}/`)).text()).toContain('changed')
    // The user's repository: same branch, same HEAD, clean, and still shallow exactly as before.
    expect(readFileSync(path.join(repo.dir, '.git', 'shallow'), 'utf8')).toBe(shallowAfterCommit)
    expect(shallowAfterCommit).toBe(shallowBefore)
    expect(await git(repo.dir, ['status', '--porcelain'])).toBe('')
    expect(await git(repo.dir, ['rev-parse', '--abbrev-ref', 'HEAD'])).toBe('main')
    expect(await git(repo.dir, ['for-each-ref', '--format=%(refname)'])).not.toContain('dokku')
  })

  it('waits for a deploy lock held by another deploy, then deploys', async () => {
    const repo = await fixtureRepo('flat')
    const inputs = baseInputs(dokku, key, 'locked')
    expect((await runAction({ repoDir: repo.dir, inputs })).error).toBeUndefined()
    // Another deploy holds the lock (a live process, as Dokku's flock holder would be).
    const holder = spawn('sleep', ['60'])
    const lock = path.join(dokku.root, 'lib', 'data', 'apps', 'locked', '.deploy.lock')
    writeFileSync(lock, String(holder.pid))
    setTimeout(() => {
      rmSync(lock, { force: true })
      holder.kill()
    }, 4000)
    await git(repo.dir, ['commit', '-q', '--allow-empty', '-m', 'empty'])
    writeFileSync(path.join(repo.dir, 'README.md'), 'new file\n')
    await git(repo.dir, ['add', 'README.md'])
    await git(repo.dir, ['commit', '-q', '-m', 'add readme'])
    const waited = await runAction({ repoDir: repo.dir, inputs })
    expect(waited.error, waited.visible).toBeUndefined()
    expect(waited.log.text()).toContain('locked has a deploy lock (another deploy is running); waiting for it to finish...')
    expect(waited.result?.outcome).toBe('deployed')
    expect(waited.elapsedMs).toBeGreaterThan(3500)
    expect(existsSync(lock)).toBe(false)
    expect((await run('true', [])).exitCode).toBe(0)
  })

  it('on Dokku before 0.37 (no config:import) sends config base64-encoded with config:set --encoded, newlines intact', async () => {
    const old = await startDokkuStandin({ version: '0.36.4', cleanup: (fn) => cleanups.push(fn) })
    const oldKey = await authorizedKey(old)
    const repo = await fixtureRepo('flat')
    const value = 'line "one"\nline $two'
    const action = await runAction({
      repoDir: repo.dir,
      inputs: { ...baseInputs(old, oldKey, 'older'), config: `NOTE<<EOF\n${value}\nEOF` },
    })
    expect(action.error, action.visible).toBeUndefined()
    const sent = (await old.commands()).map((entry) => entry.command)
    expect(sent.some((command) => command.startsWith('config:set --encoded --no-restart older '))).toBe(true)
    expect(sent.some((command) => command.startsWith('config:import'))).toBe(false)
    expect(sent.join('\n')).not.toContain('line "one"')
    expect(old.app('older')?.config.NOTE).toBe(value)
  })
})
