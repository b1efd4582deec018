import { describe, expect, it } from 'vitest'
import { isSecretName, maskConfigValue, SecretRegistry } from '../../src/github/secrets.js'
import { isTrivialValue, MemoryLogger, registerSecret } from '../../src/runtime/log.js'

describe('which names say secret', () => {
  it.each([
    'DJANGO_SECRET_KEY',
    'API_TOKEN',
    'DB_PASSWORD',
    'SMTP_PASS',
    'AWS_ACCESS_KEY_ID',
    'SENTRY_DSN',
    'DATABASE_URL',
    'GITHUB_PRIVATE_PEM',
    'GOOGLE_CREDENTIALS',
    'BASIC_AUTH',
    'stripe_api_key',
  ])('%s is secret', (name) => expect(isSecretName(name)).toBe(true))

  it.each(['DEBUG', 'ALLOWED_HOSTS', 'APP_ENV', 'KEYBOARD_LAYOUT', 'PASSTHROUGH_MODE', 'AUTHOR_NAME', 'WEB_CONCURRENCY'])(
    '%s is not',
    (name) => expect(isSecretName(name)).toBe(false),
  )

  it('a name the user marks is secret, in any case', () => {
    expect(isSecretName('STRIPE_LIVE', ['stripe_live'])).toBe(true)
    expect(isSecretName('STRIPE_TEST', ['stripe_live'])).toBe(false)
  })
})

describe('maskConfigValue', () => {
  it('masks secret-named values and URL passwords, leaves the rest readable', () => {
    const masked: string[] = []
    const push = (value: string) => masked.push(value)
    maskConfigValue('DEBUG', 'verbose-mode', push)
    maskConfigValue('ALLOWED_HOSTS', 'blog.example.com', push)
    maskConfigValue('API_TOKEN', 'tok-123456', push)
    maskConfigValue('CACHE_URL', 'redis://:p%40ss-word@localhost/0', push)
    expect(masked).toEqual(['tok-123456', 'p%40ss-word', 'p@ss-word', 'redis://:p%40ss-word@localhost/0'])
  })
})

describe('short or common values never reach ::add-mask::', () => {
  it.each(['1', 'true', 'false', 'yes', 'no', '8000', '3.14', 'abcde', '  on  ', 'Production', ''])('%j is trivial', (value) =>
    expect(isTrivialValue(value)).toBe(true),
  )
  it.each(['abcdef', 's3cr3t-key', '123456abc'])('%j is not', (value) => expect(isTrivialValue(value)).toBe(false))

  it('registerSecret, the registry and the memory logger skip them, even for a secret-named key', () => {
    const sent: string[] = []
    for (const value of ['1', 'true', 'yes', '42', 'short']) registerSecret(value, (part) => sent.push(part))
    expect(sent).toEqual([])

    const registry = new SecretRegistry((value) => sent.push(value))
    const log = new MemoryLogger()
    registry.add('true')
    registry.logger(log).setSecret('12345')
    maskConfigValue('SECRET_FLAG', 'false', (value) => registry.logger(log).setSecret(value))
    expect(sent).toEqual([])
    expect([...log.secrets]).toEqual([])
    expect(registry.size).toBe(0)

    registry.add('long-enough-secret')
    expect(sent).toEqual(['long-enough-secret'])
    expect(registry.containsSecret('x long-enough-secret y')).toBe(true)
  })
})
