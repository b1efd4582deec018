import { existsSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { commit, createBed, REGION, SECRETS_FLAG, type Bed } from './cloudrun-support.js'

/**
 * action-cloudrun against the gcloud stand-in: the exact gcloud command sequence of every road
 * (first deploy, redeploy, pull-request preview, prebuilt image) and every failure the issue
 * names, plus what those commands did to the stand-in's cloud (traffic, env, uploads). Builds,
 * migrations and revisions are real containers; each failure is a real one a user can cause (a
 * requirement that does not exist, a database that does not exist, a broken template, a
 * gunicorn.conf.py that does not load).
 */
const IMAGE_REPO = `${REGION}-docker.pkg.dev/demo-proj/cloud-run-source-deploy/blog`
const WHERE = `--region ${REGION} --project demo-proj`

async function deployedBed(): Promise<{ bed: Bed; first: string }> {
  const bed = await createBed()
  bed.gcloud.addRepository(REGION, 'cloud-run-source-deploy')
  const attempt = await bed.deploy()
  expect(attempt.error).toBeUndefined()
  return { bed, first: attempt.outputs.revision as string }
}

function digestOf(commands: string[]): string {
  const match = /blog@(sha256:[0-9a-f]{64})/.exec(commands.join('\n'))
  expect(match).not.toBeNull()
  return match?.[1] as string
}

describe('action-cloudrun: deploy roads', () => {
  it('first deploy: repository created, image built, migrated as a job, deployed with predicted hosts, checked', async () => {
    const bed = await createBed()
    const attempt = await bed.deploy({ 'env-vars': 'GREETING=Hello, "world"\nLIST=a,b,c\nMULTI<<EOF\nline one\nline two\nEOF' })
    expect(attempt.error).toBeUndefined()
    const digest = digestOf(attempt.commands)
    const image = `${IMAGE_REPO}@${digest}`
    expect(attempt.commands).toEqual([
      'gcloud version --format json',
      'gcloud auth activate-service-account --key-file <work>/key.json',
      `gcloud run services describe blog ${WHERE} --format json`,
      'gcloud projects describe demo-proj --format json',
      `gcloud artifacts repositories describe cloud-run-source-deploy --location ${REGION} --project demo-proj --format json`,
      `gcloud artifacts repositories create cloud-run-source-deploy --repository-format docker --location ${REGION} --project demo-proj`,
      `gcloud builds submit <work>/context --tag ${IMAGE_REPO}:${bed.repo.head} --project demo-proj --suppress-logs --format json`,
      `gcloud run jobs deploy blog-migrate --image ${image} ${WHERE} --env-vars-file <work>/env.yaml ${SECRETS_FLAG} --command python --args=manage.py,migrate,--noinput --max-retries 0 --task-timeout 1800s --execute-now --wait --format json`,
      `gcloud run jobs executions describe ${attempt.outputs['migration-execution']} ${WHERE} --format json`,
      `gcloud run deploy blog --image ${image} ${WHERE} --env-vars-file <work>/env.yaml ${SECRETS_FLAG} --cpu-boost --allow-unauthenticated --format json`,
      `gcloud run services describe blog ${WHERE} --format json`,
    ])
    expect(attempt.outputs.url).toBe('https://blog-123456789012.europe-west1.run.app')
    expect(JSON.parse(attempt.outputs.urls as string)).toContain('https://blog-123456789012.europe-west1.run.app')
    expect(attempt.outputs.image).toBe(image)
    expect(attempt.outputs.revision).toMatch(/^blog-00001-[a-z]{3}$/)

    const calls = bed.gcloud.calls()
    // Hosts were right in the first revision: no second deploy, and Django accepts the URL.
    const env = calls.find((call) => call.argv[0] === 'run' && call.argv[1] === 'deploy')?.read?.envVarsFile as Record<
      string,
      string
    >
    expect(env.ALLOWED_HOSTS).toContain('blog-123456789012.europe-west1.run.app')
    expect(env.CSRF_TRUSTED_ORIGINS).toContain('https://blog-123456789012.europe-west1.run.app')
    expect(env.DJANGO_SETTINGS_MODULE).toBe('examplesite.settings_deploy')
    expect(env.GREETING).toBe('Hello, "world"')
    expect(env.LIST).toBe('a,b,c')
    expect(env.MULTI).toBe('line one\nline two')
    expect(await bed.gcloud.fetch(attempt.outputs.url as string)).toMatchObject({ status: 200 })
    // The migration job runs the same image with the same environment.
    const job = calls.find((call) => call.argv[1] === 'jobs' && call.argv[2] === 'deploy')
    expect(job?.read?.envVarsFile).toEqual(env)

    // Credentials: only in RUNNER_TEMP, activated in a private config, gone afterwards, never uploaded.
    const uploaded = calls.find((call) => call.argv[0] === 'builds')?.read?.uploaded as string[]
    expect(uploaded).toContain('Dockerfile')
    expect(uploaded).toContain('examplesite/settings_deploy.py')
    expect(uploaded.some((file) => /gha-creds|key\.json|\.git\//.test(file))).toBe(false)
    const activate = calls[1]
    expect(activate?.env.CLOUDSDK_CONFIG?.startsWith(bed.runnerTemp)).toBe(true)
    expect(existsSync(join(bed.gcloud.configDir, 'standin-config.json'))).toBe(false)
    expect(readdirSync(bed.runnerTemp)).toEqual([])
    expect(attempt.secrets.containsSecret(bed.keyJson)).toBe(true)
    expect(attempt.log.text()).not.toContain('PRIVATE KEY')
    expect(attempt.summaries.at(-1)).toMatchObject({ outcome: 'deployed', url: attempt.outputs.url })
  })

  it('redeploy: no --no-traffic stickiness; safe rollout deploys without traffic, checks, then moves traffic', async () => {
    const { bed, first } = await deployedBed()
    const attempt = await bed.deploy()
    expect(attempt.error).toBeUndefined()
    const image = `${IMAGE_REPO}@${digestOf(attempt.commands)}`
    expect(attempt.commands).toEqual([
      'gcloud version --format json',
      'gcloud auth activate-service-account --key-file <work>/key.json',
      `gcloud run services describe blog ${WHERE} --format json`,
      `gcloud artifacts repositories describe cloud-run-source-deploy --location ${REGION} --project demo-proj --format json`,
      `gcloud builds submit <work>/context --tag ${IMAGE_REPO}:${bed.repo.head} --project demo-proj --suppress-logs --format json`,
      `gcloud run jobs deploy blog-migrate --image ${image} ${WHERE} --env-vars-file <work>/env.yaml ${SECRETS_FLAG} --command python --args=manage.py,migrate,--noinput --max-retries 0 --task-timeout 1800s --execute-now --wait --format json`,
      `gcloud run jobs executions describe ${attempt.outputs['migration-execution']} ${WHERE} --format json`,
      `gcloud run deploy blog --image ${image} ${WHERE} --env-vars-file <work>/env.yaml ${SECRETS_FLAG} --cpu-boost --allow-unauthenticated --no-traffic --tag candidate --format json`,
      `gcloud run services update-traffic blog --to-latest ${WHERE} --format json`,
      `gcloud run services describe blog ${WHERE} --format json`,
    ])
    expect(attempt.outputs.revision).not.toBe(first)
    const served = await bed.gcloud.fetch('https://blog-123456789012.europe-west1.run.app')
    expect(served).toMatchObject({ status: 200, revision: attempt.outputs.revision })
    // The legacy URL, unknown before the first deploy, is accepted from the second one on.
    expect(await bed.gcloud.fetch(JSON.parse(attempt.outputs.urls as string)[1])).toMatchObject({ status: 200 })
  })

  it('pull request: a tagged preview without traffic, no migrations, url is that tag’s URL', async () => {
    const { bed, first } = await deployedBed()
    const other = await bed.deploy({}, { pullRequest: 3 })
    expect(other.error).toBeUndefined()
    const attempt = await bed.deploy({}, { pullRequest: 7 })
    expect(attempt.error).toBeUndefined()
    const image = `${IMAGE_REPO}@${digestOf(attempt.commands)}`
    expect(attempt.commands).toEqual([
      'gcloud version --format json',
      'gcloud auth activate-service-account --key-file <work>/key.json',
      `gcloud run services describe blog ${WHERE} --format json`,
      `gcloud artifacts repositories describe cloud-run-source-deploy --location ${REGION} --project demo-proj --format json`,
      `gcloud builds submit <work>/context --tag ${IMAGE_REPO}:${bed.repo.head} --project demo-proj --suppress-logs --format json`,
      `gcloud run deploy blog --image ${image} ${WHERE} --env-vars-file <work>/env.yaml ${SECRETS_FLAG} --cpu-boost --allow-unauthenticated --no-traffic --tag pr-7 --format json`,
      `gcloud run services describe blog ${WHERE} --format json`,
    ])
    expect(attempt.outputs.url).toMatch(/^https:\/\/pr-7---blog-[a-z0-9]+-ew\.a\.run\.app$/)
    expect(await bed.gcloud.fetch(attempt.outputs.url as string)).toMatchObject({
      status: 200,
      revision: attempt.outputs.revision,
    })
    expect(await bed.gcloud.fetch(other.outputs.url as string)).toMatchObject({ status: 200, revision: other.outputs.revision })
    // Production still serves the first revision.
    expect(await bed.gcloud.fetch('https://blog-123456789012.europe-west1.run.app')).toMatchObject({
      status: 200,
      revision: first,
    })
    expect(attempt.summaries.at(-1)?.warnings?.join(' ')).toContain('Migrations were not run')
  })

  it('a SQLite project without a database: refused before any gcloud command, with the fix; allow-sqlite or a DATABASE_URL secret deploys', async () => {
    const bed = await createBed()
    const refused = await bed.deploy({ 'allow-sqlite': 'false', secrets: '' })
    expect(refused.error?.message).toMatch(
      /^The project's database is SQLite: on Cloud Run every instance gets its own throwaway copy/,
    )
    const hint = (refused.error as { hint?: string }).hint ?? ''
    expect(hint).toContain('cloudsql-instance: PROJECT:REGION:INSTANCE and secrets: DATABASE_URL=NAME:latest')
    expect(hint).toContain('allow-sqlite: true')
    expect(refused.commands).toEqual([])
    expect(bed.gcloud.service('blog', REGION)).toBeUndefined()

    const withDatabase = await bed.deploy({
      'allow-sqlite': 'false',
      secrets: 'DATABASE_URL=blog-database-url:latest',
      'cloudsql-instance': 'demo-proj:europe-west1:main',
    })
    expect(withDatabase.error).toBeUndefined()
    expect(withDatabase.commands.some((command) => command.includes('run deploy'))).toBe(true)
  })

  it('pull request before the service exists: a clear error, nothing deployed', async () => {
    const bed = await createBed()
    const attempt = await bed.deploy({}, { pullRequest: 5 })
    expect(attempt.error?.message).toContain('cannot get a preview revision')
    expect(attempt.commands.some((command) => command.includes('run deploy'))).toBe(false)
  })

  it('prebuilt image: resolved to its digest, migrated and deployed without a build', async () => {
    // The image a user's own pipeline built and pushed: here, the one another deploy built.
    const { bed: builder } = await deployedBed()
    const built = builder.gcloud.state().builds
    const localImage = Object.values(built)[0]?.localImage as string
    const bed = await createBed()
    const digest = await bed.gcloud.addImage(`${REGION}-docker.pkg.dev/demo-proj/images/blog:v1`, localImage)
    const attempt = await bed.deploy({ image: `${REGION}-docker.pkg.dev/demo-proj/images/blog:v1` })
    expect(attempt.error, bed.gcloud.logs()).toBeUndefined()
    const image = `${REGION}-docker.pkg.dev/demo-proj/images/blog@${digest}`
    expect(attempt.commands).toEqual([
      'gcloud version --format json',
      'gcloud auth activate-service-account --key-file <work>/key.json',
      `gcloud run services describe blog ${WHERE} --format json`,
      'gcloud projects describe demo-proj --format json',
      `gcloud artifacts docker images describe ${REGION}-docker.pkg.dev/demo-proj/images/blog:v1 --project demo-proj --format json`,
      `gcloud run jobs deploy blog-migrate --image ${image} ${WHERE} --env-vars-file <work>/env.yaml ${SECRETS_FLAG} --command python --args=manage.py,migrate,--noinput --max-retries 0 --task-timeout 1800s --execute-now --wait --format json`,
      `gcloud run jobs executions describe ${attempt.outputs['migration-execution']} ${WHERE} --format json`,
      `gcloud run deploy blog --image ${image} ${WHERE} --env-vars-file <work>/env.yaml ${SECRETS_FLAG} --cpu-boost --allow-unauthenticated --format json`,
      `gcloud run services describe blog ${WHERE} --format json`,
    ])
    expect(attempt.outputs.image).toBe(image)
    expect(await bed.gcloud.fetch(attempt.outputs.url as string)).toMatchObject({
      status: 200,
      revision: attempt.outputs.revision,
    })
  })
})

describe('action-cloudrun: failures', () => {
  it('migration failure: the job fails, nothing is deployed, the execution log URL is reported', async () => {
    const { bed, first } = await deployedBed()
    // The secret now names a database that does not exist: migrate fails to connect, for real.
    bed.gcloud.addSecret('moved-database-url', bed.databaseUrl.replace(/\/[^/]+$/, '/no_such_database'))
    const attempt = await bed.deploy({ secrets: 'DATABASE_URL=moved-database-url:latest' })
    expect(attempt.error?.message).toMatch(
      /^Migrations failed \(job execution blog-migrate-[a-z]+\): Task blog-migrate-[a-z]+-task0 failed/,
    )
    const tail = attempt.commands.slice(-2)
    expect(tail[0]).toMatch(/^gcloud run jobs deploy blog-migrate /)
    expect(tail[1]).toMatch(new RegExp(`^gcloud run jobs executions describe blog-migrate-[a-z]+ ${WHERE} --format json$`))
    expect(attempt.commands.some((command) => command.startsWith('gcloud run deploy'))).toBe(false)
    expect(attempt.outputs['log-url']).toMatch(
      /^https:\/\/console\.cloud\.google\.com\/logs\/viewer\?project=demo-proj&advancedFilter=.*cloud_run_job/,
    )
    expect(await bed.gcloud.fetch('https://blog-123456789012.europe-west1.run.app')).toMatchObject({
      status: 200,
      revision: first,
    })
    expect(attempt.summaries.at(-1)).toMatchObject({ outcome: 'failed' })
    expect(bed.gcloud.logs()).toContain('database "no_such_database" does not exist')
  })

  it('build failure: the last lines of the build log and its URL, nothing migrated or deployed', async () => {
    const bed = await createBed()
    bed.gcloud.addRepository(REGION, 'cloud-run-source-deploy')
    // A typo in requirements.txt: pip in the build finds no such package in the index.
    await commit(
      bed,
      { 'requirements.txt': 'Django>=4.2,<5.0\nwhitenoise>=6.0\ngunicorn>=20.1\ndjangoo==9.9\n' },
      'Add a dependency',
    )
    const attempt = await bed.deploy()
    expect(attempt.error?.message).toMatch(/^The image build failed: build [0-9a-f-]+ completed with status "FAILURE"/)
    expect(attempt.error?.message).toContain('ERROR: No matching distribution found for djangoo==9.9')
    expect(attempt.commands.slice(-2)).toEqual([
      `gcloud builds submit <work>/context --tag ${IMAGE_REPO}:${bed.repo.head} --project demo-proj --suppress-logs --format json`,
      expect.stringMatching(/^gcloud builds log [0-9a-f-]{36} --project demo-proj$/),
    ])
    expect(attempt.outputs['log-url']).toMatch(/^https:\/\/console\.cloud\.google\.com\/cloud-build\/builds\//)
  })

  it('health check failure under safe rollout: the revision is deployed without traffic, traffic stays, the candidate tag goes', async () => {
    const { bed, first } = await deployedBed()
    // A template that does not compile: every page is Django's 500.
    await commit(bed, { 'templates/base.html': '{% load no_such_tags %}\n' }, 'Break the base template')
    const attempt = await bed.deploy()
    expect(attempt.error?.message).toMatch(/does not answer properly at https:\/\/candidate---blog-.*: HTTP 500/)
    expect((attempt.error as { hint?: string }).hint).toContain('Traffic was not moved')
    expect((attempt.error as { hint?: string }).hint).toContain('The tag candidate this rollout added was removed.')
    expect(attempt.commands.slice(-3)).toEqual([
      expect.stringMatching(/^gcloud run deploy blog .* --no-traffic --tag candidate --format json$/),
      expect.stringMatching(new RegExp(`^gcloud run revisions describe blog-00002-[a-z]{3} ${WHERE} --format json$`)),
      `gcloud run services update-traffic blog --remove-tags candidate ${WHERE} --format json`,
    ])
    expect(attempt.commands.some((command) => command.includes('--to-latest'))).toBe(false)
    expect(bed.gcloud.service('blog', REGION)?.traffic.some((target) => target.tag === 'candidate')).toBe(false)
    // The requests reach a real container and take real time; the virtual clock skips only the pauses.
    expect(attempt.log.text()).toMatch(/Waiting for the new revision at https:\/\/candidate---blog-.*: HTTP 500; waited \d+ s/)
    expect(attempt.log.text()).toContain('Removed the tag candidate that this safe rollout added')
    expect(attempt.outputs['log-url']).toContain('cloud_run_revision')
    expect(await bed.gcloud.fetch('https://blog-123456789012.europe-west1.run.app')).toMatchObject({
      status: 200,
      revision: first,
    })
  })

  it('a revision that does not start: gcloud’s condition message, old revision keeps serving', async () => {
    const { bed, first } = await deployedBed()
    // gunicorn reads ./gunicorn.conf.py before it binds: one that raises stops the container at once.
    await commit(bed, { 'gunicorn.conf.py': 'raise RuntimeError("this config does not load")\n' }, 'Add a gunicorn config')
    const attempt = await bed.deploy()
    expect(attempt.error?.message).toMatch(
      /The user-provided container failed to start and listen on the port defined provided by the PORT=\d+ environment variable/,
    )
    expect(bed.gcloud.logs()).toContain('this config does not load')
    expect((attempt.error as { hint?: string }).hint).toContain('The previous revision keeps serving')
    expect(attempt.outputs['log-url']).toContain('cloud_run_revision')
    expect(attempt.commands.some((command) => command.includes('update-traffic'))).toBe(false)
    expect(await bed.gcloud.fetch('https://blog-123456789012.europe-west1.run.app')).toMatchObject({
      status: 200,
      revision: first,
    })
  })

  it('missing region: an input error before any gcloud command', async () => {
    const bed = await createBed()
    const attempt = await bed.deploy({ region: '' })
    expect(attempt.error?.message).toBe('is required but was not set.')
    expect((attempt.error as { input?: string }).input).toBe('region')
    expect(attempt.commands).toEqual([])
  })

  it('missing project: named as the input to set, after asking gcloud for a configured one', async () => {
    const bed = await createBed()
    const key = JSON.parse(bed.keyJson) as Record<string, unknown>
    delete key.project_id
    const attempt = await bed.deploy({ 'credentials-json': JSON.stringify(key) })
    expect(attempt.error?.message).toBe('No Google Cloud project is known.')
    expect((attempt.error as { input?: string }).input).toBe('project-id')
    expect(attempt.commands).toEqual([
      'gcloud version --format json',
      'gcloud auth activate-service-account --key-file <work>/key.json',
      'gcloud config get-value project',
    ])
  })

  it('malformed credentials: refused before any command, and masked', async () => {
    const bed = await createBed()
    const broken = bed.keyJson.slice(0, 200)
    const attempt = await bed.deploy({ 'credentials-json': broken })
    expect(attempt.error?.message).toBe('is not valid JSON.')
    expect((attempt.error as { input?: string }).input).toBe('credentials-json')
    expect(attempt.secrets.containsSecret(broken)).toBe(true)
    expect(attempt.commands).toEqual([])
    const notKey = await bed.deploy({
      'credentials-json': JSON.stringify({ type: 'service_account', client_email: 'x@y.iam.gserviceaccount.com' }),
    })
    expect(notKey.error?.message).toBe('is not a service-account key (missing private_key, private_key_id, token_uri).')
  })

  it('invalid service name: refused with a valid suggestion, before any command', async () => {
    const bed = await createBed()
    const attempt = await bed.deploy({ service: 'My_Blog' })
    expect(attempt.error?.message).toBe("'My_Blog' has uppercase letters; Cloud Run service names are lowercase.")
    expect((attempt.error as { hint?: string }).hint).toContain("'my-blog'")
    expect(attempt.commands).toEqual([])
  })
})
