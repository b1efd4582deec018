import { describe, expect, it } from 'vitest'
import { parse as parseYaml } from 'yaml'
import { projectModel } from '../../shared/test/settings/project-model.js'
import { hostOf, predictedServiceUrl, tagUrlFor } from '../src/names.js'
import {
  allowedHosts,
  buildArgs,
  CHECK_TAG,
  chooseTarget,
  deployArgs,
  describeServiceArgs,
  environment,
  envVarsFile,
  imageRepository,
  migrateArgs,
  previewRemoval,
  removeTagArgs,
  serverEnvironment,
  serviceUrls,
  updateTrafficArgs,
} from '../src/plan.js'
import { factsOf, IMAGE, inputsOf, WHERE } from './helpers.js'

const ENV_FILE = '/runner/temp/cloudrun-x/env.yaml'
const DETERMINISTIC = 'https://blog-123456789012.europe-west1.run.app'
const LEGACY = 'https://blog-abcdef123g-ew.a.run.app'

describe('chooseTarget: where traffic goes', () => {
  it('first deploy: the new service takes traffic at once (it cannot be created with --no-traffic) and is checked', () => {
    expect(chooseTarget(inputsOf(), { exists: false, trafficPinned: false })).toEqual({
      kind: 'production',
      tag: undefined,
      noTraffic: false,
      check: true,
      moveTraffic: false,
      migrate: true,
    })
  })

  it('redeploy with safe rollout: without traffic, tagged for the check, then traffic moves', () => {
    expect(chooseTarget(inputsOf(), { exists: true, trafficPinned: false })).toEqual({
      kind: 'production',
      tag: CHECK_TAG,
      noTraffic: true,
      check: true,
      moveTraffic: true,
      migrate: true,
    })
    expect(chooseTarget(inputsOf({ tag: 'release' }), { exists: true, trafficPinned: false }).tag).toBe('release')
  })

  it('redeploy without safe rollout: traffic at once; an earlier --no-traffic pin is undone explicitly', () => {
    const inputs = inputsOf({ 'safe-rollout': 'false' })
    expect(chooseTarget(inputs, { exists: true, trafficPinned: false })).toEqual({
      kind: 'production',
      tag: undefined,
      noTraffic: false,
      check: false,
      moveTraffic: false,
      migrate: true,
    })
    expect(chooseTarget(inputs, { exists: true, trafficPinned: true })).toMatchObject({ noTraffic: false, moveTraffic: true })
  })

  it('pull request: a pr-N tag without traffic, checked, never migrated, never moving traffic', () => {
    expect(chooseTarget(inputsOf(), { exists: true, trafficPinned: false }, 12)).toEqual({
      kind: 'preview',
      tag: 'pr-12',
      noTraffic: true,
      check: true,
      moveTraffic: false,
      migrate: false,
      migrateSkipped:
        'a preview shares the production database, so its migrations run when the pull request is merged and deployed',
    })
    expect(chooseTarget(inputsOf({ tag: 'review' }), { exists: true, trafficPinned: false }, 12).tag).toBe('review')
    expect(
      chooseTarget(inputsOf({ migrate: 'false' }), { exists: true, trafficPinned: false }, 12).migrateSkipped,
    ).toBeUndefined()
    expect(chooseTarget(inputsOf({ 'safe-rollout': 'false' }), { exists: true, trafficPinned: false }, 12).check).toBe(false)
  })

  it('pull request before the service exists: an error that says how to create it', () => {
    expect(() => chooseTarget(inputsOf(), { exists: false, trafficPinned: false }, 12)).toThrow(
      expect.objectContaining({
        message: expect.stringContaining('a new service cannot be deployed without traffic'),
        hint: expect.stringContaining('Deploy the default branch once'),
      }),
    )
  })

  it('migrate: false skips the job on every road', () => {
    expect(chooseTarget(inputsOf({ migrate: 'false' }), { exists: false, trafficPinned: false }).migrate).toBe(false)
    expect(chooseTarget(inputsOf({ migrate: 'false' }), { exists: true, trafficPinned: false }).migrate).toBe(false)
  })
})

describe('previewRemoval: a closed pull request removes its preview instead of deploying', () => {
  const closed = (eventName: string, pullRequest?: number) => ({ eventName, action: 'closed', pullRequest })

  it('pull_request and pull_request_target closed: the default tag pr-<N>', () => {
    expect(previewRemoval(inputsOf(), closed('pull_request', 12))).toEqual({ pullRequest: 12, tag: 'pr-12' })
    expect(previewRemoval(inputsOf(), closed('pull_request_target', 12))).toEqual({ pullRequest: 12, tag: 'pr-12' })
  })

  it('an explicit tag is the one removed: the pull request’s runs deployed under it', () => {
    expect(previewRemoval(inputsOf({ tag: 'review-12' }), closed('pull_request', 12))).toEqual({
      pullRequest: 12,
      tag: 'review-12',
    })
  })

  it('every other action of a pull request deploys', () => {
    for (const action of ['opened', 'synchronize', 'reopened', 'edited', 'labeled', undefined]) {
      expect(previewRemoval(inputsOf(), { eventName: 'pull_request', action, pullRequest: 12 })).toBeUndefined()
    }
  })

  it('events that never close a pull request, or carry none, deploy', () => {
    // A review of a closed pull request has action 'submitted', but even 'closed' there would not end it.
    expect(previewRemoval(inputsOf(), closed('pull_request_review', 12))).toBeUndefined()
    expect(previewRemoval(inputsOf(), closed('pull_request_review_comment', 12))).toBeUndefined()
    expect(previewRemoval(inputsOf(), closed('push'))).toBeUndefined()
    expect(previewRemoval(inputsOf(), closed('pull_request'))).toBeUndefined()
    expect(previewRemoval(inputsOf(), undefined)).toBeUndefined()
  })
})

describe('gcloud argv', () => {
  it('first deploy', () => {
    const inputs = inputsOf()
    const facts = factsOf()
    expect(deployArgs(inputs, facts, chooseTarget(inputs, facts), IMAGE, ENV_FILE)).toEqual([
      'run',
      'deploy',
      'blog',
      '--image',
      IMAGE,
      ...WHERE,
      '--env-vars-file',
      ENV_FILE,
      '--cpu-boost',
      '--allow-unauthenticated',
      '--format',
      'json',
    ])
  })

  it('redeploy (safe rollout): no traffic, the check tag, then update-traffic --to-latest', () => {
    const inputs = inputsOf()
    const facts = factsOf({ exists: true, urls: [DETERMINISTIC, LEGACY] })
    const target = chooseTarget(inputs, facts)
    expect(deployArgs(inputs, facts, target, IMAGE, ENV_FILE)).toEqual([
      'run',
      'deploy',
      'blog',
      '--image',
      IMAGE,
      ...WHERE,
      '--env-vars-file',
      ENV_FILE,
      '--cpu-boost',
      '--allow-unauthenticated',
      '--no-traffic',
      '--tag',
      'candidate',
      '--format',
      'json',
    ])
    expect(updateTrafficArgs(inputs, facts)).toEqual([
      'run',
      'services',
      'update-traffic',
      'blog',
      '--to-latest',
      ...WHERE,
      '--format',
      'json',
    ])
  })

  it('removing a preview tag: only --remove-tags, so traffic shares stay as they are', () => {
    expect(removeTagArgs(inputsOf(), factsOf({ exists: true }), 'pr-7')).toEqual([
      'run',
      'services',
      'update-traffic',
      'blog',
      '--remove-tags',
      'pr-7',
      ...WHERE,
      '--format',
      'json',
    ])
  })

  it('redeploy without safe rollout', () => {
    const inputs = inputsOf({ 'safe-rollout': 'false' })
    const facts = factsOf({ exists: true })
    expect(deployArgs(inputs, facts, chooseTarget(inputs, facts), IMAGE, ENV_FILE)).toEqual([
      'run',
      'deploy',
      'blog',
      '--image',
      IMAGE,
      ...WHERE,
      '--env-vars-file',
      ENV_FILE,
      '--cpu-boost',
      '--allow-unauthenticated',
      '--format',
      'json',
    ])
  })

  it('pull request preview', () => {
    const inputs = inputsOf()
    const facts = factsOf({ exists: true })
    expect(deployArgs(inputs, facts, chooseTarget(inputs, facts, 7), IMAGE, ENV_FILE)).toEqual([
      'run',
      'deploy',
      'blog',
      '--image',
      IMAGE,
      ...WHERE,
      '--env-vars-file',
      ENV_FILE,
      '--cpu-boost',
      '--allow-unauthenticated',
      '--no-traffic',
      '--tag',
      'pr-7',
      '--format',
      'json',
    ])
  })

  it('prebuilt image: deployed and migrated by the reference given', () => {
    const prebuilt = `us-docker.pkg.dev/other-proj/images/blog@sha256:${'cd'.repeat(32)}`
    const inputs = inputsOf({ image: prebuilt })
    const facts = factsOf()
    expect(deployArgs(inputs, facts, chooseTarget(inputs, facts), prebuilt, ENV_FILE).slice(0, 5)).toEqual([
      'run',
      'deploy',
      'blog',
      '--image',
      prebuilt,
    ])
    expect(migrateArgs(inputs, facts, prebuilt, ENV_FILE).slice(0, 6)).toEqual([
      'run',
      'jobs',
      'deploy',
      'blog-migrate',
      '--image',
      prebuilt,
    ])
  })

  it('every option, in a fixed order, with the user flags last before --format', () => {
    const inputs = inputsOf({
      secrets: 'SECRET_KEY=django-secret-key:latest\nDATABASE_URL=projects/123456789012/secrets/db-url:3',
      'cloudsql-instance': 'demo-proj:europe-west1:main',
      'service-account': 'blog-runtime@demo-proj.iam.gserviceaccount.com',
      cpu: '2',
      memory: '1Gi',
      concurrency: '40',
      'min-instances': '1',
      'max-instances': '10',
      'cpu-boost': 'false',
      'allow-unauthenticated': 'false',
      flags: '--vpc-connector=main --labels "team=web,tier=front"',
    })
    const facts = factsOf()
    expect(deployArgs(inputs, facts, chooseTarget(inputs, facts), IMAGE, ENV_FILE)).toEqual([
      'run',
      'deploy',
      'blog',
      '--image',
      IMAGE,
      ...WHERE,
      '--env-vars-file',
      ENV_FILE,
      '--update-secrets',
      'SECRET_KEY=django-secret-key:latest,DATABASE_URL=projects/123456789012/secrets/db-url:3',
      '--set-cloudsql-instances',
      'demo-proj:europe-west1:main',
      '--service-account',
      'blog-runtime@demo-proj.iam.gserviceaccount.com',
      '--cpu',
      '2',
      '--memory',
      '1Gi',
      '--concurrency',
      '40',
      '--min-instances',
      '1',
      '--max-instances',
      '10',
      '--no-cpu-boost',
      '--no-allow-unauthenticated',
      '--vpc-connector=main',
      '--labels',
      'team=web,tier=front',
      '--format',
      'json',
    ])
    // The job gets the same image, environment, secrets, database and identity as the service.
    expect(migrateArgs(inputs, facts, IMAGE, ENV_FILE)).toEqual([
      'run',
      'jobs',
      'deploy',
      'blog-migrate',
      '--image',
      IMAGE,
      ...WHERE,
      '--env-vars-file',
      ENV_FILE,
      '--update-secrets',
      'SECRET_KEY=django-secret-key:latest,DATABASE_URL=projects/123456789012/secrets/db-url:3',
      '--set-cloudsql-instances',
      'demo-proj:europe-west1:main',
      '--service-account',
      'blog-runtime@demo-proj.iam.gserviceaccount.com',
      '--command',
      'python',
      '--args=manage.py,migrate,--noinput',
      '--max-retries',
      '0',
      '--task-timeout',
      '1800s',
      '--execute-now',
      '--wait',
      '--format',
      'json',
    ])
  })

  it('migration job: no retries, and a task timeout of the action timeout (at least a minute)', () => {
    expect(migrateArgs(inputsOf(), factsOf(), IMAGE, ENV_FILE)).toEqual([
      'run',
      'jobs',
      'deploy',
      'blog-migrate',
      '--image',
      IMAGE,
      ...WHERE,
      '--env-vars-file',
      ENV_FILE,
      '--command',
      'python',
      '--args=manage.py,migrate,--noinput',
      '--max-retries',
      '0',
      '--task-timeout',
      '1800s',
      '--execute-now',
      '--wait',
      '--format',
      'json',
    ])
    expect(migrateArgs(inputsOf({ timeout: '0.5' }), factsOf(), IMAGE, ENV_FILE)).toContain('60s')
  })

  it('build, describe and the image repository', () => {
    expect(imageRepository(inputsOf({ repository: 'web' }), 'demo-proj')).toBe('europe-west1-docker.pkg.dev/demo-proj/web/blog')
    expect(buildArgs('/tmp/context', 'europe-west1-docker.pkg.dev/demo-proj/web/blog:abc123', 'demo-proj')).toEqual([
      'builds',
      'submit',
      '/tmp/context',
      '--tag',
      'europe-west1-docker.pkg.dev/demo-proj/web/blog:abc123',
      '--project',
      'demo-proj',
      '--suppress-logs',
      '--format',
      'json',
    ])
    expect(describeServiceArgs(inputsOf(), factsOf())).toEqual([
      'run',
      'services',
      'describe',
      'blog',
      ...WHERE,
      '--format',
      'json',
    ])
  })
})

describe('host names', () => {
  it('predicts the deterministic URL before the service exists', () => {
    expect(predictedServiceUrl('blog', '123456789012', 'europe-west1')).toBe(DETERMINISTIC)
    expect(serviceUrls(inputsOf(), factsOf())).toEqual([DETERMINISTIC])
  })

  it('keeps the URLs an existing service has, the predicted one first, once', () => {
    expect(serviceUrls(inputsOf(), factsOf({ exists: true, urls: [LEGACY, DETERMINISTIC] }))).toEqual([DETERMINISTIC, LEGACY])
    // Without the project number nothing can be predicted.
    expect(serviceUrls(inputsOf(), factsOf({ projectNumber: undefined }))).toEqual([])
  })

  it('tag URLs put TAG--- in front of each service host', () => {
    expect(tagUrlFor(LEGACY, 'pr-7')).toBe('https://pr-7---blog-abcdef123g-ew.a.run.app')
    expect(hostOf(DETERMINISTIC)).toBe('blog-123456789012.europe-west1.run.app')
    expect(allowedHosts([DETERMINISTIC, LEGACY], 'pr-7')).toEqual([
      'blog-123456789012.europe-west1.run.app',
      'blog-abcdef123g-ew.a.run.app',
      'pr-7---blog-123456789012.europe-west1.run.app',
      'pr-7---blog-abcdef123g-ew.a.run.app',
    ])
  })
})

describe('environment', () => {
  const project = projectModel()

  it('gives the overlay its settings module, hosts, origins and HTTPS, and Google’s CLOUDRUN_SERVICE_URLS', () => {
    expect(environment({ inputs: inputsOf(), project, settingsModule: 'mysite.settings_deploy', urls: [DETERMINISTIC] })).toEqual(
      {
        ALLOWED_HOSTS: 'blog-123456789012.europe-west1.run.app',
        CLOUDRUN_SERVICE_URLS: DETERMINISTIC,
        CSRF_TRUSTED_ORIGINS: DETERMINISTIC,
        DJANGO_HTTPS: 'true',
        DJANGO_SETTINGS_MODULE: 'mysite.settings_deploy',
        SECURE_HSTS_SECONDS: '3600',
      },
    )
  })

  it('adds the tag hosts of a tagged revision', () => {
    const env = environment({
      inputs: inputsOf(),
      project,
      settingsModule: 'mysite.settings_deploy',
      urls: [DETERMINISTIC, LEGACY],
      tag: 'pr-7',
    })
    expect(env.ALLOWED_HOSTS?.split(',')).toEqual(allowedHosts([DETERMINISTIC, LEGACY], 'pr-7'))
    expect(env.CLOUDRUN_SERVICE_URLS?.split(',')).toEqual([
      DETERMINISTIC,
      LEGACY,
      'https://pr-7---blog-123456789012.europe-west1.run.app',
      'https://pr-7---blog-abcdef123g-ew.a.run.app',
    ])
  })

  it('lets env-vars win, except ALLOWED_HOSTS / CSRF_TRUSTED_ORIGINS, which are added to', () => {
    const inputs = inputsOf({
      'env-vars':
        'ALLOWED_HOSTS=www.example.com, example.com\nCSRF_TRUSTED_ORIGINS=https://www.example.com\nSECURE_HSTS_SECONDS=31536000\nDJANGO_HTTPS=false',
    })
    const env = environment({ inputs, project, settingsModule: 'mysite.settings_deploy', urls: [DETERMINISTIC] })
    expect(env.ALLOWED_HOSTS).toBe('www.example.com,example.com,blog-123456789012.europe-west1.run.app')
    expect(env.CSRF_TRUSTED_ORIGINS).toBe(`https://www.example.com,${DETERMINISTIC}`)
    expect(env.SECURE_HSTS_SECONDS).toBe('31536000')
    expect(env.DJANGO_HTTPS).toBe('false')
  })

  it('sets the variables the project’s own settings cannot import without', () => {
    const reads = projectModel({
      facts: {
        ALLOWED_HOSTS: {
          value: { kind: 'env', variable: 'DJANGO_ALLOWED_HOSTS' },
          at: { file: 'mysite/settings.py', line: 3 },
          conditional: false,
        },
      },
    })
    expect(
      environment({ inputs: inputsOf(), project: reads, settingsModule: 'mysite.settings', urls: [DETERMINISTIC] })
        .DJANGO_ALLOWED_HOSTS,
    ).toBe('blog-123456789012.europe-west1.run.app')
  })

  it('a prebuilt image without settings-module keeps its own DJANGO_SETTINGS_MODULE but still learns its hosts', () => {
    const env = environment({ inputs: inputsOf(), urls: [DETERMINISTIC] })
    expect(env.DJANGO_SETTINGS_MODULE).toBeUndefined()
    expect(env).toMatchObject({ ALLOWED_HOSTS: 'blog-123456789012.europe-west1.run.app', DJANGO_HTTPS: 'true' })
  })

  it('shapes gunicorn for Cloud Run: one worker per whole vCPU, eight threads; env-vars still win', () => {
    expect(serverEnvironment(inputsOf())).toEqual({ GUNICORN_THREADS: '8', WEB_CONCURRENCY: '1' })
    expect(serverEnvironment(inputsOf({ cpu: '4' })).WEB_CONCURRENCY).toBe('4')
    expect(serverEnvironment(inputsOf({ cpu: '500m' })).WEB_CONCURRENCY).toBe('1')
    expect(serverEnvironment(inputsOf({ cpu: '2.5' })).WEB_CONCURRENCY).toBe('2')
    const inputs = inputsOf({ 'env-vars': 'WEB_CONCURRENCY=3' })
    expect(
      environment({ inputs, project, settingsModule: 'mysite.settings_deploy', urls: [], server: serverEnvironment(inputs) }),
    ).toMatchObject({ WEB_CONCURRENCY: '3', GUNICORN_THREADS: '8' })
    expect(
      environment({ inputs: inputsOf(), project, settingsModule: 'mysite.settings_deploy', urls: [] }).WEB_CONCURRENCY,
    ).toBeUndefined()
  })

  it('no known URL yet (project number unreadable): no host variables rather than wrong ones', () => {
    const env = environment({ inputs: inputsOf(), project, settingsModule: 'mysite.settings_deploy', urls: [] })
    expect(env.ALLOWED_HOSTS).toBeUndefined()
    expect(env.CLOUDRUN_SERVICE_URLS).toBeUndefined()
  })
})

describe('envVarsFile', () => {
  const tricky: Record<string, string> = {
    GREETING: 'Hello, "world"',
    LIST: 'a,b,c',
    MULTI: 'line one\nline two\n',
    QUOTES: `it's "quoted" \\ back\\slash`,
    CARET: '^,^a=b',
    YAMLISH: '- item: {x: 1} # not a comment',
    BOOLEANISH: 'yes',
    NUMBERISH: '0123',
    EMPTY: '',
    UNICODE: 'Grüße 🚀\t\u2028end',
    JSON: '{"a": [1, 2]}',
  }

  it('keeps every value byte for byte, as strings, when read as YAML (what gcloud does)', () => {
    const text = envVarsFile(tricky)
    const parsed = parseYaml(text) as Record<string, unknown>
    expect(parsed).toEqual(tricky)
    for (const value of Object.values(parsed)) expect(typeof value).toBe('string')
    expect(JSON.parse(text)).toEqual(tricky)
  })

  it('is sorted and stable, so the same environment is the same file', () => {
    const text = envVarsFile({ B: '2', A: '1' })
    expect(text).toBe('{\n  "A": "1",\n  "B": "2"\n}\n')
    expect(envVarsFile({ A: '1', B: '2' })).toBe(text)
  })

  it('carries env-vars input (commas, quotes, newlines) through to the file intact', () => {
    const inputs = inputsOf({
      'env-vars': 'GREETING=Hello, "world"\nSPACED=  padded  \nLIST=a,b,c\nMULTI<<EOF\nline one\nline two\nEOF',
    })
    const parsed = parseYaml(envVarsFile(environment({ inputs, urls: [] }))) as Record<string, string>
    expect(parsed).toMatchObject({ GREETING: 'Hello, "world"', LIST: 'a,b,c', MULTI: 'line one\nline two', SPACED: '  padded  ' })
  })
})
