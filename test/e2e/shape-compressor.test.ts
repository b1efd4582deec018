import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest'
import { listFiles } from '../../action-static/src/generate/checks.js'
import type { GeneratedKey } from '../../action-dokku/test/keys.js'
import { startDokkuStandin, type DokkuStandin } from '../standins/dokku/standin.js'
import { copyFixture, fixtureRepo, makeTempDir, mustSucceed, packageIndex, run, type FixtureRepo } from '../support/index.js'
import { createBed } from './cloudrun-support.js'
import { authorizedKey, baseInputs, runAction } from './dokku-support.js'
import { harness } from './static-support.js'

/**
 * django-compressor with COMPRESS_OFFLINE = True (test/fixtures/compressor): a {% compress %} page
 * renders only what `manage.py compress` wrote at build time, so each road runs it where the
 * collected static files end up, and the page answers 200 with the compressed CSS and JS:
 * - static: after collectstatic, before the crawl; the compressed files are in the output;
 * - Dokku herokuish: a generated bin/post_compile, which the buildpack runs after its collectstatic;
 * - the generated Dockerfile (Cloud Run, Dokku builder: dockerfile): RUN … compress after collectstatic.
 */

/**
 * Debian bookworm's django-compressor (4.0) cannot run `compress` with Django 4.2
 * (`requires_system_checks` must be a list since Django 4.1), so the static build runs in a
 * virtualenv over Debian's packages with the test bed index's django-compressor 4.5.1 (what pip
 * installs from PyPI), as a workflow that installs the project's requirements would.
 */
async function pythonWithCompressor(): Promise<string> {
  const dir = await makeTempDir('compressor-venv-', onTestFinished)
  const venv = path.join(dir, 'venv')
  mustSucceed(await run('/usr/bin/python3', ['-m', 'venv', '--system-site-packages', venv]), 'venv')
  mustSucceed(
    await run(
      path.join(venv, 'bin', 'pip'),
      [
        'install',
        '--quiet',
        '--disable-pip-version-check',
        '--no-deps',
        '--index-url',
        packageIndex().url,
        'django-compressor==4.5.1',
      ],
      { env: { ...process.env, PIP_CONFIG_FILE: '/dev/null' } },
    ),
    'pip install django-compressor',
  )
  return path.join(venv, 'bin', 'python')
}

const COMPRESSED_CSS = /<link rel="stylesheet" href="\/static\/(CACHE\/css\/output\.[0-9a-f]+\.css)"/
const COMPRESSED_JS = /<script src="\/static\/(CACHE\/js\/output\.[0-9a-f]+\.js)">/

describe('static: compress after collectstatic, before the crawl', () => {
  it('the dry run lists the compress step after collectstatic', async () => {
    const workspace = await copyFixture('compressor', { cleanup: onTestFinished })
    const h = harness({ workspace, inputs: { provider: 'directory', 'dry-run': 'true' } })
    expect((await h.run()).skipped).toBe('dry-run')
    const plan = h.log.text()
    const collect = plan.indexOf('python3 manage.py collectstatic --noinput')
    const compress = plan.indexOf('python3 manage.py compress --force')
    expect(collect).toBeGreaterThan(-1)
    expect(compress).toBeGreaterThan(collect)
    expect(plan).toContain('Compress {% compress %} blocks offline (COMPRESS_OFFLINE = true in brochure/settings.py:')
  })

  it('builds for real: the page renders with the compressed CSS and JS, and those files are in the output', async () => {
    const workspace = await copyFixture('compressor', { cleanup: onTestFinished })
    const h = harness({ workspace, python: await pythonWithCompressor(), inputs: { provider: 'directory' } })
    const result = await h.run()
    expect(result.generated?.check.pages).toBeGreaterThan(0)
    const site = path.join(workspace, '_site')
    const page = await readFile(path.join(site, 'index.html'), 'utf8')
    expect(page).toContain('Offline compression works')
    const css = COMPRESSED_CSS.exec(page)?.[1]
    const js = COMPRESSED_JS.exec(page)?.[1]
    expect(css, page).toBeDefined()
    expect(js, page).toBeDefined()
    const files = await listFiles(site)
    expect(files).toContain(`static/${css}`)
    expect(files).toContain(`static/${js}`)
    // Both source stylesheets are in the one compressed file.
    const compressed = await readFile(path.join(site, 'static', css!), 'utf8')
    expect(compressed).toContain('font-family')
    expect(compressed).toContain('#2a6f4e')
    // django-compressor's manifest is build bookkeeping, not site content.
    expect(files.filter((file) => file.endsWith('manifest.json'))).toEqual([])
    expect(h.log.text()).toMatch(/Compressed 2 block\(s\) from \d+ template\(s\)/)
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
    repo = await fixtureRepo('compressor')
  })
  afterAll(async () => {
    for (const fn of cleanups.reverse()) await fn()
  })

  it('dry run, herokuish: the plan adds an executable bin/post_compile running compress', async () => {
    const dry = await runAction({ repoDir: repo.dir, inputs: { ...baseInputs(dokku, key, 'brochure-plan'), 'dry-run': 'true' } })
    expect(dry.error, dry.visible).toBeUndefined()
    expect(dry.result?.outcome).toBe('planned')
    expect(dry.log.text()).toMatch(
      /\+ bin\/post_compile {2}\(COMPRESS_OFFLINE = true in brochure\/settings\.py:\d+: offline compression/,
    )
  })

  it('dry run, builder: dockerfile: the Dockerfile compresses after collectstatic and there is no bin/post_compile', async () => {
    const dry = await runAction({
      repoDir: repo.dir,
      inputs: { ...baseInputs(dokku, key, 'brochure-plan'), builder: 'dockerfile', 'dry-run': 'true' },
    })
    expect(dry.error, dry.visible).toBeUndefined()
    const plan = dry.log.text()
    expect(plan).toContain('+ Dockerfile')
    expect(plan).not.toContain('bin/post_compile')
  })

  it('herokuish, for real: the buildpack runs bin/post_compile after collectstatic and the page answers 200', async () => {
    const app = 'brochure'
    const deployed = await runAction({
      repoDir: repo.dir,
      inputs: { ...baseInputs(dokku, key, app), postgres: 'true', builder: 'herokuish', 'http-check': '/' },
    })
    expect(deployed.error, deployed.visible).toBeUndefined()
    expect(deployed.result?.outcome).toBe('deployed')
    const log = deployed.log.text()
    expect(log.indexOf('-----> Running bin/post_compile hook')).toBeGreaterThan(log.indexOf('collectstatic --noinput'))
    const page = await fetch(`${dokku.url(app)}/`)
    const body = await page.text()
    expect(page.status, body).toBe(200)
    const css = COMPRESSED_CSS.exec(body)?.[1]
    expect(css, body).toBeDefined()
    const asset = await fetch(`${dokku.url(app)}/static/${css}`)
    expect(asset.status).toBe(200)
    expect(await asset.text()).toContain('#2a6f4e')
  }, 600_000)
})

describe('Cloud Run: the generated Dockerfile', () => {
  it('dry run: RUN … compress --force right after collectstatic', async () => {
    const bed = await createBed('compressor')
    const attempt = await bed.deploy({ 'dry-run': 'true', 'project-id': 'demo-proj' })
    expect(attempt.error).toBeUndefined()
    expect(attempt.commands).toEqual([])
    const dockerfile = attempt.result?.plan?.files.find((file) => file.path === 'Dockerfile')?.content ?? ''
    const lines = dockerfile.split('\n').filter((line) => line.startsWith('RUN '))
    const collect = lines.findIndex((line) => line.endsWith('python manage.py collectstatic --noinput'))
    expect(collect).toBeGreaterThan(-1)
    expect(lines[collect + 1]).toMatch(/^RUN .* python manage\.py compress --force$/)
  })

  it('deployed for real: the image compresses at build time and the revision serves the page and the compressed CSS', async () => {
    const bed = await createBed('compressor')
    bed.gcloud.addRepository('europe-west1', 'cloud-run-source-deploy')
    const attempt = await bed.deploy({ service: 'brochure' })
    expect(attempt.error, bed.gcloud.logs()).toBeUndefined()
    const url = attempt.outputs.url as string
    const page = await bed.gcloud.fetch(`${url}/`)
    expect(page.status, page.body).toBe(200)
    const css = COMPRESSED_CSS.exec(page.body)?.[1]
    expect(css, page.body).toBeDefined()
    const asset = await bed.gcloud.fetch(`${url}/static/${css}`)
    expect(asset.status).toBe(200)
    expect(asset.body).toContain('#2a6f4e')
  }, 900_000)
})
