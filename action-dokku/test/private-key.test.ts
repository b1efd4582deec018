import { createHash, createPrivateKey, createPublicKey } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { InputError } from '@django-deploy/shared/errors'
import { readDeployKey } from '../src/ssh/private-key.js'
import { fingerprintOfPrivate, opensslKey, sshKeygen } from './keys.js'

describe('readDeployKey', () => {
  it.each([
    ['ed25519', 'openssh'],
    ['rsa', 'openssh'],
    ['ecdsa', 'openssh'],
    ['rsa', 'pem'],
    ['ecdsa', 'pem'],
  ] as const)('reads a %s key in %s format and reports the fingerprint ssh-keygen shows', (type, format) => {
    const key = sshKeygen(type, { format, bits: type === 'rsa' ? 2048 : undefined })
    const deployKey = readDeployKey(key.privateKey, undefined)
    expect(deployKey.fingerprint).toBe(key.fingerprint)
    expect(deployKey.type).toMatch(type === 'ed25519' ? /^ssh-ed25519$/ : type === 'rsa' ? /^ssh-rsa$/ : /^ecdsa-sha2-nistp256$/)
  })

  it('decrypts passphrase-protected keys, and says which input is wrong when it cannot', () => {
    const key = sshKeygen('ed25519', { passphrase: 'correct horse' })
    expect(readDeployKey(key.privateKey, 'correct horse').fingerprint).toBe(key.fingerprint)
    expect(() => readDeployKey(key.privateKey, undefined)).toThrowError(
      expect.objectContaining({ input: 'ssh-passphrase', message: expect.stringMatching(/encrypted with a passphrase/) }),
    )
    expect(() => readDeployKey(key.privateKey, 'wrong')).toThrowError(
      expect.objectContaining({ input: 'ssh-passphrase', message: expect.stringMatching(/does not decrypt/) }),
    )
    const pem = sshKeygen('rsa', { passphrase: 'pem pass', format: 'pem', bits: 2048 })
    expect(readDeployKey(pem.privateKey, 'pem pass').fingerprint).toBe(pem.fingerprint)
    expect(() => readDeployKey(pem.privateKey, 'nope')).toThrowError(expect.objectContaining({ input: 'ssh-passphrase' }))
  })

  it.each(['ed25519', 'rsa', 'ec'] as const)('converts a PKCS#8 %s key (openssl genpkey), encrypted or not', (algorithm) => {
    // ssh-keygen 9.2 cannot read PKCS#8 ed25519; compute that fingerprint from the raw public key.
    const expected = (pem: string, passphrase?: string) =>
      algorithm === 'ed25519' ? ed25519Fingerprint(pem, passphrase) : fingerprintOfPrivate(pem, passphrase)
    const plain = opensslKey(algorithm)
    expect(readDeployKey(plain, undefined).fingerprint).toBe(expected(plain))
    const encrypted = opensslKey(algorithm, 'p8 secret')
    expect(encrypted).toContain('BEGIN ENCRYPTED PRIVATE KEY')
    expect(readDeployKey(encrypted, 'p8 secret').fingerprint).toBe(expected(encrypted, 'p8 secret'))
    expect(() => readDeployKey(encrypted, undefined)).toThrowError(expect.objectContaining({ input: 'ssh-passphrase' }))
  })

  it('survives what secret stores do to keys: CRLF, no final newline, escaped newlines, base64, outer spaces', () => {
    const key = sshKeygen('ed25519')
    const forms = [
      key.privateKey.replace(/\n/g, '\r\n'),
      key.privateKey.trimEnd(),
      key.privateKey.trimEnd().replace(/\n/g, '\\n'),
      Buffer.from(key.privateKey).toString('base64'),
      `  \n${key.privateKey}\n\n  `,
    ]
    for (const form of forms) expect(readDeployKey(form, undefined).fingerprint).toBe(key.fingerprint)
  })

  it('lists every derived form of the secret for masking', () => {
    const key = sshKeygen('ed25519')
    const crlf = key.privateKey.replace(/\n/g, '\r\n')
    const deployKey = readDeployKey(crlf, undefined)
    expect(deployKey.secrets).toContain(crlf)
    expect(deployKey.secrets).toContain(deployKey.privateKey)
    const p8 = opensslKey('ed25519')
    expect(readDeployKey(p8, undefined).secrets).toHaveLength(2)
  })

  it('recognises a public key pasted by mistake, and text that is no key at all', () => {
    const key = sshKeygen('ed25519')
    expect(() => readDeployKey(key.publicKey, undefined)).toThrowError(
      expect.objectContaining({ input: 'ssh-private-key', message: expect.stringMatching(/public key/) }),
    )
    expect(() => readDeployKey('hunter2', undefined)).toThrowError(InputError)
    expect(() =>
      readDeployKey('-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----\n', undefined),
    ).toThrowError(expect.objectContaining({ input: 'ssh-private-key' }))
  })
})

function ed25519Fingerprint(pem: string, passphrase?: string): string {
  const raw = Buffer.from(
    createPublicKey(createPrivateKey({ key: pem, format: 'pem', passphrase })).export({ format: 'jwk' }).x ?? '',
    'base64url',
  )
  const string = (data: Buffer) => Buffer.concat([Buffer.from([0, 0, 0, data.length]), data])
  const blob = Buffer.concat([string(Buffer.from('ssh-ed25519')), string(raw)])
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`
}
