import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest'
import { parseProcfile } from '@django-deploy/shared/build'
import { inputSourceFrom } from '@django-deploy/shared/inputs'
import { spawnRunner } from '@django-deploy/shared/runtime'
import { readInputs as readDokkuInputs } from '../../action-dokku/src/inputs.js'
import { prepareProject as prepareDokku } from '../../action-dokku/src/project.js'
import type { GeneratedKey } from '../../action-dokku/test/keys.js'
import { startDokkuStandin, type DokkuStandin } from '../standins/dokku/standin.js'
import { copyFixture, fixtureRepo, type FixtureRepo } from '../support/index.js'
import { createBed } from './cloudrun-support.js'
import { authorizedKey, baseInputs, runAction } from './dokku-support.js'
import { harness } from './static-support.js'

/**
 * An ASGI-only project (test/fixtures/asgi-only: ASGI_APPLICATION and asgi.py, no wsgi.py, uvicorn
 * declared): Dokku and Cloud Run serve it with gunicorn and uvicorn's worker, so its async view
 * answers from an ASGIRequest; the static build renders it with runserver. No road asks for a
 * wsgi.py any more.
 */
const WORKER = '--worker-class uvicorn.workers.UvicornWorker'
const PAGE = 'Hello from an async view'

describe('static', () => {
  it('dry run: no wsgi-not-found warning, the plan as for any project', async () => {
    const workspace = await copyFixture('asgi-only', { cleanup: onTestFinished })
    const h = harness({ workspace, inputs: { provider: 'directory', 'dry-run': 'true' } })
    expect((await h.run()).skipped).toBe('dry-run')
    const log = h.log.text()
    expect(log).not.toContain('wsgi.py')
    expect(log).toContain('python3 manage.py collectstatic --noinput')
  })

  it('builds for real through the WSGI handler Django gives every project: in-process, and over HTTP with runserver', async () => {
    for (const [generator, kind] of [
      ['auto', 'in-process'],
      ['crawl', 'runserver'],
    ] as const) {
      const workspace = await copyFixture('asgi-only', { cleanup: onTestFinished })
      const h = harness({ workspace, inputs: { provider: 'directory', generator } })
      const result = await h.run()
      expect(result.generated?.server?.kind).toBe(kind)
      const page = await readFile(path.join(workspace, '_site', 'index.html'), 'utf8')
      expect(page).toContain(PAGE)
    }
  }, 180_000)
})

describe('Dokku', () => {
  const cleanups: Array<() => Promise<void> | void> = []
  let dokku: DokkuStandin
  let key: GeneratedKey
  let repo: FixtureRepo

  beforeAll(async () => {
    dokku = await startDokkuStandin({ cleanup: (fn) => cleanups.push(fn) })
    key = await authorizedKey(dokku)
    repo = await fixtureRepo('asgi-only')
  })
  afterAll(async () => {
    for (const fn of cleanups.reverse()) await fn()
  })

  it('dry run, herokuish and dockerfile: the web process is gunicorn with the uvicorn worker; no wsgi.py asked for', async () => {
    for (const builder of ['herokuish', 'dockerfile']) {
      const dry = await runAction({
        repoDir: repo.dir,
        inputs: { ...baseInputs(dokku, key, 'async-plan'), builder, 'dry-run': 'true' },
      })
      expect(dry.error, dry.visible).toBeUndefined()
      expect(dry.result?.outcome).toBe('planned')
      const log = dry.log.text()
      expect(log).not.toContain('Add mysite/wsgi.py')
      expect(log).toContain('+ Procfile')
      // What the plan lists is what the deploy commit gets: the Procfile's web process.
      const inputs = readDokkuInputs(inputSourceFrom({ ...baseInputs(dokku, key, 'async-plan'), builder }), () => undefined)
      const prepared = await prepareDokku(inputs, repo.dir, spawnRunner, {})
      const procfile = parseProcfile(prepared.files.find((file) => file.path === 'Procfile')?.content ?? '')
      expect(procfile.web).toMatch(new RegExp(`^gunicorn asyncsite\\.asgi:application ${WORKER} `))
      expect(prepared.notes.map((note) => note.code)).toContain('asgi-only')
      expect(prepared.notes.map((note) => note.code)).not.toContain('wsgi-not-found')
    }
  })

  it('herokuish, for real: the async view answers through gunicorn and the uvicorn worker (an ASGIRequest)', async () => {
    const app = 'asyncsite'
    const deployed = await runAction({
      repoDir: repo.dir,
      inputs: { ...baseInputs(dokku, key, app), postgres: 'true', builder: 'herokuish', 'http-check': '/' },
    })
    expect(deployed.error, deployed.visible).toBeUndefined()
    expect(deployed.result?.outcome).toBe('deployed')
    const page = await fetch(`${dokku.url(app)}/`)
    const body = await page.text()
    expect(page.status, body).toBe(200)
    expect(body).toContain(PAGE)
    expect(body).toContain('ASGIRequest')
  }, 600_000)
})

describe('Cloud Run', () => {
  it('dry run: the Dockerfile CMD is gunicorn with the uvicorn worker', async () => {
    const bed = await createBed('asgi-only')
    const attempt = await bed.deploy({ 'dry-run': 'true', 'project-id': 'demo-proj' })
    expect(attempt.error).toBeUndefined()
    expect(attempt.commands).toEqual([])
    const dockerfile = attempt.result?.plan?.files.find((file) => file.path === 'Dockerfile')?.content ?? ''
    expect(dockerfile).toMatch(new RegExp(`^CMD exec gunicorn asyncsite\\.asgi:application .*${WORKER}`, 'm'))
  })

  it('deployed for real: the revision answers from an ASGIRequest', async () => {
    const bed = await createBed('asgi-only')
    bed.gcloud.addRepository('europe-west1', 'cloud-run-source-deploy')
    const attempt = await bed.deploy({ service: 'asyncsite' })
    expect(attempt.error, bed.gcloud.logs()).toBeUndefined()
    const page = await bed.gcloud.fetch(`${attempt.outputs.url as string}/`)
    expect(page.status, page.body).toBe(200)
    expect(page.body).toContain(PAGE)
    expect(page.body).toContain('ASGIRequest')
  }, 900_000)
})
