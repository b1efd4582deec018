/**
 * The production settings overlay on every runnable fixture, for real: Debian's Django 4.2,
 * gunicorn and this run's PostgreSQL. The overlay is generated from the model detectProject()
 * reads, written beside the settings module as in the deploy artifact, and driven only by the
 * environment overlayEnvironment() / buildEnvironment() produce — nothing about a fixture is
 * configured by hand.
 */
import { readdir } from 'node:fs/promises'
import { join, relative } from 'node:path'
import { describe, it, type TestContext } from 'vitest'
import { createDatabase, manage, mustSucceed, psql, startGunicorn, type GunicornServer } from '../support/index.js'
import { buildEnvironment, overlayEnvironment } from '../../shared/src/settings/environment.js'
import {
  deployedFixture,
  HOME_TEXT,
  RUNNABLE_FIXTURES,
  STRONG_SECRET_KEY,
  type DeployedFixture,
} from '../../shared/test/settings/deployed-fixture.js'

const LOCAL_HOSTS = ['127.0.0.1', 'localhost']

/** The environment an HTTPS platform (Cloud Run) gives the app, with the HSTS policy choices made too. */
function httpsEnvironment(fixture: DeployedFixture, databaseUrl: string, hsts = true): Record<string, string> {
  return overlayEnvironment({
    settingsModule: fixture.overlay.module,
    hosts: LOCAL_HOSTS,
    https: true,
    secretKey: STRONG_SECRET_KEY,
    databaseUrl,
    hsts: hsts ? { seconds: 31536000, includeSubdomains: true, preload: true } : undefined,
    project: fixture.model,
  })
}

/** check --deploy's warning ids, e.g. ["security.W004"]. */
function warningIds(output: string): string[] {
  return [...output.matchAll(/\((\w+\.[WE]\d+)\)/g)].map((match) => match[1] ?? '').sort()
}

async function walk(root: string, dir = root): Promise<string[]> {
  const out: string[] = []
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) out.push(...(await walk(root, path)))
    else out.push(relative(root, path))
  }
  return out
}

async function get(server: GunicornServer, path: string, headers: Record<string, string> = {}) {
  const response = await fetch(server.url + path, { redirect: 'manual', headers })
  return { status: response.status, headers: response.headers, body: Buffer.from(await response.arrayBuffer()) }
}

/** migrate → showmigrations: nothing left unapplied. */
async function migrate(ctx: TestContext, fixture: DeployedFixture, env: Record<string, string>) {
  const { DJANGO_SETTINGS_MODULE: settingsModule, ...rest } = env
  mustSucceed(
    await manage(fixture.dir, ['migrate', '--noinput'], { env: rest, settingsModule, appDir: fixture.appDir }),
    'migrate',
  )
  const plan = mustSucceed(
    await manage(fixture.dir, ['showmigrations', '--plan'], { env: rest, settingsModule, appDir: fixture.appDir }),
    'showmigrations',
  )
  ctx.expect(plan.stdout).toContain('[X]')
  ctx.expect(plan.stdout).not.toContain('[ ]')
}

describe.concurrent.each(RUNNABLE_FIXTURES)('overlay on %s', (name) => {
  it('imports cleanly with only the build environment, and does not touch the project files', async (ctx) => {
    const fixture = await deployedFixture(name, ctx.onTestFinished)
    const { DJANGO_SETTINGS_MODULE: settingsModule, ...env } = buildEnvironment(fixture.model, fixture.overlay.module)
    const script = 'import django; django.setup(); from django.conf import settings; print(settings.DEBUG, settings.STATIC_ROOT)'
    const result = mustSucceed(
      await manage(fixture.dir, ['shell', '-c', script], { env, settingsModule, appDir: fixture.appDir }),
      'import',
    )
    ctx.expect(result.stdout.trim()).toMatch(/^False \/.+$/)
    ctx.expect(fixture.overlay.file.path).toBe(fixture.overlay.repoPath)
  })

  it('passes check --deploy with no warnings when the environment says HTTPS', async (ctx) => {
    const fixture = await deployedFixture(name, ctx.onTestFinished)
    const { DJANGO_SETTINGS_MODULE: settingsModule, ...env } = httpsEnvironment(fixture, 'sqlite://:memory:')
    const check = await manage(fixture.dir, ['check', '--deploy', '--fail-level', 'WARNING'], {
      env,
      settingsModule,
      appDir: fixture.appDir,
    })
    ctx.expect(check.stderr + check.stdout).toContain('System check identified no issues (0 silenced).')
    ctx.expect(check.exitCode).toBe(0)
  })

  it('leaves only the HSTS policy warnings when subdomains and preload are not chosen', async (ctx) => {
    const fixture = await deployedFixture(name, ctx.onTestFinished)
    const { DJANGO_SETTINGS_MODULE: settingsModule, ...env } = httpsEnvironment(fixture, 'sqlite://:memory:', false)
    const check = await manage(fixture.dir, ['check', '--deploy'], { env, settingsModule, appDir: fixture.appDir })
    ctx.expect(check.exitCode).toBe(0)
    // uv (cookiecutter-style) makes both choices in its own settings, which the overlay keeps.
    const expected = name === 'uv' ? [] : ['security.W005', 'security.W021']
    ctx.expect(warningIds(check.stderr + check.stdout)).toEqual(expected)
  })

  it('leaves only the TLS warnings on an HTTP-only site (Dokku without a certificate)', async (ctx) => {
    const fixture = await deployedFixture(name, ctx.onTestFinished)
    const { DJANGO_SETTINGS_MODULE: settingsModule, ...env } = overlayEnvironment({
      settingsModule: fixture.overlay.module,
      hosts: LOCAL_HOSTS,
      https: false,
      secretKey: STRONG_SECRET_KEY,
      databaseUrl: 'sqlite://:memory:',
      project: fixture.model,
    })
    const check = await manage(fixture.dir, ['check', '--deploy'], { env, settingsModule, appDir: fixture.appDir })
    ctx.expect(check.exitCode).toBe(0)
    ctx
      .expect(warningIds(check.stderr + check.stdout))
      .toEqual(['security.W004', 'security.W008', 'security.W012', 'security.W016'])
  })

  it('migrates SQLite through DATABASE_URL', async (ctx) => {
    const fixture = await deployedFixture(name, ctx.onTestFinished)
    await migrate(ctx, fixture, httpsEnvironment(fixture, `sqlite:///${fixture.dir}/deployed.sqlite3`))
    ctx.expect(await walk(fixture.dir)).toContain('deployed.sqlite3')
  })

  it('migrates PostgreSQL, collects static files, and gunicorn serves / and a static file with DEBUG off', async (ctx) => {
    const fixture = await deployedFixture(name, ctx.onTestFinished)
    const databaseUrl = await createDatabase(`overlay_${name}`)
    const runtime = httpsEnvironment(fixture, databaseUrl)
    await migrate(ctx, fixture, runtime)
    ctx.expect(Number(await psql(databaseUrl, 'SELECT count(*) FROM django_migrations'))).toBeGreaterThan(10)

    // collectstatic as the image build runs it: the build environment only, no database, no real key.
    const { DJANGO_SETTINGS_MODULE: buildSettings, ...buildEnv } = buildEnvironment(fixture.model, fixture.overlay.module)
    mustSucceed(
      await manage(fixture.dir, ['collectstatic', '--noinput'], {
        env: buildEnv,
        settingsModule: buildSettings,
        appDir: fixture.appDir,
      }),
      'collectstatic',
    )
    const staticRoot = mustSucceed(
      await manage(fixture.dir, ['shell', '-c', 'from django.conf import settings; print(settings.STATIC_ROOT)'], {
        env: buildEnv,
        settingsModule: buildSettings,
        appDir: fixture.appDir,
      }),
      'STATIC_ROOT',
    ).stdout.trim()
    const collected = await walk(staticRoot)
    ctx.expect(collected.length).toBeGreaterThan(0)

    const { DJANGO_SETTINGS_MODULE: settingsModule, ...env } = runtime
    const server = await startGunicorn(fixture.appDir, fixture.model.wsgiApplication?.replace(/\.application$/, '') ?? '', {
      env,
      settingsModule,
      threads: 2,
      cleanup: ctx.onTestFinished,
    })
    const proxied = { 'X-Forwarded-Proto': 'https' }

    const home = await get(server, '/', proxied)
    ctx.expect(home.status, server.log()).toBe(200)
    ctx.expect(home.body.toString('utf8')).toContain(HOME_TEXT[name])
    ctx.expect(home.headers.get('strict-transport-security')).toBe('max-age=31536000; includeSubDomains; preload')
    ctx
      .expect(await psql(databaseUrl, "SELECT count(*) FROM django_session WHERE expire_date > now() - interval '1 day'"))
      .toMatch(/^\d+$/)

    // Plain HTTP is redirected to HTTPS (the proxy header is trusted, SSL redirect on).
    const plain = await get(server, '/')
    ctx.expect(plain.status).toBe(301)
    ctx.expect(plain.headers.get('location')).toMatch(/^https:\/\/127\.0\.0\.1/)

    // A static file, served by WhiteNoise from STATIC_ROOT although DEBUG is off.
    const file =
      collected.find((path) => path === 'admin/css/base.css') ??
      collected.find((path) => !path.endsWith('.gz') && path !== 'staticfiles.json')
    ctx.expect(file).toBeDefined()
    const asset = await get(server, `/static/${file}`, proxied)
    ctx.expect(asset.status, server.log()).toBe(200)
    ctx.expect(asset.headers.get('cache-control') ?? '').toMatch(/max-age=/)

    // Logging in through the TLS proxy: the CSRF origin check passes (Django sees https because of
    // the trusted X-Forwarded-Proto) and the cookies come back Secure.
    const adminEnv = { env, settingsModule, appDir: fixture.appDir }
    mustSucceed(
      await manage(fixture.dir, ['createsuperuser', '--noinput', '--username', 'deployer', '--email', 'deployer@example.com'], {
        ...adminEnv,
        env: { ...env, DJANGO_SUPERUSER_PASSWORD: 'a-long-test-password-42' },
      }),
      'createsuperuser',
    )
    const loginPath = mustSucceed(
      await manage(fixture.dir, ['shell', '-c', "from django.urls import reverse; print(reverse('admin:login'))"], adminEnv),
      'reverse',
    ).stdout.trim()
    const form = await fetch(server.url + loginPath, { headers: proxied })
    // The project may rename its cookies ("__Secure-csrftoken" in cookiecutter's settings).
    const csrfCookie = form.headers.getSetCookie().find((cookie) => /^[^=]*csrftoken=/.test(cookie)) ?? ''
    ctx.expect(csrfCookie).toMatch(/; Secure/i)
    const token = /name="csrfmiddlewaretoken" value="([^"]+)"/.exec(await form.text())?.[1] ?? ''
    const login = await fetch(server.url + loginPath, {
      method: 'POST',
      redirect: 'manual',
      headers: {
        ...proxied,
        Origin: `https://127.0.0.1:${server.port}`,
        Cookie: csrfCookie.split(';')[0] ?? '',
        'Content-Type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams({
        csrfmiddlewaretoken: token,
        username: 'deployer',
        password: 'a-long-test-password-42',
        next: '/',
      }).toString(),
    })
    ctx.expect(login.status, server.log()).toBe(302)
    ctx.expect(login.headers.getSetCookie().find((cookie) => /^[^=]*sessionid=/.test(cookie))).toMatch(/; Secure/i)

    // DEBUG really is off: an unknown page is a plain 404, not the technical debug page.
    const missing = await get(server, '/no-such-page-for-overlay-test/', proxied)
    ctx.expect(missing.status).toBe(404)
    ctx.expect(missing.body.toString('utf8')).not.toContain('URLconf')
  })
})
