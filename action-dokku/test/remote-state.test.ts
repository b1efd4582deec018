import { describe, expect, it } from 'vitest'
import { atLeast, parseMounts, parseReport, parseVersion } from '../src/remote-state.js'

describe('reading what Dokku prints', () => {
  it('parses `dokku version`, and explains an answer that is not Dokku (a key that opens a shell)', () => {
    expect(parseVersion('dokku version 0.38.27\n')).toMatchObject({ major: 0, minor: 38, patch: 27 })
    expect(parseVersion('dokku version v0.30.2\n')).toMatchObject({ minor: 30, patch: 2 })
    expect(() => parseVersion('bash: line 1: version: command not found\n')).toThrowError(
      expect.objectContaining({
        message: expect.stringContaining(
          "The server did not answer like Dokku: 'version' printed 'bash: line 1: version: command not found'",
        ),
        hint: expect.stringContaining('dokku ssh-keys:add'),
      }),
    )
    expect(atLeast(parseVersion('dokku version 0.37.0'), 37)).toBe(true)
    expect(atLeast(parseVersion('dokku version 0.36.9'), 37)).toBe(false)
  })

  it('reads a report in its stdout form, whatever the padding', () => {
    const report = [
      '       Git deploy branch:             main',
      '       Git global deploy branch:      ',
      '       Git sha:                       0123abc',
      '       Git last updated at:           1700000000',
    ].join('\n')
    expect(parseReport(report)).toEqual({
      'git deploy branch': 'main',
      'git global deploy branch': '',
      'git sha': '0123abc',
      'git last updated at': '1700000000',
    })
  })

  it('reads storage:list without a TTY (host:container[:options] lines)', () => {
    expect(parseMounts('/var/lib/dokku/data/storage/blog-media:/app/storage/media\n/srv/x:/data:ro\n')).toEqual([
      { host: '/var/lib/dokku/data/storage/blog-media', container: '/app/storage/media' },
      { host: '/srv/x', container: '/data' },
    ])
  })
})
