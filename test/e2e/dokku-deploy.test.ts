import { readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { fixtureRepo, git, psql, type FixtureRepo } from '../support/index.js'
import { startDokkuStandin, type DokkuStandin } from '../standins/dokku/standin.js'
import type { GeneratedKey } from '../../action-dokku/test/keys.js'
import { authorizedKey, baseInputs, processEnvironment, runAction, writeCommands, type ActionRun } from './dokku-support.js'

/**
 * The example site goes live on the Dokku stand-in through action-dokku, from nothing, and is
 * redeployed: every assertion about the live app is made over HTTP or against its PostgreSQL
 * database, never against our own bookkeeping.
 */
const cleanups: Array<() => Promise<void> | void> = []
let dokku: DokkuStandin
let key: GeneratedKey
let repo: FixtureRepo
let first: ActionRun
const APP = 'example'

// Values that break naive quoting: spaces, both quotes, $, =, a backslash, a newline, a tab.
const TRICKY = {
  GREETING: 'hello world "double" \'single\' $HOME $(id) `id` a=b \\ back',
  MULTILINE: 'first line\nsecond "line"\n\tthird $x',
  API_TOKEN: 'tok_9f8e7d6c5b4a$secret=value',
}
const CONFIG = `GREETING=${TRICKY.GREETING}\nMULTILINE<<EOF\n${TRICKY.MULTILINE}\nEOF\nAPI_TOKEN=${TRICKY.API_TOKEN}\n`

beforeAll(async () => {
  dokku = await startDokkuStandin({ cleanup: (fn) => cleanups.push(fn) })
  key = await authorizedKey(dokku)
  repo = await fixtureRepo('example-site')
  first = await runAction({
    repoDir: repo.dir,
    inputs: { ...baseInputs(dokku, key, APP), postgres: 'true', config: CONFIG, 'http-check': '/api/posts.json' },
  })
}, 300_000)

afterAll(async () => {
  for (const fn of cleanups.reverse()) await fn()
})

async function posts(): Promise<{ count: number; posts: Array<{ title: string }> }> {
  const response = await fetch(`${dokku.url(APP)}/api/posts.json`)
  expect(response.status).toBe(200)
  return (await response.json()) as { count: number; posts: Array<{ title: string }> }
}

describe('first deploy from nothing', () => {
  it('creates the app, its database, storage and config, and the site serves pages from PostgreSQL', async () => {
    expect(first.error, first.visible).toBeUndefined()
    expect(first.result?.outcome).toBe('deployed')
    expect(first.result?.created).toEqual(
      expect.arrayContaining([
        `app ${APP}`,
        `Postgres service ${APP}`,
        `link ${APP} → ${APP}`,
        `storage ${APP}-media at /app/storage/media`,
      ]),
    )
    expect(first.result?.present).toEqual([])

    const app = dokku.app(APP)
    const databaseUrl = app?.config.DATABASE_URL ?? ''
    expect(databaseUrl).toMatch(/^postgres:\/\//)
    // The data migrations ran in the release phase, in the service's database...
    const inDatabase = Number(await psql(databaseUrl, 'select count(*) from blog_post'))
    expect(inDatabase).toBeGreaterThan(0)
    // ...and the live site reads that database: a row added there shows up over HTTP.
    const before = await posts()
    await psql(
      databaseUrl,
      "insert into blog_post (title, slug, author_id, summary, body, published_at, is_draft, cover) select 'Straight from Postgres', 'straight-from-postgres', id, 's', '<p>b</p>', now(), false, '' from blog_author limit 1",
    )
    const live = await posts()
    expect(live.count).toBe(before.count + 1)
    expect(live.posts.map((post) => post.title)).toContain('Straight from Postgres')
    const post = await fetch(`${dokku.url(APP)}/blog/deploying-django-with-dokku/`)
    expect(post.status).toBe(200)
    expect(await post.text()).toContain('Deploying Django with Dokku')
  })

  it('sets outputs, the summary and the settings overlay environment', () => {
    expect(first.outputs).toMatchObject({ app: APP, url: dokku.url(APP), urls: JSON.stringify([dokku.url(APP)]) })
    expect(first.outputs['deployed-sha']).toBe(repo.head)
    expect(first.summary).toContain(`Deployed ${APP}`)
    expect(first.summary).toMatch(/Created by this run/)
    const config = dokku.app(APP)?.config ?? {}
    expect(config.DJANGO_SETTINGS_MODULE).toBe('examplesite.settings_deploy')
    expect(config.ALLOWED_HOSTS).toBe('127.0.0.1')
    expect(config.MEDIA_ROOT).toBe('/app/storage/media')
    expect(config.SECRET_KEY?.length).toBeGreaterThanOrEqual(50)
    expect(dokku.app(APP)?.mounts).toEqual([
      { host: path.join(dokku.root, 'lib', 'data', 'storage', `${APP}-media`), container: '/app/storage/media' },
    ])
  })

  it('delivers config values with spaces, quotes, $, newlines intact to the running app', () => {
    const pid = dokku.app(APP)?.release?.pid ?? 0
    const environment = processEnvironment(pid)
    expect(environment.GREETING).toBe(TRICKY.GREETING)
    expect(environment.MULTILINE).toBe(TRICKY.MULTILINE)
    expect(environment.API_TOKEN).toBe(TRICKY.API_TOKEN)
    // and never on a command line: config went over stdin
    expect(first.result).toBeDefined()
  })

  it('never shows a secret in logs, outputs or the summary', async () => {
    const config = dokku.app(APP)?.config ?? {}
    const secrets = [
      TRICKY.API_TOKEN,
      TRICKY.MULTILINE.split('\n')[1] ?? '',
      config.SECRET_KEY ?? '',
      new URL(config.DATABASE_URL ?? 'x://y').password,
      ...key.privateKey.split('\n').filter((line) => line.length > 20),
    ]
    for (const secret of secrets) {
      expect(secret.length).toBeGreaterThan(5)
      expect(first.visible).not.toContain(secret)
    }
    // Nothing secret reached the server's command lines either (the process list shows them).
    for (const entry of await dokku.commands()) {
      expect(entry.command).not.toContain(TRICKY.API_TOKEN)
      expect(entry.command).not.toContain(config.SECRET_KEY)
    }
  })
})

describe('redeploys', () => {
  it('a second identical run changes nothing and succeeds: Everything up-to-date', async () => {
    const before = (await dokku.commands()).length
    const releaseBefore = dokku.app(APP)?.release?.id
    const again = await runAction({
      repoDir: repo.dir,
      inputs: { ...baseInputs(dokku, key, APP), postgres: 'true', config: CONFIG },
    })
    expect(again.error, again.visible).toBeUndefined()
    expect(again.result?.outcome).toBe('up-to-date')
    expect(again.result?.created).toEqual([])
    expect(again.result?.present).toEqual(
      expect.arrayContaining([`app ${APP} (already exists)`, `Postgres service ${APP} (already exists)`, 'config (unchanged)']),
    )
    expect(dokku.app(APP)?.release?.id).toBe(releaseBefore)
    const sent = (await dokku.commands()).slice(before)
    // Only reads, and a push that found nothing to send.
    expect(writeCommands(sent)).toEqual([`git-receive-pack '/${APP}'`])
    expect(again.summary).toContain('Everything up-to-date')
    expect(again.outputs['deployed-sha']).toBe(repo.head)
  })

  it('a one-file change is redeployed, sending a small part of the first push', async () => {
    const template = path.join(repo.dir, 'templates', 'home.html')
    writeFileSync(
      template,
      readFileSync(template, 'utf8').replace('{% block content %}', '{% block content %}<!-- redeployed by the e2e test -->'),
    )
    await git(repo.dir, ['commit', '-q', '-am', 'Change one template'])
    const redeploy = await runAction({
      repoDir: repo.dir,
      inputs: { ...baseInputs(dokku, key, APP), postgres: 'true', config: CONFIG },
    })
    expect(redeploy.error, redeploy.visible).toBeUndefined()
    expect(redeploy.result?.outcome).toBe('deployed')
    const page = await (await fetch(`${dokku.url(APP)}/`)).text()
    expect(page).toContain('redeployed by the e2e test')
    const firstBytes = first.result?.pushedBytes ?? 0
    const redeployBytes = redeploy.result?.pushedBytes ?? Infinity
    expect(firstBytes).toBeGreaterThan(50_000)
    expect(redeployBytes / firstBytes, `${redeployBytes} of ${firstBytes} bytes`).toBeLessThan(0.05)
    expect(redeploy.outputs['deployed-sha']).toBe(await git(repo.dir, ['rev-parse', 'HEAD']))
  })

  it("a failing migration fails the step with Dokku's words, and the previous release keeps serving", async () => {
    const releaseBefore = dokku.app(APP)?.release?.id
    writeFileSync(
      path.join(repo.dir, 'blog', 'migrations', '0003_broken.py'),
      "from django.db import migrations\n\n\ndef fail(apps, schema_editor):\n    raise RuntimeError('this migration always fails')\n\n\nclass Migration(migrations.Migration):\n    dependencies = [('blog', '0002_initial_content')]\n    operations = [migrations.RunPython(fail)]\n",
    )
    await git(repo.dir, ['add', '-A'])
    await git(repo.dir, ['commit', '-q', '-m', 'A migration that fails'])
    const failed = await runAction({
      repoDir: repo.dir,
      inputs: { ...baseInputs(dokku, key, APP), postgres: 'true', config: CONFIG },
    })
    expect(failed.error?.message).toContain('Dokku rejected the deploy of example (pre-receive hook declined)')
    expect(failed.error?.message).toContain('Execution of release task failed: python manage.py migrate --noinput')
    expect((failed.error as { hint?: string }).hint).toContain('previous release keeps serving')
    // The job summary says it failed, why, and what is live now.
    expect(failed.summary).toMatch(/^## Deploying example failed: Dokku rejected the deploy of example/)
    expect(failed.summary).toMatch(/\*\*What now:\*\* The release task failed, so the previous release keeps serving\./)
    expect(dokku.app(APP)?.release?.id).toBe(releaseBefore)
    expect(await (await fetch(`${dokku.url(APP)}/`)).text()).toContain('redeployed by the e2e test')
    expect(failed.state['dokku-deploying-app']).toBe('')
  })
})
