import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { envOf, stagesOf } from '../../shared/test/build/dockerfile-parser.js'
import { commit, createBed, REGION } from './cloudrun-support.js'

/**
 * What the image and the service are told about settings: the module the built image names must
 * be in the upload (settings-patch: none deploys no overlay, so the image must not name one), a
 * prebuilt image still learns its host names, a new tagged service is checked on a host it
 * accepts, and ordinary environment values never make the job summary or outputs look like a leak;
 * a key given as input is the one gcloud uses.
 */
function builtImage(calls: ReturnType<Awaited<ReturnType<typeof createBed>>['gcloud']['calls']>) {
  const build = calls.find((call) => call.argv[0] === 'builds' && call.argv[1] === 'submit')
  const dockerfile = build?.read?.dockerfile as string
  const runtime = stagesOf(dockerfile).at(-1)
  const env = Object.assign(
    {},
    ...(runtime?.instructions ?? [])
      .filter((instruction) => instruction.keyword === 'ENV')
      .map((instruction) => envOf(instruction.args)),
  ) as Record<string, string>
  const deploy = calls.find((call) => call.argv[0] === 'run' && call.argv[1] === 'deploy')
  return {
    dockerfile,
    settingsModule: env.DJANGO_SETTINGS_MODULE,
    uploaded: build?.read?.uploaded as string[],
    serviceEnv: deploy?.read?.envVarsFile as Record<string, string>,
  }
}

describe('action-cloudrun: settings in the image and the service', () => {
  it('settings-patch overlay: the image runs the overlay, which is uploaded', async () => {
    const bed = await createBed()
    const attempt = await bed.deploy()
    expect(attempt.error).toBeUndefined()
    const image = builtImage(bed.gcloud.calls())
    expect(image.settingsModule).toBe('examplesite.settings_deploy')
    expect(image.uploaded).toContain('examplesite/settings_deploy.py')
    expect(image.serviceEnv.DJANGO_SETTINGS_MODULE).toBe('examplesite.settings_deploy')
    // gunicorn shaped for one vCPU, through the variables the generated CMD reads
    expect(image.dockerfile).toContain('--workers "${WEB_CONCURRENCY:-2}" --threads "${GUNICORN_THREADS:-4}"')
    expect(image.serviceEnv).toMatchObject({ WEB_CONCURRENCY: '1', GUNICORN_THREADS: '8' })
  })

  it('settings-patch none: no overlay anywhere; the image and the service run the project’s own module, and its own ALLOWED_HOSTS decides', async () => {
    const bed = await createBed()
    // The image's collectstatic runs the project's own settings, which need a STATIC_ROOT.
    await commit(
      bed,
      {
        'examplesite/settings.py': `${await readFile(join(bed.repo.dir, 'examplesite/settings.py'), 'utf8')}\nSTATIC_ROOT = BASE_DIR / 'staticfiles'\n`,
      },
      'Collect static files into staticfiles/',
    )
    const attempt = await bed.deploy({ 'settings-patch': 'none' })
    // Those settings keep ALLOWED_HOSTS = [] and never read the variable: Django itself refuses the run.app host.
    expect(attempt.error?.message, bed.gcloud.logs()).toMatch(
      /does not answer properly at https:\/\/blog-123456789012\.europe-west1\.run\.app: HTTP 400 \(Django refuses the host name: ALLOWED_HOSTS\)/,
    )
    const image = builtImage(bed.gcloud.calls())
    expect(image.settingsModule).toBe('examplesite.settings')
    expect(image.uploaded).toContain('examplesite/settings.py')
    expect(image.uploaded.some((file) => file.includes('settings_deploy'))).toBe(false)
    expect(image.dockerfile).not.toContain('settings_deploy')
    // collectstatic at build time runs under that ENV too: it is the only DJANGO_SETTINGS_MODULE
    expect(image.dockerfile.match(/DJANGO_SETTINGS_MODULE=/g)).toHaveLength(1)
    expect(image.serviceEnv).toMatchObject({
      DJANGO_SETTINGS_MODULE: 'examplesite.settings',
      ALLOWED_HOSTS: 'blog-123456789012.europe-west1.run.app',
    })
    expect(attempt.log.text()).toContain('examplesite.settings (your settings as they are; settings-patch: none)')
  })

  it('prebuilt image: the service gets its host names, and the image keeps its own settings module', async () => {
    // An image built elsewhere (here: by another deploy of the example site), pushed by digest.
    const builder = await createBed()
    expect((await builder.deploy()).error).toBeUndefined()
    const localImage = Object.values(builder.gcloud.state().builds)[0]?.localImage as string
    const bed = await createBed()
    const digest = await bed.gcloud.addImage(`${REGION}-docker.pkg.dev/demo-proj/images/blog:v1`, localImage)
    const image = `${REGION}-docker.pkg.dev/demo-proj/images/blog@${digest}`
    const attempt = await bed.deploy({ image })
    expect(attempt.error).toBeUndefined()
    const env = bed.gcloud.calls().find((call) => call.argv[0] === 'run' && call.argv[1] === 'deploy')?.read
      ?.envVarsFile as Record<string, string>
    expect(env).toMatchObject({
      ALLOWED_HOSTS: 'blog-123456789012.europe-west1.run.app',
      CSRF_TRUSTED_ORIGINS: 'https://blog-123456789012.europe-west1.run.app',
      DJANGO_HTTPS: 'true',
    })
    expect(env.DJANGO_SETTINGS_MODULE).toBeUndefined()
    // Its CMD is not known to read them.
    expect(env.WEB_CONCURRENCY).toBeUndefined()
    const named = await bed.deploy({ image, 'settings-module': 'examplesite.settings_deploy' })
    expect(named.error).toBeUndefined()
    const calls = bed.gcloud.calls().filter((call) => call.argv[0] === 'run' && call.argv[1] === 'deploy')
    expect((calls.at(-1)?.read?.envVarsFile as Record<string, string>).DJANGO_SETTINGS_MODULE).toBe('examplesite.settings_deploy')
  })

  it('env-vars values are masked only when their key names a secret (or hold a password); ordinary ones stay readable', async () => {
    const bed = await createBed()
    const deployer = JSON.parse(bed.keyJson).client_email as string
    const attempt = await bed.deploy({
      'env-vars':
        'APP_ENV=production\nFEATURE_FLAG=true\nDJANGO_SECRET_KEY=k3y-0f-th3-s1te-not-in-secret-manager\nREDIS_URL=redis://cache:hunter2pass@10.0.0.3:6379/0',
      // The runtime account is the deploying one, whose email the plan shows.
      'service-account': deployer,
    })
    expect(attempt.error).toBeUndefined()
    expect(attempt.summaries.at(-1)).toMatchObject({ outcome: 'deployed', environment: 'production' })
    // docs/secret-masking.md: a common word or a short value is never sent to ::add-mask::.
    expect(attempt.log.secrets.has('production')).toBe(false)
    expect(attempt.log.secrets.has('true')).toBe(false)
    expect(attempt.secrets.containsSecret('production')).toBe(false)
    expect(attempt.secrets.containsSecret(deployer)).toBe(false)
    expect(attempt.secrets.containsSecret('k3y-0f-th3-s1te-not-in-secret-manager')).toBe(true)
    expect(attempt.secrets.containsSecret('hunter2pass')).toBe(true)
    const env = bed.gcloud.calls().find((call) => call.argv[0] === 'run' && call.argv[1] === 'deploy')?.read
      ?.envVarsFile as Record<string, string>
    expect(env).toMatchObject({
      APP_ENV: 'production',
      FEATURE_FLAG: 'true',
      DJANGO_SECRET_KEY: 'k3y-0f-th3-s1te-not-in-secret-manager',
    })
  })

  it('first deploy with a tag: checked on the URL ALLOWED_HOSTS names; from the redeploy on, the tag URL answers', async () => {
    const bed = await createBed()
    const first = await bed.deploy({ tag: 'staging' })
    expect(first.error).toBeUndefined()
    expect(first.log.text()).toContain('https://blog-123456789012.europe-west1.run.app answered 200.')
    const again = await bed.deploy({ tag: 'staging' })
    expect(again.error).toBeUndefined()
    const tagUrl = JSON.parse(again.outputs.urls as string).map((url: string) =>
      url.replace('https://', 'https://staging---'),
    )[1] as string
    expect(again.log.text()).toContain(`${tagUrl} answered 200.`)
    expect(await bed.gcloud.fetch(tagUrl)).toMatchObject({ status: 200, revision: again.outputs.revision })
  })
})

describe('action-cloudrun: credentials', () => {
  it('credentials-json wins over ambient credentials from google-github-actions/auth', async () => {
    const bed = await createBed()
    const ambient = join(bed.repo.dir, 'gha-creds-0123456789abcdef.json')
    const attempt = await bed.deploy(
      {},
      { env: { CLOUDSDK_AUTH_CREDENTIAL_FILE_OVERRIDE: ambient, GOOGLE_GHA_CREDS_PATH: ambient } },
    )
    expect(attempt.error).toBeUndefined()
    const calls = bed.gcloud.calls()
    expect(calls.length).toBeGreaterThan(5)
    for (const call of calls) expect(call.env.CLOUDSDK_AUTH_CREDENTIAL_FILE_OVERRIDE, call.argv.join(' ')).toBeUndefined()
  })
})
