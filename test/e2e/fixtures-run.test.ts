/**
 * The fixtures in test/fixtures/ are real Django projects: this file runs each one for real
 * (manage.py check, migrate on SQLite and, where the settings read DATABASE_URL, on PostgreSQL,
 * then gunicorn), and exercises the test bed in test/support/ on the way.
 */
import { readdir, readFile, rm, stat } from 'node:fs/promises'
import { join, relative } from 'node:path'
import { afterAll, beforeAll, describe, expect, inject, it, type TestContext } from 'vitest'
import {
  FIXTURES,
  copyFixture,
  createDatabase,
  findAppDir,
  fixturePath,
  fixtureRepo,
  git,
  manage,
  mustSucceed,
  psql,
  runPython,
  startGunicorn,
  type FixtureName,
  type GunicornServer,
} from '../support/index.js'

interface RunnableFixture {
  name: FixtureName
  /** Where manage.py is, relative to the fixture root. */
  appDir: string
  wsgi: string
  /** Environment for every command, given the copy's directory (uv's settings need DATABASE_URL even for SQLite). */
  sqliteEnv?: (dir: string) => Record<string, string>
  /** Settings module for gunicorn, when not the WSGI module's default. */
  serveSettings?: string
  /** More environment for collectstatic/gunicorn (the WSGI default settings' required variables). */
  serveEnv?: Record<string, string>
  /** Run collectstatic (with the serving settings) before gunicorn: manifest storages need it. */
  collectstatic?: boolean
  /** Headers for the request to `/`. */
  headers?: Record<string, string>
  /** What `/` must contain. */
  home: string
  /** The settings read DATABASE_URL. */
  postgres: boolean
}

const RUNNABLE: RunnableFixture[] = [
  { name: 'flat', appDir: '', wsgi: 'mysite.wsgi', home: '<h1>Hello from mysite</h1>', postgres: false },
  // wsgi.py defaults to mysite.settings.production, which (like Wagtail's) sets no ALLOWED_HOSTS and
  // DEBUG = False: it answers 400 until the overlay fixes it (tested below). Serve with dev settings.
  {
    name: 'split-settings',
    appDir: '',
    wsgi: 'mysite.wsgi',
    serveSettings: 'mysite.settings.dev',
    home: '<h1>Welcome to mysite</h1>',
    postgres: false,
  },
  { name: 'nested-src', appDir: 'src', wsgi: 'config.wsgi', home: '<strong>Welcome</strong>', postgres: false },
  { name: 'poetry', appDir: '', wsgi: 'inventory.wsgi', home: '<td>Widget</td>', postgres: true },
  { name: 'pipfile', appDir: '', wsgi: 'journal.wsgi', home: 'Started a journal.', postgres: true },
  {
    name: 'uv',
    appDir: '',
    wsgi: 'config.wsgi', // defaults to config.settings.production
    sqliteEnv: (dir) => ({ DATABASE_URL: `sqlite:///${dir}/db.sqlite3` }),
    serveEnv: { DJANGO_SECRET_KEY: 'test-only-secret-key', DJANGO_ALLOWED_HOSTS: '127.0.0.1,localhost' },
    collectstatic: true,
    // production.py sets SECURE_PROXY_SSL_HEADER and SECURE_SSL_REDIRECT: look like a TLS proxy.
    headers: { 'X-Forwarded-Proto': 'https' },
    home: '<a href="/books/kindred/">Kindred</a>',
    postgres: true,
  },
  {
    name: 'with-dockerfile',
    appDir: '',
    wsgi: 'webapp.wsgi',
    home: '<li>Hello from a project with its own Dockerfile</li>',
    postgres: true,
  },
  { name: 'example-site', appDir: '', wsgi: 'examplesite.wsgi', home: '<h1>Welcome to the Example Site</h1>', postgres: false },
]

async function get(server: GunicornServer, path: string, headers: Record<string, string> = {}) {
  const response = await fetch(server.url + path, { redirect: 'manual', headers })
  return { status: response.status, headers: response.headers, text: await response.text() }
}

/** check → migrate → (collectstatic) → gunicorn → GET /, with the given database environment. */
async function runFixture(ctx: TestContext, fixture: RunnableFixture, databaseEnv: (dir: string) => Record<string, string>) {
  const dir = await copyFixture(fixture.name, { cleanup: ctx.onTestFinished })
  const appDir = join(dir, fixture.appDir)
  const env = databaseEnv(dir)

  const check = await manage(dir, ['check'], { env })
  mustSucceed(check, `${fixture.name}: manage.py check`)
  ctx.expect(check.stdout).toContain('System check identified no issues')

  mustSucceed(await manage(dir, ['migrate', '--noinput'], { env }), `${fixture.name}: manage.py migrate`)
  const plan = mustSucceed(await manage(dir, ['showmigrations', '--plan'], { env }), `${fixture.name}: showmigrations`)
  ctx.expect(plan.stdout).not.toContain('[ ]')

  const serveEnv = { ...env, ...fixture.serveEnv }
  if (fixture.collectstatic) {
    mustSucceed(
      await manage(dir, ['collectstatic', '--noinput'], {
        env: serveEnv,
        settingsModule: fixture.serveSettings ?? productionSettingsOf(fixture),
      }),
      `${fixture.name}: collectstatic`,
    )
  }
  const server = await startGunicorn(appDir, fixture.wsgi, {
    env: serveEnv,
    settingsModule: fixture.serveSettings,
    cleanup: ctx.onTestFinished,
  })
  const home = await get(server, '/', fixture.headers)
  ctx.expect(home.status, server.log()).toBe(200)
  ctx.expect(home.text).toContain(fixture.home)
  return { dir, appDir, env, server }
}

/** The module the WSGI file defaults to, for running collectstatic with the same settings gunicorn uses. */
function productionSettingsOf(fixture: RunnableFixture): string | undefined {
  return fixture.name === 'uv' ? 'config.settings.production' : undefined
}

describe.concurrent('runnable fixtures on SQLite', () => {
  for (const fixture of RUNNABLE) {
    it(`${fixture.name}: check, migrate, gunicorn serves /`, async (ctx) => {
      await runFixture(ctx, fixture, (dir) => fixture.sqliteEnv?.(dir) ?? {})
    })
  }
})

describe.concurrent('runnable fixtures on PostgreSQL (DATABASE_URL)', () => {
  for (const fixture of RUNNABLE.filter((f) => f.postgres)) {
    it(`${fixture.name}: migrate and serve / from PostgreSQL`, async (ctx) => {
      const databaseUrl = await createDatabase(fixture.name)
      ctx.expect(databaseUrl).toMatch(/^postgres:\/\/postgres@127\.0\.0\.1:\d+\/[a-z0-9_]+$/)
      const { server } = await runFixture(ctx, fixture, () => ({ DATABASE_URL: databaseUrl }))
      // The migrations really ran in PostgreSQL.
      ctx.expect(Number(await psql(databaseUrl, 'SELECT count(*) FROM django_migrations'))).toBeGreaterThan(10)
      if (fixture.name === 'poetry') ctx.expect((await get(server, '/')).text).toContain('Database: postgresql')
    })
  }
})

describe.concurrent('fixtures that are not runnable as-is', () => {
  it('split-settings: the WSGI default (production, like Wagtail) passes check but cannot serve without an overlay', async (ctx) => {
    const dir = await copyFixture('split-settings', { cleanup: ctx.onTestFinished })
    mustSucceed(await manage(dir, ['check'], { settingsModule: 'mysite.settings.production' }), 'check with production settings')
    mustSucceed(await manage(dir, ['migrate', '--noinput']), 'migrate')
    const server = await startGunicorn(dir, 'mysite.wsgi', { cleanup: ctx.onTestFinished })
    // DEBUG = False and ALLOWED_HOSTS = [] make it a DisallowedHost error, and reporting that error
    // needs the SECRET_KEY that production.py never sets: the answer is a 500, not even a 400.
    ctx.expect((await get(server, '/')).status).toBe(500)
    ctx.expect(server.log()).toContain('Invalid HTTP_HOST header')
    ctx.expect(server.log()).toContain('The SECRET_KEY setting must not be empty.')
  })

  it('uv: production settings require DJANGO_SECRET_KEY and redirect plain HTTP to HTTPS', async (ctx) => {
    const dir = await copyFixture('uv', { cleanup: ctx.onTestFinished })
    const env = { DATABASE_URL: `sqlite:///${dir}/db.sqlite3` }
    const missing = await manage(dir, ['check'], { env, settingsModule: 'config.settings.production' })
    ctx.expect(missing.exitCode).not.toBe(0)
    ctx.expect(missing.stderr).toContain('Set the DJANGO_SECRET_KEY environment variable')
    const server = await startGunicorn(dir, 'config.wsgi', {
      env: { ...env, DJANGO_SECRET_KEY: 'test-only', DJANGO_ALLOWED_HOSTS: '127.0.0.1' },
      cleanup: ctx.onTestFinished,
    })
    const plain = await get(server, '/')
    ctx.expect(plain.status).toBe(301)
    ctx.expect(plain.headers.get('location')).toBe(`https://127.0.0.1:${server.port}/`)
  })

  it('syntax-error: the settings module fails to import with a SyntaxError on line 31', async (ctx) => {
    const dir = await copyFixture('syntax-error', { cleanup: ctx.onTestFinished })
    const check = await manage(dir, ['check'])
    ctx.expect(check.exitCode).not.toBe(0)
    ctx.expect(check.stderr).toContain('brokensite/settings.py", line 31')
    ctx.expect(check.stderr).toMatch(/SyntaxError: expected ':'/)
    const compiled = await runPython(['-c', COMPILE_ALL, 'brokensite/settings.py'], { cwd: dir })
    ctx.expect(compiled.exitCode).not.toBe(0)
    ctx.expect(compiled.stderr).toContain('line 31')
    // Everything else in the project is valid Python.
    mustSucceed(
      await runPython(['-c', COMPILE_ALL, 'manage.py', 'brokensite/urls.py', 'brokensite/wsgi.py', 'brokensite/asgi.py'], {
        cwd: dir,
      }),
      'compile',
    )
  })

  it('not-django: has no manage.py anywhere', async (ctx) => {
    const files = await listFiles(fixturePath('not-django'))
    ctx.expect(files.some((f) => f.endsWith('manage.py'))).toBe(false)
    ctx.expect(files).toContain('requirements.txt')
    await ctx.expect(findAppDir(fixturePath('not-django'))).rejects.toThrow(/no manage\.py/)
  })
})

/** Compiles the files named on the command line (without writing .pyc files). */
const COMPILE_ALL = 'import sys\nfor f in sys.argv[1:]:\n    compile(open(f, encoding="utf-8").read(), f, "exec")'

async function listFiles(root: string, dir = root): Promise<string[]> {
  const out: string[] = []
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) out.push(...(await listFiles(root, path)))
    else out.push(relative(root, path))
  }
  return out
}

describe('fixture sources', () => {
  it('contain no local artifacts (databases, collected static files, bytecode)', async () => {
    const offenders: string[] = []
    for (const name of FIXTURES) {
      for (const file of await listFiles(fixturePath(name))) {
        if (/(^|\/)(db\.sqlite3|__pycache__\/|staticfiles\/)|\.pyc$/.test(file)) offenders.push(`${name}/${file}`)
      }
    }
    expect(offenders).toEqual([])
  })

  it('are valid Python everywhere except the one deliberate syntax error', async () => {
    for (const name of FIXTURES) {
      const files = (await listFiles(fixturePath(name))).filter(
        (f) => f.endsWith('.py') && !(name === 'syntax-error' && f === 'brokensite/settings.py'),
      )
      mustSucceed(await runPython(['-c', COMPILE_ALL, ...files], { cwd: fixturePath(name) }), `compile ${name}`)
    }
  })

  it('with-dockerfile: brings its own Dockerfile, .dockerignore, Procfile (web + release) and app.json', async () => {
    const dir = fixturePath('with-dockerfile')
    expect(await readFile(join(dir, 'Dockerfile'), 'utf8')).toMatch(/^FROM python:3\.11-slim$/m)
    expect((await stat(join(dir, '.dockerignore'))).isFile()).toBe(true)
    expect(await readFile(join(dir, 'Procfile'), 'utf8')).toMatch(
      /^web: gunicorn .*\nrelease: python manage.py migrate --noinput\n$/,
    )
    expect(JSON.parse(await readFile(join(dir, 'app.json'), 'utf8'))).toMatchObject({
      healthchecks: { web: [{ path: '/health/' }] },
    })
  })
})

describe('test bed', () => {
  it('fixtureRepo commits the fixture reproducibly; shallow gives a depth-1 clone', async ({ onTestFinished }) => {
    const a = await fixtureRepo('flat', { cleanup: onTestFinished })
    const b = await fixtureRepo('flat', { cleanup: onTestFinished })
    expect(a.head).toMatch(/^[0-9a-f]{40}$/)
    expect(b.head).toBe(a.head) // fixed identity and dates
    expect(await git(a.dir, ['status', '--porcelain'])).toBe('')
    expect(await git(a.dir, ['ls-files'])).toContain('mysite/settings.py')

    const shallow = await fixtureRepo('flat', { shallow: true, cleanup: onTestFinished })
    expect(await git(shallow.dir, ['rev-parse', '--is-shallow-repository'])).toBe('true')
    expect(await git(shallow.dir, ['rev-list', '--count', 'HEAD'])).toBe('1')
    expect(await git(shallow.origin as string, ['rev-list', '--count', 'HEAD'])).toBe('2')
    expect((await stat(join(shallow.dir, 'manage.py'))).isFile()).toBe(true)
  })

  it('copyFixture can nest the fixture in a subdirectory and add files', async ({ onTestFinished }) => {
    const dir = await copyFixture('nested-src', {
      subdir: 'services/web',
      files: { 'README.md': '# monorepo\n' },
      cleanup: onTestFinished,
    })
    expect(await findAppDir(dir)).toBe(join(dir, 'services/web/src'))
    expect(await readFile(join(dir, 'README.md'), 'utf8')).toBe('# monorepo\n')
  })

  it('createDatabase gives a new database each time', async () => {
    const [a, b] = await Promise.all([createDatabase('same'), createDatabase('same')])
    expect(a).not.toBe(b)
    expect(await psql(a as string, 'SELECT current_database()')).toBe(new URL(a as string).pathname.slice(1))
  })

  it('keeps copies in the run directory and records servers there until they stop', async ({ onTestFinished }) => {
    const runDir = inject('testRunDir')
    const dir = await copyFixture('flat', { cleanup: onTestFinished })
    expect(dir.startsWith(join(runDir, 'tmp') + '/')).toBe(true)
    const server = await startGunicorn(dir, 'mysite.wsgi', { cleanup: onTestFinished })
    expect((await stat(join(runDir, 'pids', String(server.pid)))).isFile()).toBe(true)
    await server.stop()
    await expect(stat(join(runDir, 'pids', String(server.pid)))).rejects.toThrow()
    await expect(fetch(server.url)).rejects.toThrow()
  })

  it('startGunicorn reports the server log when the app cannot load', async ({ onTestFinished }) => {
    const dir = await copyFixture('flat', { cleanup: onTestFinished })
    await expect(startGunicorn(dir, 'nosuchmodule.wsgi', { cleanup: onTestFinished })).rejects.toThrow(
      /exited before answering HTTP[\s\S]*No module named 'nosuchmodule'/,
    )
  })
})

// -----------------------------------------------------------------------------------------------
// The example site

interface Crawled {
  status: number
  type: string
  location?: string
  /** Every crawled page (or sitemap) that links here. */
  linkedFrom: string[]
}

/** Follow every same-origin link (href, src, srcset, sitemap <loc>) from `start`; redirects are recorded, then followed. */
async function crawl(server: GunicornServer, start: string[]): Promise<Map<string, Crawled>> {
  const origin = new URL(server.url).origin
  const seen = new Map<string, Crawled>()
  const queue = [...start]
  const queued = new Set(queue)
  const referrers = new Map<string, string[]>()
  const visit = async (path: string) => {
    const response = await fetch(origin + path, { redirect: 'manual' })
    const type = (response.headers.get('content-type') ?? '').split(';')[0] as string
    const body = await response.text()
    const location = response.headers.get('location') ?? undefined
    seen.set(path, { status: response.status, type, location, linkedFrom: referrers.get(path) ?? [] })
    const links: string[] = []
    if (location) links.push(location)
    if (type === 'text/html') {
      for (const m of body.matchAll(/\s(?:href|src)="([^"]*)"/g)) links.push(m[1] as string)
      for (const m of body.matchAll(/\ssrcset="([^"]*)"/g))
        for (const part of (m[1] as string).split(',')) links.push(part.trim().split(/\s+/)[0] as string)
    }
    if (type === 'application/xml') for (const m of body.matchAll(/<loc>([^<]*)<\/loc>/g)) links.push(m[1] as string)
    for (const link of links) {
      const url = new URL(link.replaceAll('&amp;', '&'), origin + path)
      if (url.origin !== origin || url.pathname.startsWith('/admin/')) continue
      const next = url.pathname + url.search
      const from = referrers.get(next) ?? []
      if (next !== path && !from.includes(path)) from.push(path)
      referrers.set(next, from)
      if (!queued.has(next)) {
        queued.add(next)
        queue.push(next)
      }
    }
  }
  while (queue.length > 0) await Promise.all(queue.splice(0, 4).map(visit))
  return seen
}

function htmlPages(crawled: Map<string, Crawled>): string[] {
  return [...crawled]
    .filter(([path, c]) => c.status === 200 && c.type === 'text/html' && !/^\/(static|media)\//.test(path))
    .map(([path]) => path)
}

describe.concurrent('example-site', () => {
  const NODEBUG_SETTINGS = "from .settings import *  # noqa\nDEBUG = False\nALLOWED_HOSTS = ['127.0.0.1']\n"

  // One migrated copy for the read-only tests; each starts its own gunicorn on it.
  let shared: string
  beforeAll(async () => {
    shared = await copyFixture('example-site', { files: { 'examplesite/settings_nodebug.py': NODEBUG_SETTINGS } })
    mustSucceed(await manage(shared, ['migrate', '--noinput']), 'migrate')
  })
  afterAll(async () => {
    if (shared) await rm(shared, { recursive: true, force: true })
  })

  async function serveExample(
    ctx: TestContext,
    options: { env?: Record<string, string>; files?: Record<string, string>; settingsModule?: string } = {},
  ) {
    const dir = await copyFixture('example-site', { files: options.files, cleanup: ctx.onTestFinished })
    mustSucceed(
      await manage(dir, ['migrate', '--noinput'], { env: options.env, settingsModule: options.settingsModule }),
      'migrate',
    )
    const server = await startGunicorn(dir, 'examplesite.wsgi', {
      env: options.env,
      settingsModule: options.settingsModule,
      cleanup: ctx.onTestFinished,
    })
    return { dir, server }
  }

  it('serves at least 30 distinct pages from its migrated database, with no broken links', async (ctx) => {
    const server = await startGunicorn(shared, 'examplesite.wsgi', { cleanup: ctx.onTestFinished })
    const crawled = await crawl(server, ['/'])
    const pages = htmlPages(crawled)
    ctx.expect(pages.length).toBeGreaterThanOrEqual(30)
    const broken = [...crawled].filter(([, c]) => c.status >= 400)
    ctx.expect(broken).toEqual([])
    // Both kinds of pagination, feeds, the JSON endpoint, static and media files are all linked.
    ctx
      .expect(pages)
      .toEqual(expect.arrayContaining(['/blog/page/2/', '/blog/tag/django/?page=2', '/gallery/?page=2', '/blog/author/ada/']))
    ctx.expect(crawled.get('/blog/feed/')?.type).toBe('application/rss+xml')
    ctx.expect(crawled.get('/blog/feed/atom/')?.type).toBe('application/atom+xml')
    ctx.expect(crawled.get('/api/posts.json')?.type).toBe('application/json')
    ctx.expect(crawled.get('/static/img/hero-1280.png')?.status).toBe(200) // only in a srcset
    ctx.expect(crawled.get('/media/gallery/lighthouse.png')).toMatchObject({ status: 200, type: 'image/png' })
    ctx.expect(crawled.get('/old-blog/')).toMatchObject({ status: 301, location: '/blog/' }) // linked from a post
    // No page links the colophon: only the sitemap lists it (and some posts link the sitemap).
    ctx.expect(crawled.get('/colophon/')).toMatchObject({ status: 200, linkedFrom: ['/sitemap-pages.xml'] })
    ctx.expect(crawled.has('/blog/an-unfinished-draft/')).toBe(false)
  })

  it('answers every kind of URL correctly', async (ctx) => {
    const server = await startGunicorn(shared, 'examplesite.wsgi', { cleanup: ctx.onTestFinished })
    const post = await get(server, '/blog/welcome-to-the-example-site/')
    ctx.expect(post.status).toBe(200)
    ctx.expect(post.text).toContain('<h1>Welcome to the Example Site</h1>')
    ctx.expect(post.text).toContain('src="/media/blog/covers/launch.png"')

    ctx.expect((await get(server, '/blog/page/2/')).text).toContain('Page 2 of 5')
    ctx.expect((await get(server, '/blog/page/5/')).status).toBe(200)
    ctx.expect((await get(server, '/blog/page/6/')).status).toBe(404)
    ctx.expect(await get(server, '/blog/page/1/')).toMatchObject({ status: 301 })
    ctx.expect((await get(server, '/blog/tag/django/?page=2')).text).toContain('Page 2 of 2')

    const rss = await get(server, '/blog/feed/')
    ctx.expect(rss.headers.get('content-type')).toContain('application/rss+xml')
    ctx.expect(rss.text.match(/<item>/g)).toHaveLength(20)
    ctx
      .expect((await get(server, '/blog/feed/atom/')).text)
      .toContain('<feed xml:lang="en-us" xmlns="http://www.w3.org/2005/Atom">')

    const index = await get(server, '/sitemap.xml')
    ctx.expect(index.text).toContain('<sitemapindex')
    ctx.expect(index.text.match(/<sitemap>/g)).toHaveLength(6)
    const pagesSection = await get(server, '/sitemap-pages.xml')
    ctx.expect(pagesSection.text).toContain(`<loc>${server.url}/colophon/</loc>`)
    ctx.expect((await get(server, '/colophon/')).status).toBe(200)

    const robots = await get(server, '/robots.txt')
    ctx.expect(robots.headers.get('content-type')).toBe('text/plain')
    ctx.expect(robots.text).toContain(`Sitemap: ${server.url}/sitemap.xml`)

    const api = await get(server, '/api/posts.json')
    ctx.expect(JSON.parse(api.text)).toMatchObject({ count: 24 })

    for (const [from, to] of [
      ['/old-blog/', '/blog/'],
      ['/about-us/', '/about/'],
    ] as const) {
      const redirect = await get(server, from)
      ctx.expect(redirect.status).toBe(301)
      ctx.expect(redirect.headers.get('location')).toBe(to)
    }
    ctx.expect((await get(server, '/no-such-page/')).status).toBe(404)
    ctx.expect((await get(server, '/blog/an-unfinished-draft/')).status).toBe(404)
    ctx.expect((await get(server, '/static/css/site.css')).headers.get('content-type')).toContain('text/css')
  })

  it('renders its custom 404.html when DEBUG is off', async (ctx) => {
    const server = await startGunicorn(shared, 'examplesite.wsgi', {
      settingsModule: 'examplesite.settings_nodebug',
      cleanup: ctx.onTestFinished,
    })
    const missing = await get(server, '/no-such-page/')
    ctx.expect(missing.status).toBe(404)
    ctx.expect(missing.text).toContain('<h1>Page not found</h1>')
    ctx.expect(missing.text).toContain('<body id="top" class="error-404">')
  })

  it('EXAMPLE_BROKEN_LINK=1 adds a broken internal link to the home page', async (ctx) => {
    const server = await startGunicorn(shared, 'examplesite.wsgi', {
      env: { EXAMPLE_BROKEN_LINK: '1' },
      cleanup: ctx.onTestFinished,
    })
    const crawled = await crawl(server, ['/'])
    const broken = [...crawled].filter(([, c]) => c.status === 404).map(([path, c]) => [path, c.linkedFrom])
    ctx.expect(broken).toEqual([['/blog/this-post-does-not-exist/', ['/']]])
  })

  it('loaddata example_extra and seed_posts --count add posts (sitemap sections paginate past 500 posts)', async (ctx) => {
    const dir = await copyFixture('example-site', { cleanup: ctx.onTestFinished })
    mustSucceed(await manage(dir, ['migrate', '--noinput']), 'migrate')
    for (let i = 0; i < 2; i++) {
      const loaded = mustSucceed(await manage(dir, ['loaddata', 'example_extra']), 'loaddata')
      ctx.expect(loaded.stdout).toContain('Installed 3 object(s) from 1 fixture(s)') // natural keys: twice is an update
    }
    const seeded = mustSucceed(await manage(dir, ['seed_posts', '--count', '480']), 'seed_posts')
    ctx.expect(seeded.stdout).toContain('Created 480 posts (506 published in total).')
    const server = await startGunicorn(dir, 'examplesite.wsgi', { cleanup: ctx.onTestFinished })
    ctx.expect((await get(server, '/blog/loaded-from-a-fixture/')).status).toBe(200)
    ctx.expect((await get(server, '/blog/generated-post-00480/')).text).toContain('href="/blog/generated-post-00479/"')
    ctx.expect((await get(server, '/blog/page/102/')).status).toBe(200)
    ctx.expect((await get(server, '/blog/page/103/')).status).toBe(404)
    ctx.expect((await get(server, '/sitemap.xml')).text).toContain('/sitemap-posts.xml?p=2</loc>')
  })

  it('migrates, loads and serves the same content on PostgreSQL', async (ctx) => {
    const databaseUrl = await createDatabase('example')
    const files = {
      'examplesite/settings_postgres.py':
        "import os\n\nimport dj_database_url\n\nfrom .settings import *  # noqa\n\nDATABASES = {'default': dj_database_url.parse(os.environ['DATABASE_URL'])}\n",
    }
    const env = { DATABASE_URL: databaseUrl }
    const { dir, server } = await serveExample(ctx, { files, env, settingsModule: 'examplesite.settings_postgres' })
    ctx
      .expect(
        await psql(
          databaseUrl,
          'SELECT (SELECT count(*) FROM blog_post), (SELECT count(*) FROM pages_page), (SELECT count(*) FROM gallery_photo)',
        ),
      )
      .toBe('25|3|8')
    mustSucceed(
      await manage(dir, ['loaddata', 'example_extra'], { env, settingsModule: 'examplesite.settings_postgres' }),
      'loaddata',
    )
    mustSucceed(
      await manage(dir, ['seed_posts', '--count', '30'], { env, settingsModule: 'examplesite.settings_postgres' }),
      'seed_posts',
    )
    ctx.expect(await psql(databaseUrl, 'SELECT count(*) FROM blog_post')).toBe('57')
    const pages = htmlPages(await crawl(server, ['/']))
    ctx.expect(pages.length).toBeGreaterThanOrEqual(30)
    ctx.expect(pages).toContain('/blog/loaded-from-a-fixture/')
  })

  it('collectstatic with a manifest storage resolves every url() and @import in its CSS', async (ctx) => {
    const dir = await copyFixture('example-site', {
      files: {
        'examplesite/settings_manifest.py':
          "from .settings import *  # noqa\n\nSTATIC_ROOT = BASE_DIR / 'staticfiles'\n" +
          "STORAGES = {'default': {'BACKEND': 'django.core.files.storage.FileSystemStorage'},\n" +
          "            'staticfiles': {'BACKEND': 'django.contrib.staticfiles.storage.ManifestStaticFilesStorage'}}\n",
      },
      cleanup: ctx.onTestFinished,
    })
    mustSucceed(
      await manage(dir, ['collectstatic', '--noinput'], { settingsModule: 'examplesite.settings_manifest' }),
      'collectstatic',
    )
    const manifest = JSON.parse(await readFile(join(dir, 'staticfiles', 'staticfiles.json'), 'utf8')) as {
      paths: Record<string, string>
    }
    const site = await readFile(join(dir, 'staticfiles', manifest.paths['css/site.css'] as string), 'utf8')
    ctx.expect(site).toContain(`@import url("${(manifest.paths['css/fonts.css'] as string).slice('css/'.length)}")`)
    ctx.expect(site).toContain(`url("../${manifest.paths['img/pattern.png']}")`)
    ctx
      .expect(Object.keys(manifest.paths))
      .toEqual(expect.arrayContaining(['favicon.ico', 'js/site.js', 'fonts/dejavu-sans-subset.woff', 'img/hero-1280.png']))
  })
})
