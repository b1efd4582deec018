import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { ActionError } from '../../src/errors.js'
import { Outputs } from '../../src/github/outputs.js'
import { SecretRegistry } from '../../src/github/secrets.js'
import { MemoryLogger } from '../../src/runtime/log.js'
import { quietSecrets } from './support.js'

let dir: string
let outputFile: string

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'github-outputs-'))
  outputFile = join(dir, 'output')
  process.env.GITHUB_OUTPUT = outputFile
})
beforeEach(() => writeFileSync(outputFile, ''))
afterAll(() => {
  delete process.env.GITHUB_OUTPUT
  rmSync(dir, { recursive: true, force: true })
})

/** Parse the `name<<delimiter ... delimiter` records @actions/core appends to GITHUB_OUTPUT. */
function readOutputs(): Record<string, string> {
  const result: Record<string, string> = {}
  const lines = readFileSync(outputFile, 'utf8').split('\n')
  for (let index = 0; index < lines.length; index++) {
    const header = /^([^<]+)<<(ghadelimiter_[0-9a-f-]+)$/.exec(lines[index] ?? '')
    if (!header) continue
    const body: string[] = []
    while (lines[++index] !== header[2]) body.push(lines[index] ?? '')
    result[header[1] ?? ''] = body.join('\n')
  }
  return result
}

const SSH_KEY =
  '-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ\nAAAAMwAAAAtzc2gtZWQyNTUxOQAAACBHK2Ni\n-----END OPENSSH PRIVATE KEY-----'

describe('Outputs (real @actions/core, temp GITHUB_OUTPUT)', () => {
  it('writes typed outputs, multi-line values intact, undefined left unset', () => {
    const outputs = new Outputs(['url', 'deployment-id', 'pages', 'notes', 'alias'] as const, quietSecrets().secrets)
    outputs.set('url', 'https://blog.example.com')
    outputs.set('deployment-id', 1234)
    outputs.set('pages', true)
    outputs.set('notes', 'line one\nline two')
    outputs.set('alias', undefined)
    expect(readOutputs()).toEqual({
      url: 'https://blog.example.com',
      'deployment-id': '1234',
      pages: 'true',
      notes: 'line one\nline two',
    })
    expect([...outputs.written().keys()]).toEqual(['url', 'deployment-id', 'pages', 'notes'])
  })

  it('refuses an output that contains a registered secret and writes nothing', () => {
    const { secrets } = quietSecrets()
    secrets.add('s3cr3t-database-password')
    const outputs = new Outputs(['url'] as const, secrets)
    expect(() => outputs.set('url', 'postgres://app:s3cr3t-database-password@db/app')).toThrow(ActionError)
    expect(() => outputs.set('url', 'postgres://app:s3cr3t-database-password@db/app')).toThrow(
      "Refusing to write step output 'url': it contains the value of a secret.",
    )
    expect(readFileSync(outputFile, 'utf8')).toBe('')
  })

  it('refuses one line of a multi-line secret, and setAll writes none when one is refused', () => {
    const { secrets } = quietSecrets()
    secrets.add(SSH_KEY)
    const outputs = new Outputs(['url', 'key-line'] as const, secrets)
    expect(() => outputs.setAll({ url: 'https://blog.example.com', 'key-line': 'AAAAMwAAAAtzc2gtZWQyNTUxOQAAACBHK2Ni' })).toThrow(
      /step output 'key-line'/,
    )
    expect(readFileSync(outputFile, 'utf8')).toBe('')
  })

  it('rejects an undeclared name from untyped callers', () => {
    const outputs = new Outputs(['url'] as const, quietSecrets().secrets)
    expect(() => (outputs as Outputs<string>).set('ulr', 'x')).toThrow("Output 'ulr' is not declared; declared outputs: url")
  })
})

describe('SecretRegistry', () => {
  it('masks a multi-line secret whole and line by line, skipping short structural lines', () => {
    const { secrets, masked } = quietSecrets()
    secrets.add('{\n  "private_key": "-----BEGIN PRIVATE KEY-----MIIEvQ"\n}')
    expect(masked).toEqual([
      '{\n  "private_key": "-----BEGIN PRIVATE KEY-----MIIEvQ"\n}',
      '"private_key": "-----BEGIN PRIVATE KEY-----MIIEvQ"',
    ])
  })

  it('is fed by the Logger it wraps, which still does the masking', () => {
    const memory = new MemoryLogger()
    const secrets = new SecretRegistry(() => {
      throw new Error('the wrapped logger masks, not the registry')
    })
    const log = secrets.logger(memory)
    log.setSecret('nfp_token_value_123')
    log.info('hello')
    expect(memory.secrets.has('nfp_token_value_123')).toBe(true)
    expect(memory.text()).toBe('info: hello')
    expect(secrets.containsSecret('x nfp_token_value_123 y')).toBe(true)
  })

  it('catches a secret after Markdown, HTML, URL or JSON escaping', () => {
    const { secrets } = quietSecrets()
    secrets.add('pa_ss<wo>rd&1')
    expect(secrets.containsSecret('pa\\_ss&lt;wo&gt;rd&amp;1')).toBe(true)
    expect(secrets.containsSecret('pa_ss&lt;wo&gt;rd&amp;1')).toBe(true)
    expect(secrets.containsSecret(`u=${encodeURIComponent('pa_ss<wo>rd&1')}`)).toBe(true)
    expect(secrets.containsSecret(JSON.stringify({ p: 'pa_ss<wo>rd&1' }))).toBe(true)
    expect(secrets.containsSecret('nothing here')).toBe(false)
  })

  it('neither masks nor checks very short values (they would match everywhere)', () => {
    const { secrets, masked } = quietSecrets()
    secrets.add('1')
    expect(masked).toEqual([]) // never sent to ::add-mask:: either (docs/secret-masking.md)
    expect(secrets.containsSecret('deployed 1 app')).toBe(false)
  })

  it('redacts for error messages', () => {
    const { secrets } = quietSecrets()
    secrets.add('hunter22')
    expect(secrets.redact('password hunter22 rejected')).toBe('password *** rejected')
  })

  it('never puts the secret in its refusal', () => {
    const { secrets } = quietSecrets()
    secrets.add('hunter22')
    try {
      secrets.assertClean('x hunter22', 'the job summary')
      expect.unreachable()
    } catch (error) {
      expect((error as ActionError).describe()).not.toContain('hunter22')
    }
  })
})
