import { describe, expect, it, vi } from 'vitest'
import { inputSourceFrom } from '@django-deploy/shared/inputs'
import { readInputs } from '../src/inputs.js'
import { sshKeygen } from './keys.js'

const key = sshKeygen('ed25519')
const hostKey = `dokku.example.com ${sshKeygen('ed25519').publicKey}`
const required = { host: 'dokku.example.com', app: 'blog', 'ssh-private-key': key.privateKey, 'ssh-host-key': hostKey }

function read(values: Record<string, string>) {
  const secrets: string[] = []
  const inputs = readInputs(inputSourceFrom({ ...required, ...values }), (value) => secrets.push(value))
  return { inputs, secrets }
}

describe('readInputs', () => {
  it('reads the defaults of action.yml', () => {
    const { inputs } = read({})
    expect(inputs).toMatchObject({
      target: { host: 'dokku.example.com', port: 22, user: 'dokku' },
      app: 'blog',
      createApp: true,
      postgres: false,
      storage: true,
      migrate: true,
      reviewApp: 'auto',
      settingsPatch: 'overlay',
      builder: 'auto',
      force: false,
      dryRun: false,
      timeoutMs: 20 * 60_000,
      workingDirectory: '',
      httpCheck: undefined,
    })
  })

  it('masks the key, the passphrase and secret config values before validating anything', () => {
    const { secrets } = read({
      config: 'API_KEY=one secret\nCERT_PEM<<EOF\nline 1 of pem\nline 2 of pem\nEOF',
      'ssh-passphrase': 'not used',
    })
    expect(secrets).toEqual(
      expect.arrayContaining([key.privateKey, 'not used', 'one secret', 'line 1 of pem', 'line 1 of pem\nline 2 of pem']),
    )
    // even when a later input is invalid, the secrets were already registered
    const masked: string[] = []
    expect(() =>
      readInputs(inputSourceFrom({ ...required, app: 'Bad_Name', config: 'TOKEN=abc123' }), (value) => masked.push(value)),
    ).toThrowError(/not a valid Dokku app name/)
    expect(masked).toContain('abc123')
    // a line config cannot parse is masked before the error quotes it
    const early: string[] = []
    expect(() =>
      readInputs(inputSourceFrom({ ...required, config: 'TOKEN=ok\nsecret-continuation-without-key' }), (value) =>
        early.push(value),
      ),
    ).toThrowError(/line 2 is not KEY=VALUE/)
    expect(early).toContain('secret-continuation-without-key')
  })

  it('masks config values only when the name says secret or is marked; never short or common values', () => {
    const { secrets } = read({
      config: [
        'DEBUG=1',
        'FEATURE_FLAG=true',
        'APP_ENV=production',
        'ALLOWED_HOSTS=blog.example.com',
        'KEYBOARD_LAYOUT=us-international',
        'DJANGO_SECRET_KEY=k3y-value-long',
        'SENTRY_DSN=https://abc123@o1.ingest.example/1',
        'SHORT_TOKEN=abc',
        'STRIPE_LIVE=sk_live_marked_value',
        'CACHE_URL=redis://:cache-pass-word@localhost:6379/0',
      ].join('\n'),
      'secret-config-keys': 'stripe_live, OTHER',
    })
    expect(secrets).toEqual(
      expect.arrayContaining(['k3y-value-long', 'https://abc123@o1.ingest.example/1', 'sk_live_marked_value']),
    )
    expect(secrets).toEqual(expect.arrayContaining(['cache-pass-word', 'redis://:cache-pass-word@localhost:6379/0']))
    for (const plain of ['1', 'true', 'production', 'blog.example.com', 'us-international'])
      expect(secrets, plain).not.toContain(plain)
    expect(secrets.filter((value) => /^(DEBUG|FEATURE_FLAG|APP_ENV|ALLOWED_HOSTS|KEYBOARD_LAYOUT)=/.test(value))).toEqual([])
  })

  it('takes the app from an ssh:// URL and refuses a conflicting one', () => {
    expect(read({ host: 'ssh://dokku@dokku.example.com:22/shop', app: '' }).inputs.app).toBe('shop')
    expect(() => read({ host: 'ssh://dokku@dokku.example.com/shop', app: 'blog' })).toThrowError(/names app 'shop'/)
  })

  it('reads post-deploy lines as management commands', () => {
    const { inputs } = read({ 'post-deploy': 'createcachetable\npython manage.py loaddata "my fixture.json"\n# a comment\n' })
    expect(inputs.postDeploy).toEqual([['createcachetable'], ['loaddata', 'my fixture.json']])
    expect(() => read({ 'post-deploy': './deploy.sh --now' })).toThrowError(/does not start with a management command name/)
    expect(() => read({ 'post-deploy': 'shell -c "x --trace"' })).toThrowError(/--trace/)
  })

  it('refuses config Dokku owns, a DATABASE_URL next to postgres: true, bad domains and branches', () => {
    expect(() => read({ config: 'PORT=8000' })).toThrowError(
      expect.objectContaining({ input: 'config', hint: expect.stringContaining('Dokku sets PORT') }),
    )
    expect(() => read({ config: 'DOKKU_X=1' })).toThrowError(/managed by Dokku/)
    expect(() => read({ config: 'DATABASE_URL=postgres://x', postgres: 'true' })).toThrowError(/two databases/)
    expect(() => read({ domains: 'https://blog.example.com' })).toThrowError(/is a URL/)
    expect(() => read({ letsencrypt: 'true' })).toThrowError(/needs at least one domain/)
    expect(() => read({ branch: 'main branch' })).toThrowError(expect.objectContaining({ input: 'branch' }))
    expect(() => read({ 'working-directory': '../elsewhere' })).toThrowError(
      expect.objectContaining({ input: 'working-directory' }),
    )
    expect(read({ 'working-directory': './apps/blog/' }).inputs.workingDirectory).toBe('apps/blog')
    expect(read({ 'working-directory': '.' }).inputs.workingDirectory).toBe('')
    vi.stubEnv('GITHUB_WORKSPACE', '/home/runner/work/blog/blog')
    try {
      expect(read({ 'working-directory': '/home/runner/work/blog/blog/apps/blog' }).inputs.workingDirectory).toBe('apps/blog')
      expect(() => read({ 'working-directory': '/home/runner/work/other' })).toThrowError(/outside the repository/)
    } finally {
      vi.unstubAllEnvs()
    }
    expect(() => read({ 'http-check': 'yes please' })).toThrowError(expect.objectContaining({ input: 'http-check' }))
  })

  it('splits domains on commas and lines, lowercases, drops duplicates', () => {
    expect(read({ domains: 'Blog.example.com, www.example.com\nblog.example.com.' }).inputs.domains).toEqual([
      'blog.example.com',
      'www.example.com',
    ])
  })
})
