import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { ActionError } from '../../src/errors.js'
import { failureMessage, runAction } from '../../src/github/entrypoint.js'
import { quietSecrets } from './support.js'

let stdout: string[]

beforeEach(() => {
  stdout = []
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stdout.push(String(chunk))
    return true
  })
})
afterEach(() => {
  vi.restoreAllMocks()
  process.exitCode = undefined
})

describe('runAction', () => {
  it('turns an ActionError into one ::error:: with the hint and exit code 1', async () => {
    await runAction('action-static', async () => {
      throw new ActionError('is empty.', { input: 'github-token', hint: 'Leave it unset.' })
    })
    expect(process.exitCode).toBe(1)
    const errors = stdout.filter((line) => line.startsWith('::error::'))
    expect(errors).toEqual(["::error::action-static: Input 'github-token': is empty.%0ALeave it unset.\n"])
  })

  it('reports anything else as a bug', async () => {
    await runAction('action-dokku', async () => {
      throw new TypeError('x is undefined')
    })
    expect(stdout.join('')).toContain('::error::action-dokku failed unexpectedly: x is undefined%0AThis is a bug in action-dokku')
  })

  it('redacts registered secrets from the failure message', async () => {
    const { secrets } = quietSecrets()
    secrets.add('hunter2-password')
    await runAction(
      'action-dokku',
      async () => {
        throw new ActionError('remote said: auth hunter2-password rejected')
      },
      { secrets },
    )
    expect(stdout.join('')).toContain('::error::action-dokku: remote said: auth *** rejected')
    expect(stdout.join('')).not.toContain('hunter2-password')
  })

  it('leaves a successful run alone', async () => {
    await runAction('action-dokku', async () => {})
    expect(process.exitCode).toBeUndefined()
    expect(stdout).toEqual([])
  })
})

describe('failureMessage', () => {
  it('puts the cause chain (with HTTP request) in the debug log only', () => {
    const cause = Object.assign(new Error('Resource not accessible by integration'), {
      status: 403,
      request: { method: 'POST', url: 'https://api.github.com/repos/o/r/deployments' },
    })
    const message = failureMessage('action-cloudrun', new ActionError('GitHub refused.', { cause }))
    expect(message).toBe('action-cloudrun: GitHub refused.')
    expect(stdout.join('')).toContain(
      '::debug::caused by: Error: Resource not accessible by integration (POST https://api.github.com/repos/o/r/deployments → 403)',
    )
  })
})
