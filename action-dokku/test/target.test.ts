import { describe, expect, it } from 'vitest'
import { displayTarget, parseTarget } from '../src/target.js'

const parse = (host: string, port = '22', user = 'dokku') => parseTarget({ host, port, user })

describe('parseTarget', () => {
  it.each([
    ['dokku.example.com', { host: 'dokku.example.com', port: 22, user: 'dokku' }],
    ['203.0.113.7', { host: '203.0.113.7', port: 22, user: 'dokku' }],
    ['2001:db8::7', { host: '2001:db8::7', port: 22, user: 'dokku' }],
    ['[2001:db8::7]', { host: '2001:db8::7', port: 22, user: 'dokku' }],
    ['[2001:db8::7]:2222', { host: '2001:db8::7', port: 2222, user: 'dokku' }],
    ['dokku.example.com:2222', { host: 'dokku.example.com', port: 2222, user: 'dokku' }],
    ['dokku@dokku.example.com', { host: 'dokku.example.com', port: 22, user: 'dokku' }],
    ['ssh://dokku@dokku.example.com:2222', { host: 'dokku.example.com', port: 2222, user: 'dokku' }],
    ['ssh://dokku@[2001:db8::7]:2222', { host: '2001:db8::7', port: 2222, user: 'dokku' }],
    ['ssh://dokku@dokku.example.com:22/blog', { host: 'dokku.example.com', port: 22, user: 'dokku', urlApp: 'blog' }],
    ['fe80::1%eth0', { host: 'fe80::1%eth0', port: 22, user: 'dokku' }],
  ])('%s', (host, expected) => {
    expect(parse(host)).toEqual(expected)
  })

  it('takes port and user from their inputs when the host does not say', () => {
    expect(parse('dokku.example.com', '2200', 'deploy')).toEqual({ host: 'dokku.example.com', port: 2200, user: 'deploy' })
  })

  it('refuses contradictions and git-remote forms with a hint', () => {
    expect(() => parse('ssh://dokku@h:2222', '2200')).toThrowError(expect.objectContaining({ input: 'port' }))
    expect(() => parse('ssh://root@h', '22', 'deploy')).toThrowError(expect.objectContaining({ input: 'user' }))
    expect(() => parse('dokku@h:blog')).toThrowError(/looks like a git remote/)
    expect(() => parse('https://dokku.example.com')).toThrowError(/Dokku is reached over SSH/)
    expect(() => parse('bad host')).toThrowError(/spaces/)
    expect(() => parse('under_score-.example')).toThrowError(/not a valid host name/)
    expect(() => parse('h', '70000')).toThrowError(/out of range/)
    expect(() => parse('')).toThrowError(expect.objectContaining({ input: 'host' }))
  })

  it('displays IPv6 in brackets and hides the default port', () => {
    expect(displayTarget(parse('[2001:db8::7]:2222'))).toBe('[2001:db8::7]:2222')
    expect(displayTarget(parse('example.com'))).toBe('example.com')
  })
})
