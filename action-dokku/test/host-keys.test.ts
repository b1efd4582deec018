import { createHmac, randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import {
  algorithmsFor,
  fingerprintOf,
  hostMatches,
  parseHostKeys,
  pinLineFor,
  verifyHostKey,
  describeKey,
} from '../src/ssh/host-keys.js'
import { sshKeygen } from './keys.js'

const ed = sshKeygen('ed25519')
const rsa = sshKeygen('rsa', { bits: 2048 })
const other = sshKeygen('ed25519')
const blob = (publicKey: string) => Buffer.from(publicKey.split(' ')[1] ?? '', 'base64')
const keyPart = (publicKey: string) => publicKey.split(' ').slice(0, 2).join(' ')

function hashed(name: string): string {
  const salt = randomBytes(20)
  return `|1|${salt.toString('base64')}|${createHmac('sha1', salt).update(name).digest('base64')}`
}

describe('parseHostKeys + verifyHostKey', () => {
  it('pins a plain known_hosts line and accepts only that key', () => {
    const policy = parseHostKeys(`dokku.example.com ${keyPart(ed.publicKey)}`, 'dokku.example.com', 22, false)
    expect(verifyHostKey(policy, blob(ed.publicKey))).toMatchObject({ ok: true, pinned: true })
    expect(verifyHostKey(policy, blob(other.publicKey))).toMatchObject({ ok: false, reason: 'mismatch' })
  })

  it('matches the [host]:port form, hashed names, comma lists and wildcards', () => {
    const lines = [
      `[dokku.example.com]:2222 ${keyPart(ed.publicKey)}`,
      `${hashed('[10.0.0.5]:2222')} ${keyPart(rsa.publicKey)}`,
      `*.example.org,!bad.example.org ${keyPart(other.publicKey)}`,
    ].join('\n')
    expect(verifyHostKey(parseHostKeys(lines, 'dokku.example.com', 2222, false), blob(ed.publicKey)).ok).toBe(true)
    expect(verifyHostKey(parseHostKeys(lines, '10.0.0.5', 2222, false), blob(rsa.publicKey)).ok).toBe(true)
    expect(verifyHostKey(parseHostKeys(lines, 'www.example.org', 22, false), blob(other.publicKey)).ok).toBe(true)
    // the port-22 name does not match a [host]:2222 line
    expect(() => parseHostKeys(lines, 'dokku.example.com', 22, false)).toThrowError(
      /none of its lines is for dokku\.example\.com/,
    )
    expect(() => parseHostKeys(lines, 'bad.example.org', 22, false)).toThrowError(/\*\.example\.org,!bad\.example\.org/)
  })

  it('takes several lines (a whole ssh-keyscan output) and offers only their key types', () => {
    const lines = `# dokku.example.com:22 SSH-2.0-OpenSSH_9.2\ndokku.example.com ${keyPart(rsa.publicKey)}\ndokku.example.com ${keyPart(ed.publicKey)}\n`
    const policy = parseHostKeys(lines, 'dokku.example.com', 22, false)
    expect(policy.pins).toHaveLength(2)
    expect(algorithmsFor(policy)).toEqual(['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa', 'ssh-ed25519'])
    expect(verifyHostKey(policy, blob(ed.publicKey)).ok).toBe(true)
    expect(verifyHostKey(policy, blob(rsa.publicKey)).ok).toBe(true)
  })

  it('accepts a bare public key line and SHA256 fingerprints in ssh-keygen -l forms', () => {
    expect(verifyHostKey(parseHostKeys(ed.publicKey, 'h', 22, false), blob(ed.publicKey)).ok).toBe(true)
    const fp = fingerprintOf(blob(ed.publicKey))
    expect(fp).toBe(ed.fingerprint)
    for (const form of [fp, `256 ${fp} root@server (ED25519)`]) {
      const policy = parseHostKeys(form, 'h', 22, false)
      expect(verifyHostKey(policy, blob(ed.publicKey)).ok).toBe(true)
      expect(verifyHostKey(policy, blob(other.publicKey)).ok).toBe(false)
    }
    expect(algorithmsFor(parseHostKeys(`256 ${fp} x (ED25519)`, 'h', 22, false))).toEqual(['ssh-ed25519'])
    // a fingerprint without a type can be any type
    expect(algorithmsFor(parseHostKeys(fp, 'h', 22, false))).toContain('rsa-sha2-512')
  })

  it('refuses @revoked keys even when another line pins them', () => {
    const policy = parseHostKeys(`h ${keyPart(ed.publicKey)}\n@revoked h ${keyPart(ed.publicKey)}`, 'h', 22, false)
    expect(verifyHostKey(policy, blob(ed.publicKey))).toMatchObject({ ok: false, reason: 'revoked' })
  })

  it('explains every unusable value with the input name and a hint', () => {
    const cases: Array<[string, RegExp]> = [
      ['', /is required: without it nothing proves the server is yours/],
      ['MD5:12:34:56:78:9a:bc:de:f0:12:34:56:78:9a:bc:de:f0', /MD5 fingerprint/],
      ['SHA256:abc', /not a complete SHA256 fingerprint/],
      [`@cert-authority *.example.com ${keyPart(ed.publicKey)}`, /host certificates are not supported/],
      ['h ssh-ed25519 AAAAnotakey', /damaged/],
      ['just some words here', /neither a known_hosts line nor a SHA256 fingerprint/],
      [`h ssh-dss AAAAB3NzaC1kc3MAAACBAP`, /DSA host keys are obsolete/],
    ]
    for (const [value, message] of cases) {
      expect(() => parseHostKeys(value, 'h', 22, false)).toThrowError(
        expect.objectContaining({ input: 'ssh-host-key', message: expect.stringMatching(message), hint: expect.any(String) }),
      )
    }
  })

  it('insecure mode without a pin accepts any key, and prints the exact line to pin', () => {
    const policy = parseHostKeys('', 'dokku.example.com', 2222, true)
    expect(verifyHostKey(policy, blob(ed.publicKey))).toMatchObject({ ok: true, pinned: false })
    const line = pinLineFor(describeKey(blob(ed.publicKey)), 'dokku.example.com', 2222)
    expect(line).toBe(`[dokku.example.com]:2222 ${keyPart(ed.publicKey)}`)
    // and that line, given back, pins the key
    expect(verifyHostKey(parseHostKeys(line, 'dokku.example.com', 2222, false), blob(ed.publicKey))).toMatchObject({
      ok: true,
      pinned: true,
    })
    // insecure mode with a pin still enforces the pin
    expect(verifyHostKey(parseHostKeys(line, 'dokku.example.com', 2222, true), blob(other.publicKey)).ok).toBe(false)
  })

  it('hostMatches follows OpenSSH: negation wins, IPv6 in brackets with a port', () => {
    expect(hostMatches('!a.example.com,*.example.com', 'a.example.com')).toBe(false)
    expect(hostMatches('[2001:db8::1]:2222', '[2001:db8::1]:2222')).toBe(true)
    expect(hostMatches('2001:db8::1', '2001:db8::1')).toBe(true)
    expect(hostMatches('h?st', 'host')).toBe(true)
  })
})
