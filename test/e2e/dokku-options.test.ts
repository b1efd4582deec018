import { existsSync } from 'node:fs'
import { get } from 'node:http'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { MemoryLogger } from '@django-deploy/shared/runtime'
import { Dokku } from '../../action-dokku/src/dokku/client.js'
import { connectSsh } from '../../action-dokku/src/ssh/connection.js'
import { parseHostKeys } from '../../action-dokku/src/ssh/host-keys.js'
import { readDeployKey } from '../../action-dokku/src/ssh/private-key.js'
import { fixtureRepo, freePort, type FixtureRepo } from '../support/index.js'
import { startDokkuStandin, type DokkuStandin } from '../standins/dokku/standin.js'
import type { GeneratedKey } from '../../action-dokku/test/keys.js'
import { authorizedKey, baseInputs, runAction, writeCommands } from './dokku-support.js'

/** dry-run, post-deploy commands, domains with Let's Encrypt, config removal, on the stand-in. */
const cleanups: Array<() => Promise<void> | void> = []
let dokku: DokkuStandin
let key: GeneratedKey
let repo: FixtureRepo

beforeAll(async () => {
  dokku = await startDokkuStandin({ cleanup: (fn) => cleanups.push(fn) })
  key = await authorizedKey(dokku)
  repo = await fixtureRepo('example-site')
})

afterAll(async () => {
  for (const fn of cleanups.reverse()) await fn()
})

describe('dry-run', () => {
  it('with credentials: reads the server, prints the full plan, changes nothing', async () => {
    const before = (await dokku.commands()).length
    const dry = await runAction({
      repoDir: repo.dir,
      inputs: { ...baseInputs(dokku, key, 'planned'), postgres: 'true', 'dry-run': 'true', 'post-deploy': 'createcachetable' },
    })
    expect(dry.error, dry.visible).toBeUndefined()
    expect(dry.result?.outcome).toBe('planned')
    const sent = (await dokku.commands()).slice(before)
    expect(sent.length).toBeGreaterThan(0)
    expect(writeCommands(sent)).toEqual([])
    expect(dokku.app('planned')).toBeUndefined()
    const plan = dry.log.text()
    for (const line of [
      'dokku apps:create planned',
      'dokku postgres:create planned',
      'dokku postgres:link planned planned --no-restart',
      'dokku run --no-tty planned python manage.py createcachetable',
      '+ examplesite/settings_deploy.py',
      '+ Procfile',
    ]) {
      expect(plan).toContain(line)
    }
    expect(dry.summary).toContain('Dry run: would deploy planned')
    expect(dry.outputs).toEqual({ app: 'planned' })
  })

  it('without a reachable server: plans from the inputs alone and says so', async () => {
    const closed = await freePort()
    const dry = await runAction({
      repoDir: repo.dir,
      inputs: {
        ...baseInputs(dokku, key, 'offline'),
        port: String(closed),
        'ssh-host-key': dokku.knownHosts.ed25519.replace(`:${dokku.port} `, `:${closed} `),
        'dry-run': 'true',
      },
    })
    expect(dry.error, dry.visible).toBeUndefined()
    expect(dry.log.text()).toContain("Dry run without the server's state (Could not connect to 127.0.0.1")
    expect(dry.log.text()).toContain('dokku apps:create offline')
  })
})

describe('after the deploy', () => {
  it('runs post-deploy management commands with their real exit codes', async () => {
    const inputs = { ...baseInputs(dokku, key, 'seeded'), postgres: 'true', 'post-deploy': 'seed_posts --count 3' }
    const posts = async () => ((await (await fetch(`${dokku.url('seeded')}/api/posts.json`)).json()) as { count: number }).count
    const seeded = await runAction({ repoDir: repo.dir, inputs: { ...inputs, 'post-deploy': '' } })
    expect(seeded.error, seeded.visible).toBeUndefined()
    const migrated = await posts()
    // Each run runs the commands again (it is the user's job to make them idempotent).
    const withSeed = await runAction({ repoDir: repo.dir, inputs })
    expect(withSeed.error, withSeed.visible).toBeUndefined()
    expect(await posts()).toBe(migrated + 3)
    const failing = await runAction({ repoDir: repo.dir, inputs: { ...inputs, 'post-deploy': 'migrate no_such_app' } })
    expect(failing.error).toMatchObject({
      input: 'post-deploy',
      message: expect.stringContaining("'manage.py migrate no_such_app' failed with exit code 1"),
    })
    expect(failing.log.text()).toContain("No installed app with label 'no_such_app'")
    // A failure after a good deploy: the summary says the deploy is live and how to rerun the command.
    expect(failing.summary).toMatch(/^## Deploying seeded failed: The deploy succeeded, but the post-deploy command/)
    expect(failing.summary).toMatch(
      /\*\*What now:\*\* Its output is above\. Run it by hand with: dokku run seeded python manage\.py migrate no\\_such\\_app/,
    )
  })

  it("adds domains, enables Let's Encrypt with the e-mail given, and reports the https URL", async () => {
    const inputs = {
      ...baseInputs(dokku, key, 'secure'),
      domains: 'secure.example.com',
      letsencrypt: 'true',
      'letsencrypt-email': 'ops@example.com',
    }
    const secured = await runAction({ repoDir: repo.dir, inputs })
    expect(secured.error, secured.visible).toBeUndefined()
    const app = dokku.app('secure')
    expect(app?.domains).toEqual(['secure.example.com'])
    expect(app?.letsencrypt).toBe(true)
    expect(app?.letsencryptEmail).toBe('ops@example.com')
    expect(app?.config.DJANGO_HTTPS).toBe('true')
    // With its own domains, Dokku's urls lists only them (no default vhost): they are the allowed hosts.
    expect(app?.config.ALLOWED_HOSTS).toBe('secure.example.com')
    expect(secured.outputs.url).toBe('https://secure.example.com')
    expect(secured.result?.created).toEqual(expect.arrayContaining(['domains secure.example.com', "Let's Encrypt certificate"]))
    // The site answers for that domain through the proxy (plain HTTP here: the stand-in has no certificates).
    // fetch() may not set Host; node:http can, as a browser on that domain would.
    const status = (host: string) =>
      new Promise<number>((resolve, reject) => {
        get(`${dokku.url('secure')}/`, { headers: { host } }, (response) => {
          response.resume()
          resolve(response.statusCode ?? 0)
        }).on('error', reject)
      })
    expect(await status('secure.example.com')).toBe(301) // to https://, DJANGO_HTTPS is on
    expect(await status('127.0.0.1')).toBe(400) // not an allowed host
    const again = await runAction({ repoDir: repo.dir, inputs })
    expect(again.result?.present).toEqual(
      expect.arrayContaining([
        'domains secure.example.com (already added)',
        "Let's Encrypt certificate (certificate already active)",
      ]),
    )
  })

  it('removes config keys that were taken out of the config input, and leaves keys set by hand alone', async () => {
    const inputs = { ...baseInputs(dokku, key, 'configured'), config: 'FEATURE_X=on\nTHEME=dark' }
    expect((await runAction({ repoDir: repo.dir, inputs })).error).toBeUndefined()
    // Someone sets a variable by hand on the server.
    const session = await connectSsh({
      target: { host: '127.0.0.1', port: dokku.port, user: dokku.user },
      key: readDeployKey(key.privateKey, undefined),
      hostKeys: parseHostKeys(dokku.knownHosts.ed25519, '127.0.0.1', dokku.port, false),
      readyTimeoutMs: 10_000,
      log: new MemoryLogger(),
    })
    expect((await new Dokku(session).run(['config:set', '--no-restart', 'configured', 'BY_HAND=kept'])).exitCode).toBe(0)
    session.close()
    expect(dokku.app('configured')?.config).toMatchObject({
      FEATURE_X: 'on',
      THEME: 'dark',
      DJANGO_DEPLOY_MANAGED_CONFIG: 'FEATURE_X,THEME',
    })
    const release = dokku.app('configured')?.release?.id
    const changed = await runAction({ repoDir: repo.dir, inputs: { ...inputs, config: 'THEME=light' } })
    expect(changed.error, changed.visible).toBeUndefined()
    const config = dokku.app('configured')?.config ?? {}
    expect(config.FEATURE_X).toBeUndefined()
    expect(config.THEME).toBe('light')
    expect(config.BY_HAND).toBe('kept')
    // Nothing new to build, but the environment changed: restarted, same release.
    expect(changed.result?.outcome).toBe('up-to-date')
    expect(changed.log.text()).toContain('→ Restart configured: its environment changed')
    expect(dokku.app('configured')?.release?.id).toBe(release)
  })

  it('pushing to a branch that is not the app\'s deploy branch fails with Dokku\'s "deploy did not complete"', async () => {
    const inputs = baseInputs(dokku, key, 'branchy')
    expect((await runAction({ repoDir: repo.dir, inputs })).error).toBeUndefined()
    const session = await connectSsh({
      target: { host: '127.0.0.1', port: dokku.port, user: dokku.user },
      key: readDeployKey(key.privateKey, undefined),
      hostKeys: parseHostKeys(dokku.knownHosts.ed25519, '127.0.0.1', dokku.port, false),
      readyTimeoutMs: 10_000,
      log: new MemoryLogger(),
    })
    expect((await new Dokku(session).run(['git:set', 'branchy', 'deploy-branch', 'main'])).exitCode).toBe(0)
    session.close()
    const release = dokku.app('branchy')?.release?.id
    const wrong = await runAction({ repoDir: repo.dir, inputs: { ...inputs, branch: 'feature' } })
    expect(wrong.error).toMatchObject({
      input: 'branch',
      message: expect.stringContaining('-----> WARNING: deploy did not complete, you must push to main.'),
    })
    expect(dokku.app('branchy')?.release?.id).toBe(release)
    // Without the branch input the app's own deploy branch (git:report) is used, and the deploy works.
    const right = await runAction({ repoDir: repo.dir, inputs })
    expect(right.error, right.visible).toBeUndefined()
    expect(right.log.text()).toContain('git push → branchy (main)')
  })

  it('deploys a project in a subfolder of a larger repository (working-directory)', async () => {
    const monorepo = await fixtureRepo('flat', {
      subdir: 'services/web',
      files: { 'README.md': 'a monorepo\n', 'frontend/package.json': '{}\n' },
    })
    const sub = await runAction({
      repoDir: monorepo.dir,
      inputs: { ...baseInputs(dokku, key, 'subfolder'), 'working-directory': 'services/web' },
    })
    expect(sub.error, sub.visible).toBeUndefined()
    expect((await fetch(`${dokku.url('subfolder')}/`)).status).toBe(200)
    const release = dokku.app('subfolder')?.release?.dir ?? ''
    expect(existsSync(`${release}/manage.py`)).toBe(true)
    expect(existsSync(`${release}/frontend`)).toBe(false)
    expect(sub.outputs['deployed-sha']).toBe(monorepo.head)
  })

  it('deploys a project with its own Dockerfile, Procfile and app.json as they are (WORKDIR /srv/webapp, a /health/ check)', async () => {
    const own = await fixtureRepo('with-dockerfile')
    const deployed = await runAction({
      repoDir: own.dir,
      inputs: { ...baseInputs(dokku, key, 'own-docker'), postgres: 'true', 'http-check': '/health/' },
    })
    expect(deployed.error, deployed.visible).toBeUndefined()
    expect(deployed.log.text()).toContain('-----> Building own-docker from Dockerfile')
    expect(deployed.log.text()).toContain('Running web check /health/ (web.1)')
    expect(deployed.log.text()).toContain(
      'Executing postdeploy task from app.json in ephemeral container: python manage.py clearsessions',
    )
    const release = dokku.app('own-docker')?.release
    expect(release?.codeRoot).toBe('/srv/webapp')
    // Only the overlay was generated: the repository's Dockerfile, Procfile and app.json are used as they are.
    expect(deployed.log.text()).toMatch(/generated: webapp\/settings_deploy\.py\)/)
    expect((await fetch(`${dokku.url('own-docker')}/health/`)).status).toBe(200)
  })

  it('builder: dockerfile deploys a generated Dockerfile when the repository has none', async () => {
    const flat = await fixtureRepo('flat')
    const deployed = await runAction({
      repoDir: flat.dir,
      inputs: { ...baseInputs(dokku, key, 'generated-docker'), builder: 'dockerfile' },
    })
    expect(deployed.error, deployed.visible).toBeUndefined()
    expect(deployed.log.text()).toContain('-----> Building generated-docker from Dockerfile')
    expect(deployed.log.text()).toMatch(/generated: .*Dockerfile/)
    expect(dokku.app('generated-docker')?.builderSelected).toBe('dockerfile')
    expect((await fetch(`${dokku.url('generated-docker')}/`)).status).toBe(200)
  })
})
