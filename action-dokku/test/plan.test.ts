import { describe, expect, it } from 'vitest'
import { inputSourceFrom } from '@django-deploy/shared/inputs'
import { readInputs, type DokkuInputs } from '../src/inputs.js'
import { chooseTarget, planRun, planSteps, type RunPlan } from '../src/plan.js'
import type { AppState, RemoteState } from '../src/remote-state.js'
import { sshKeygen } from './keys.js'

const key = sshKeygen('ed25519')
const hostKey = sshKeygen('ed25519').publicKey

function inputs(values: Record<string, string> = {}): DokkuInputs {
  return readInputs(
    inputSourceFrom({
      host: 'dokku.example.com',
      app: 'blog',
      'ssh-private-key': key.privateKey,
      'ssh-host-key': `dokku.example.com ${hostKey}`,
      ...values,
    }),
    () => undefined,
  )
}

const NEW_APP: AppState = {
  exists: false,
  locked: false,
  deployBranch: '',
  globalDeployBranch: '',
  config: {},
  mounts: [],
  domains: [],
  letsencryptActive: false,
  builderSelected: '',
  urls: [],
  branches: new Map(),
}

function state(
  app: Partial<AppState> = {},
  postgres: Partial<RemoteState['postgres']> = {},
  letsencryptPlugin: RemoteState['letsencryptPlugin'] = 'installed',
): RemoteState {
  return {
    version: { raw: 'dokku version 0.38.27', major: 0, minor: 38, patch: 27 },
    app: { ...NEW_APP, ...app },
    postgres: { plugin: 'installed', service: 'blog', exists: false, linked: false, ...postgres },
    letsencryptPlugin,
  }
}

function plan(
  values: Record<string, string>,
  remote: RemoteState | undefined,
  pullRequest?: { number: number; action?: string },
): RunPlan {
  const read = inputs(values)
  return planRun({
    inputs: read,
    target: chooseTarget(read, pullRequest),
    state: remote,
    configKeys: ['DJANGO_SETTINGS_MODULE', 'SECRET_KEY'],
    storageChown: 'herokuish',
  })
}

const running = (result: RunPlan) => result.steps.filter((step) => !step.skip).map((step) => step.kind)
const skipped = (result: RunPlan) =>
  Object.fromEntries(result.steps.filter((step) => step.skip).map((step) => [step.kind, step.skip]))

describe('planRun', () => {
  it('first deploy from nothing: create the app, its database, link it, storage, config, push', () => {
    const result = plan({ postgres: 'true', 'post-deploy': 'createcachetable' }, state())
    expect(running(result)).toEqual([
      'create-app',
      'postgres-create',
      'postgres-link',
      'storage',
      'config',
      'push',
      'restart',
      'post-deploy',
    ])
    expect(result.steps.map((step) => step.args.join(' '))).toEqual([
      'apps:create blog',
      'postgres:create blog',
      'postgres:link blog blog --no-restart',
      'storage:ensure-directory --chown herokuish blog-media',
      'config:import --format json --no-restart blog -',
      "git-receive-pack '/blog'",
      'ps:restart blog',
      'run --no-tty blog python manage.py createcachetable',
    ])
  })

  it('a second identical run finds everything in place', () => {
    const result = plan(
      { postgres: 'true' },
      state(
        {
          exists: true,
          mounts: [{ host: '/var/lib/dokku/data/storage/blog-media', container: '/app/storage/media' }],
          config: { DATABASE_URL: 'postgres://x' },
        },
        { exists: true, linked: true },
      ),
    )
    expect(skipped(result)).toEqual({
      'create-app': 'already exists',
      'postgres-create': 'already exists',
      'postgres-link': 'already linked',
      storage: 'already mounted',
    })
    // config and push always run: they send nothing when nothing changed (diff, Everything up-to-date)
    expect(running(result)).toEqual(['config', 'push', 'restart'])
  })

  it('keeps a DATABASE_URL the app already has from elsewhere instead of creating a second database', () => {
    const result = plan(
      { postgres: 'true' },
      state({ exists: true, config: { DATABASE_URL: 'postgres://managed.example.com/db' } }),
    )
    expect(skipped(result)).toMatchObject({
      'postgres-create': 'the app has its own DATABASE_URL',
      'postgres-link': 'the app has its own DATABASE_URL',
    })
    expect(result.notes[0]).toContain('already has a DATABASE_URL')
  })

  it('refuses, before any change, what cannot work: no postgres plugin, no app with create-app false, no letsencrypt plugin', () => {
    expect(() => plan({ postgres: 'true' }, state({}, { plugin: 'missing' }))).toThrowError(
      expect.objectContaining({
        input: 'postgres',
        hint: expect.stringContaining('sudo dokku plugin:install https://github.com/dokku/dokku-postgres.git postgres'),
      }),
    )
    expect(() => plan({ 'create-app': 'false' }, state())).toThrowError(
      expect.objectContaining({
        input: 'create-app',
        message: 'The app blog does not exist on the server, and create-app is false.',
      }),
    )
    expect(() => plan({ domains: 'blog.example.com', letsencrypt: 'true' }, state({}, {}, 'missing'))).toThrowError(
      expect.objectContaining({ input: 'letsencrypt' }),
    )
  })

  it("adds only missing domains, enables Let's Encrypt unless active", () => {
    const result = plan(
      { domains: 'blog.example.com, www.example.com', letsencrypt: 'true' },
      state({ exists: true, domains: ['blog.example.com'] }),
    )
    expect(result.steps.find((step) => step.kind === 'domains')?.args).toEqual(['domains:add', 'blog', 'www.example.com'])
    expect(running(result)).toContain('letsencrypt')
    const active = plan(
      { domains: 'blog.example.com', letsencrypt: 'true' },
      state({ exists: true, domains: ['blog.example.com'], letsencryptActive: true }),
    )
    expect(skipped(active)).toMatchObject({ domains: 'already added', letsencrypt: 'certificate already active' })
  })

  it('review apps: <app>-pr-<N> with its own database and no production domains; destroy removes app and database', () => {
    const opened = plan({ postgres: 'true', domains: 'blog.example.com', letsencrypt: 'true' }, state(), {
      number: 12,
      action: 'opened',
    })
    expect(opened.target).toMatchObject({ app: 'blog-pr-12', mode: 'deploy', baseApp: 'blog', postgresService: 'blog-pr-12' })
    expect(running(opened)).toEqual(['create-app', 'postgres-create', 'postgres-link', 'storage', 'config', 'push', 'restart'])
    expect(opened.notes.join(' ')).toContain('gets no custom domains')

    const closed = plan({ postgres: 'true' }, state({ exists: true }, { exists: true, linked: true }), {
      number: 12,
      action: 'closed',
    })
    expect(closed.target.mode).toBe('remove-preview')
    expect(planSteps(closed).map((step) => step.detail)).toEqual([
      'dokku apps:destroy blog-pr-12',
      'dokku postgres:destroy blog-pr-12 --force',
    ])
    const gone = plan({ 'review-app': 'destroy' }, state({ exists: false }, { exists: false }), { number: 12, action: 'closed' })
    expect(skipped(gone)).toEqual({ 'destroy-app': 'not on the server', 'postgres-destroy': 'not on the server' })
    expect(() => plan({ 'review-app': 'destroy' }, state())).toThrowError(/needs a pull request event/)
    expect(plan({ 'review-app': 'false' }, state(), { number: 3, action: 'opened' }).target.app).toBe('blog')
    // create-app: false protects the production app only; a review app is always created.
    expect(running(plan({ 'create-app': 'false' }, state(), { number: 3, action: 'opened' }))).toContain('create-app')
  })

  it('a dry run without the server plans every step as if nothing existed', () => {
    const result = plan({ postgres: 'true' }, undefined)
    expect(result.steps.every((step) => step.skip === undefined)).toBe(true)
  })
})

describe('chooseTarget', () => {
  it('keeps review app names one DNS label of at most 63 characters', () => {
    const target = chooseTarget({ app: `a.${'x'.repeat(70)}`, reviewApp: 'auto' }, { number: 123456 })
    expect(target.app).toMatch(/^a-x+-[0-9a-f]{6}-pr-123456$/)
    expect(target.app.length).toBeLessThanOrEqual(63)
    expect(target.app).not.toContain('.')
  })
})
