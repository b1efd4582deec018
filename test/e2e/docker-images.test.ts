/**
 * Every Dockerfile shape built and run for real, on the test bed's python:3.X-slim stand-ins and
 * package index (test/README.md). The deploy artifact is assembled by the actions' own code
 * (test/e2e/docker-support.ts), `docker build` runs on it exactly as exported, and the image runs
 * with the platform's environment against this run's PostgreSQL. For each shape: the migration
 * (Cloud Run's job command, or the Procfile's release: on Dokku) migrates PostgreSQL from inside
 * the image; a page answers 200; a collected static file answers 200 through WhiteNoise (DEBUG is
 * off, and WhiteNoise's Cache-Control, which Django's own static view never sends); the server
 * runs as the unprivileged user; no secret is in the build context Docker received, in the image's
 * history or config, or in the files under /app.
 */
import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { describe, expect, it, type TestContext } from 'vitest'
import { readInputs as readDokkuInputs } from '../../action-dokku/src/inputs.js'
import { prepareProject as prepareDokku } from '../../action-dokku/src/project.js'
import { sshKeygen } from '../../action-dokku/test/keys.js'
import { assembleArtifact, disposeArtifact, exportArtifact } from '../../shared/src/artifact/index.js'
import { parseProcfile } from '../../shared/src/build/release.js'
import { inputSourceFrom } from '../../shared/src/inputs.js'
import { spawnRunner } from '../../shared/src/runtime/command.js'
import { CONTAINER_USER } from '../../shared/src/build/dockerfile.js'
import { createDatabase, makeTempDir, mustSucceed, psql, type FixtureName } from '../support/index.js'
import {
  cloudRunArtifact,
  contextSent,
  docker,
  envArgs,
  get,
  PLANTED_SECRET,
  repoWithSecrets,
  SECRET_KEY,
  startContainer,
  type Artifact,
  type ShapeOptions,
} from './docker-support.js'

/** A build installs every dependency from the index and collects static files: minutes on 2 busy cores. */
const BUILD_TIMEOUT_MS = 900_000

/** The Debian trixie stand-in every python:3.X-slim tag points at (for the context probe). */
const PROBE_BASE = 'python:3.12-slim'

/** A production settings module a user writes themselves, for settings-patch: none (flat's layout). */
const OWN_PRODUCTION_SETTINGS = `import os

import dj_database_url

from .settings import *  # noqa: F403

DEBUG = False
SECRET_KEY = os.environ["SECRET_KEY"]
ALLOWED_HOSTS = os.environ["ALLOWED_HOSTS"].split(",")
DATABASES = {"default": dj_database_url.config(conn_max_age=600)}
STATIC_ROOT = BASE_DIR / "staticfiles"  # noqa: F405
MIDDLEWARE.insert(1, "whitenoise.middleware.WhiteNoiseMiddleware")  # noqa: F405
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
`

/**
 * The tree of the deploy commit action-dokku pushes with `builder: dockerfile` and a linked
 * PostgreSQL service, and the environment Dokku gives the container (its config: DATABASE_URL
 * from the link, the action's SECRET_KEY and ALLOWED_HOSTS for the app's domain, PORT).
 */
async function dokkuArtifact(name: FixtureName, databaseUrl: string, options: ShapeOptions): Promise<Artifact> {
  const dir = await repoWithSecrets(name, options)
  const host = 'shapes.dokku.example.com'
  // Only the project is prepared here: the key is never used, but the inputs must be valid.
  const key = sshKeygen('ed25519')
  const inputs = readDokkuInputs(
    inputSourceFrom({
      host: 'dokku.example.com',
      app: 'shapes',
      'ssh-private-key': key.privateKey,
      'ssh-host-key': `dokku.example.com ${sshKeygen('ed25519').publicKey}`,
      builder: 'dockerfile',
      postgres: 'true',
      'settings-patch': options.settingsPatch ?? 'overlay',
    }),
    () => undefined,
  )
  const prepared = await prepareDokku(inputs, dir, spawnRunner, { PATH: process.env.PATH })
  const work = await makeTempDir(`${name}-commit-`, options.cleanup)
  const context = path.join(work, 'tree')
  const artifact = await assembleArtifact({ repoRoot: dir, files: prepared.files, runner: spawnRunner, tempDir: work })
  try {
    await exportArtifact({
      gitDir: artifact.gitDir,
      tree: artifact.tree,
      destination: context,
      runner: spawnRunner,
      tempDir: work,
    })
  } finally {
    await disposeArtifact(artifact)
  }
  const procfile = parseProcfile(await readFile(path.join(context, 'Procfile'), 'utf8'))
  if (!procfile.release) throw new Error(`${name}: the deploy commit's Procfile has no release: process`)
  return {
    context,
    migrate: ['sh', '-c', procfile.release],
    env: {
      DATABASE_URL: databaseUrl,
      SECRET_KEY,
      ALLOWED_HOSTS: host,
      ...(prepared.overlayModule ? { DJANGO_SETTINGS_MODULE: prepared.overlayModule } : {}),
    },
    host,
    dockerfileGenerated: prepared.builder === 'dockerfile' && !prepared.files.every((file) => file.path !== 'Dockerfile'),
  }
}

interface Expectations {
  /** A page of the app, and text it must contain. */
  page: string
  text: string
  /** The uid the server runs as: the generated image's user, or the user's Dockerfile's (any but root). */
  uid: number | 'not-root'
}

async function buildAndRun(label: string, artifact: Artifact, databaseUrl: string, expected: Expectations, ctx: TestContext) {
  // What Docker receives: no local secret file, no planted value.
  const sent = await contextSent(artifact.context, PROBE_BASE)
  expect(sent.files.some((file) => file.endsWith('manage.py'))).toBe(true)
  expect(sent.files.filter((file) => /(^|\/)(\.env(\..*)?|gha-creds-.*\.json)$/.test(file))).toEqual([])
  expect(sent.secretHits).toBe('')

  const tag = `django-deploy-e2e/${label}:${process.pid}`
  mustSucceed(await docker(['build', '--network', 'host', '-q', '-t', tag, artifact.context]), `docker build ${label}`)
  ctx.onTestFinished(async () => {
    await docker(['rmi', '-f', tag])
  })

  // The migration, in the image, with the platform's environment.
  const migrated = await docker(['run', '--rm', '--network', 'host', ...envArgs(artifact.env), tag, ...artifact.migrate])
  mustSucceed(migrated, `${label}: ${artifact.migrate.join(' ')} in the image`)
  expect(await psql(databaseUrl, "select count(*) from django_migrations where app = 'contenttypes'")).not.toBe('0')

  const container = await startContainer(tag, artifact.env, artifact.host, expected.page)
  ctx.onTestFinished(async () => {
    await docker(['rm', '-f', container.id])
  })
  expect(container.first.status, await container.logs()).toBe(200)
  expect(container.first.body).toContain(expected.text)

  // A static file the image collected, served with DEBUG off: only WhiteNoise can answer it.
  const probe = mustSucceed(
    await docker([
      'exec',
      container.id,
      'python',
      '-c',
      [
        'import os, django',
        'django.setup()',
        'from django.conf import settings',
        'root = str(settings.STATIC_ROOT)',
        'found = sorted(os.path.relpath(os.path.join(d, f), root) for d, _, fs in os.walk(root) for f in fs if f.endswith(".css"))',
        'print(settings.DEBUG, settings.STATIC_URL, found[0])',
      ].join('\n'),
    ]),
    `${label}: find a collected static file`,
  )
  const [debug, staticUrl, file] = probe.stdout.trim().split(' ')
  expect(debug).toBe('False')
  const staticPath = `/${(staticUrl ?? '').replace(/^\/|\/$/g, '')}/${file}`
  const asset = await get(container.port, staticPath, artifact.host)
  expect(asset.status, staticPath).toBe(200)
  expect(String(asset.headers['cache-control'])).toMatch(/public/)

  // The server's own process (PID 1 is gunicorn or the shell exec'ing it), not just the image's USER.
  const status = mustSucceed(await docker(['exec', container.id, 'cat', '/proc/1/status']), 'PID 1 status')
  const uid = Number(/^Uid:\s+(\d+)/m.exec(status.stdout)?.[1])
  if (expected.uid === 'not-root') expect(uid).not.toBe(0)
  else expect(uid).toBe(expected.uid)

  // Nothing secret in the image: its history, its config, the files under /app.
  const history = mustSucceed(await docker(['history', '--no-trunc', tag]), 'docker history')
  const config = mustSucceed(await docker(['image', 'inspect', tag]), 'docker image inspect')
  for (const text of [history.stdout, config.stdout]) {
    expect(text).not.toContain(SECRET_KEY)
    expect(text).not.toContain(PLANTED_SECRET)
  }
  const workdir = mustSucceed(await docker(['exec', container.id, 'pwd']), 'pwd').stdout.trim()
  const grep = await docker([
    'run',
    '--rm',
    '--network',
    'none',
    tag,
    'sh',
    '-c',
    `grep -rlF -e '${SECRET_KEY}' -e '${PLANTED_SECRET}' /app ${workdir} ; find /app ${workdir} -name '.env*' -o -name 'gha-creds-*'`,
  ])
  expect(grep.stdout.trim()).toBe('')
}

const generated = (page: string, text: string): Expectations => ({ page, text, uid: CONTAINER_USER.uid })

describe('Cloud Run: the build context action-cloudrun uploads, built and run', { timeout: BUILD_TIMEOUT_MS }, () => {
  // Fixtures meant to run as a container. Not here: syntax-error and not-django (no deploy),
  // required-env (its only purpose is that the plan stops for REDIS_URL and DJANGO_ADMIN_URL;
  // it has no page to answer), asgi-only (no static file to probe; shape-asgi-only.test.ts
  // deploys it on the gcloud stand-in).
  const cases = [
    ['flat', generated('/', 'Hello from mysite')],
    ['nested-src', generated('/', 'Welcome')],
    ['example-site', generated('/', 'Welcome to the Example Site')],
    ['tutorial', generated('/polls/', 'Favourite colour?')],
    // COMPRESS_OFFLINE: the page answers only if the image ran manage.py compress after
    // collectstatic, and the first collected .css is the compressed one (CACHE/ sorts first).
    ['compressor', generated('/', 'Offline compression works')],
  ] as const
  // split-settings pins gunicorn 20.1, which imports pkg_resources at start. The index's setuptools
  // wheel carries Debian's pkg_resources, but Debian's copy imports packaging (and more) from the
  // system instead of vendoring them as PyPI's does, so it fails with "No module named
  // 'packaging'": a gap of the stand-in index, not of the product (test/README.md).
  it.skip("split-settings: generated (gunicorn 20.1's pkg_resources needs what Debian unvendored)", () => {})
  for (const [fixture, expected] of cases) {
    it(`${fixture}: no Dockerfile in the repository (generated)`, async (ctx) => {
      const databaseUrl = await createDatabase('img')
      const artifact = await cloudRunArtifact(fixture, databaseUrl, { cleanup: ctx.onTestFinished })
      expect(artifact.dockerfileGenerated).toBe(true)
      await buildAndRun(`cloudrun-${fixture}`, artifact, databaseUrl, expected, ctx)
    })
  }

  it("with-dockerfile: the user's own Dockerfile and .dockerignore, as they are", async (ctx) => {
    const databaseUrl = await createDatabase('img')
    const artifact = await cloudRunArtifact('with-dockerfile', databaseUrl, {
      cleanup: ctx.onTestFinished,
      committedSecret: false,
    })
    expect(artifact.dockerfileGenerated).toBe(false)
    // Its own WORKDIR (/srv/webapp) is where the job's `python manage.py migrate` runs.
    await buildAndRun(
      'cloudrun-with-dockerfile',
      artifact,
      databaseUrl,
      { page: '/', text: 'Hello from a project with its own Dockerfile', uid: 'not-root' },
      ctx,
    )
  })

  it("settings-patch: none: the generated Dockerfile with the project's own production settings", async (ctx) => {
    const databaseUrl = await createDatabase('img')
    const artifact = await cloudRunArtifact('flat', databaseUrl, {
      cleanup: ctx.onTestFinished,
      settingsPatch: 'none',
      settingsModule: 'mysite.production',
      files: {
        'mysite/production.py': OWN_PRODUCTION_SETTINGS,
        'requirements.txt': 'Django>=4.2,<5\ndj-database-url\nwhitenoise\n',
      },
    })
    expect(artifact.dockerfileGenerated).toBe(true)
    // No overlay: the platform's environment carries what these settings read.
    artifact.env.ALLOWED_HOSTS = artifact.host
    await buildAndRun('cloudrun-patch-none', artifact, databaseUrl, generated('/', 'Hello from mysite'), ctx)
  })

  // pipenv verify passes, but `pipenv requirements` writes the Pipfile's source
  // (`-i https://pypi.org/simple`) into the requirements, which overrides pip.conf: the test bed
  // has nothing answering as https://pypi.org (as for Poetry below).
  it.skip('pipfile: a Pipenv project (Pipfile.lock), pipenv from the index', async (ctx) => {
    const databaseUrl = await createDatabase('img')
    const artifact = await cloudRunArtifact('pipfile', databaseUrl, { cleanup: ctx.onTestFinished })
    await buildAndRun('cloudrun-pipfile', artifact, databaseUrl, generated('/', 'Started a journal.'), ctx)
  })

  // PDM reads its index from PDM_PYPI_URL, not pip.conf: the python:3.X-slim stand-in sets both
  // (test/support/testbed/prepare.sh), as PyPI is the default of both on a real machine.
  it('pdm: a PDM project (pdm.lock), pdm from the index', async (ctx) => {
    const databaseUrl = await createDatabase('img')
    const artifact = await cloudRunArtifact('pdm', databaseUrl, { cleanup: ctx.onTestFinished })
    await buildAndRun('cloudrun-pdm', artifact, databaseUrl, generated('/', 'Recipes from a PDM project'), ctx)
  })

  // Poetry reads packages from https://pypi.org only (its PyPI repository's address is fixed in
  // its code, and pip.conf is pip's): the test bed has no stand-in at that address.
  it.skip('poetry: needs a stand-in answering as https://pypi.org (Poetry ignores pip.conf)', () => {})
  // uv is not packaged in Debian trixie, so the test bed's index has no uv to install.
  it.skip('uv: uv is not in Debian, so the index has no uv (test/README.md)', () => {})
})

describe(
  'Dokku, builder: dockerfile: the deploy commit action-dokku pushes, built and run',
  { timeout: BUILD_TIMEOUT_MS },
  () => {
    it('tutorial: requirements.txt = Django only, postgres: true: the Procfile release migrates', async (ctx) => {
      const databaseUrl = await createDatabase('img')
      const artifact = await dokkuArtifact('tutorial', databaseUrl, { cleanup: ctx.onTestFinished })
      expect(artifact.dockerfileGenerated).toBe(true)
      await buildAndRun('dokku-tutorial', artifact, databaseUrl, generated('/polls/', 'Favourite colour?'), ctx)
    })
  },
)
