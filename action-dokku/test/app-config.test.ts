import { describe, expect, it } from 'vitest'
import { desiredConfig, diffConfig, hostsOf, MANAGED_KEY } from '../src/app-config.js'

const base = {
  overlayModule: 'mysite.settings_deploy',
  hosts: ['blog.example.com'],
  https: true,
  mediaRoot: '/app/storage/media',
  generateSecret: () => 'generated-secret-'.padEnd(60, 'x'),
}

describe('desiredConfig', () => {
  it('generates a SECRET_KEY only when the app has none, and keeps the one it has', () => {
    const fresh = desiredConfig({ ...base, userConfig: [], current: {} })
    expect(fresh.generated).toEqual(['SECRET_KEY'])
    expect(fresh.values).toMatchObject({
      DJANGO_SETTINGS_MODULE: 'mysite.settings_deploy',
      ALLOWED_HOSTS: 'blog.example.com',
      CSRF_TRUSTED_ORIGINS: 'https://blog.example.com',
      DJANGO_HTTPS: 'true',
      MEDIA_ROOT: '/app/storage/media',
    })
    const kept = desiredConfig({ ...base, userConfig: [], current: { SECRET_KEY: 'already-there' } })
    expect(kept.generated).toEqual([])
    expect(kept.values.SECRET_KEY).toBe('already-there')
  })

  it("lets the user's config win and remembers which keys came from it", () => {
    const result = desiredConfig({
      ...base,
      userConfig: [
        { key: 'ALLOWED_HOSTS', value: 'x.example' },
        { key: 'SENTRY_DSN', value: 'https://k@o/1' },
      ],
      current: {},
    })
    expect(result.values.ALLOWED_HOSTS).toBe('x.example')
    expect(result.values[MANAGED_KEY]).toBe('ALLOWED_HOSTS,SENTRY_DSN')
  })

  it("settings-patch none sets only the user's config and MEDIA_ROOT", () => {
    expect(
      desiredConfig({ ...base, overlayModule: undefined, userConfig: [{ key: 'A', value: '1' }], current: {} }).values,
    ).toEqual({ MEDIA_ROOT: '/app/storage/media', A: '1', [MANAGED_KEY]: 'A' })
  })
})

describe('diffConfig', () => {
  it('sends only changed keys, and nothing on a second identical run', () => {
    const desired = { A: '1', B: 'two words', [MANAGED_KEY]: 'A,B' }
    expect(diffConfig(desired, { A: '1', B: 'old', [MANAGED_KEY]: 'A,B', GIT_REV: 'abc' }, ['A', 'B'])).toEqual({
      set: { B: 'two words' },
      unset: [],
    })
    expect(diffConfig(desired, { ...desired, DATABASE_URL: 'postgres://x' }, ['A', 'B'])).toEqual({ set: {}, unset: [] })
  })

  it('unsets keys removed from config since the last run, but never keys it did not set', () => {
    const current = { A: '1', OLD: 'x', MANUAL: 'by hand', [MANAGED_KEY]: 'A,OLD' }
    expect(diffConfig({ A: '1', [MANAGED_KEY]: 'A' }, current, ['A'])).toEqual({ set: { [MANAGED_KEY]: 'A' }, unset: ['OLD'] })
    expect(diffConfig({ [MANAGED_KEY]: '' }, { OLD: 'x', [MANAGED_KEY]: 'OLD' }, [])).toEqual({
      set: {},
      unset: [MANAGED_KEY, 'OLD'].sort(),
    })
  })
})

describe('hostsOf', () => {
  it('takes host names from URLs (ports and IPv6 brackets dropped) plus domains', () => {
    expect(hostsOf(['http://blog.dokku.me:8080', 'https://[2001:db8::1]/'], ['blog.example.com'])).toEqual([
      'blog.dokku.me',
      '2001:db8::1',
      'blog.example.com',
    ])
  })
})
