import { EventEmitter } from 'node:events'
import { PassThrough } from 'node:stream'
import type { ClientChannel } from 'ssh2'
import { describe, expect, it } from 'vitest'
import { ActionError } from '@django-deploy/shared/errors'
import { MemoryLogger } from '@django-deploy/shared/runtime'
import { Session, type ExecClient } from '../src/ssh/connection.js'

/**
 * An sshd that counts sessions the way OpenSSH does: at most `maxSessions` per connection, and a
 * slot is free only `freeLagMs` after the channel closed (sshd frees it on a later pass of its main
 * loop). Anything over the limit gets OpenSSH's answer: "open failed", administratively prohibited.
 * A command runs `runMs`, then the server sends exit-status and EOF, and CHANNEL_CLOSE `closeLagMs` later.
 */
class FakeSshd extends EventEmitter implements ExecClient {
  used = 0
  open = 0
  peakOpen = 0
  opened: string[] = []
  refusals: Array<{ command: string; oursOpen: number }> = []
  events: string[] = []

  constructor(
    private readonly options: { maxSessions: number; freeLagMs: number; runMs: number; closeLagMs: number; failWith?: Error },
  ) {
    super()
  }

  exec(command: string, callback: (error: Error | undefined, stream: ClientChannel) => void): void {
    setImmediate(() => {
      if (this.options.failWith) return callback(this.options.failWith, undefined as unknown as ClientChannel)
      if (this.used >= this.options.maxSessions) {
        this.refusals.push({ command, oursOpen: this.open })
        this.events.push(`refused ${command}`)
        const error = Object.assign(new Error('(SSH) Channel open failure: open failed'), { reason: 1 })
        return callback(error, undefined as unknown as ClientChannel)
      }
      this.used++
      this.open++
      this.peakOpen = Math.max(this.peakOpen, this.open)
      this.opened.push(command)
      this.events.push(`open ${command}`)
      callback(undefined, this.channel(command))
    })
  }

  end(): void {
    this.emit('close')
  }

  private channel(command: string): ClientChannel {
    const stream = new PassThrough() as unknown as ClientChannel & PassThrough
    const stderr = new PassThrough()
    Object.assign(stream, { stderr })
    let closed = false
    const finish = () => {
      if (closed) return
      closed = true
      this.open--
      this.events.push(`close ${command}`)
      stream.emit('close')
      setTimeout(() => this.used--, this.options.freeLagMs)
    }
    Object.assign(stream, { close: finish })
    // stdin is ignored: ending it must not end the stream (a PassThrough would emit 'close' early).
    Object.assign(stream, {
      end: () => {
        setTimeout(() => {
          stream.push(`ran ${command}\n`)
          this.events.push(`exit ${command}`)
          stream.emit('exit', 0)
          stream.emit('eof')
          setTimeout(finish, this.options.closeLagMs)
        }, this.options.runMs)
        return stream
      },
    })
    return stream
  }
}

const KEY = { keyType: 'ssh-ed25519', fingerprint: 'SHA256:test' } as ConstructorParameters<typeof Session>[1]
const TARGET = { host: '127.0.0.1', port: 22, user: 'dokku' } as ConstructorParameters<typeof Session>[2]

function session(sshd: FakeSshd, log = new MemoryLogger(), backoff = { firstMs: 5, totalMs: 2_000 }): Session {
  return new Session(sshd, KEY, TARGET, log, backoff)
}

async function runAll(target: Session, count: number): Promise<string[]> {
  const results = await Promise.all(Array.from({ length: count }, (_, i) => target.exec(`cmd-${i}`)))
  return results.map((result) => `${result.exitCode} ${result.stdout.trim()}`)
}

describe('SSH sessions against a server that limits them', () => {
  for (const maxSessions of [1, 2, 3]) {
    it(`runs every command with MaxSessions ${maxSessions}, learning the limit`, async () => {
      const sshd = new FakeSshd({ maxSessions, freeLagMs: 3, runMs: 5, closeLagMs: 2 })
      const log = new MemoryLogger()
      const ssh = session(sshd, log)
      const results = await runAll(ssh, 12)
      expect(results).toEqual(Array.from({ length: 12 }, (_, i) => `0 ran cmd-${i}`))
      expect(sshd.peakOpen).toBeLessThanOrEqual(maxSessions)
      expect(sshd.refusals.length).toBeGreaterThan(0)
      expect(ssh.concurrency).toBeLessThanOrEqual(maxSessions)
      expect(ssh.concurrency).toBeGreaterThanOrEqual(1)
      // A handled refusal is a debug line, never a warning or an error.
      expect(log.entries.some((entry) => entry.level === 'debug' && /refused a channel/.test(entry.message))).toBe(true)
      expect(log.entries.filter((entry) => entry.level !== 'debug')).toEqual([])
    })
  }

  it('opens up to 8 at once against a stock server (MaxSessions 10)', async () => {
    const sshd = new FakeSshd({ maxSessions: 10, freeLagMs: 3, runMs: 10, closeLagMs: 0 })
    const ssh = session(sshd)
    const results = await runAll(ssh, 30)
    expect(results).toEqual(Array.from({ length: 30 }, (_, i) => `0 ran cmd-${i}`))
    expect(sshd.peakOpen).toBe(8)
  })

  it("retries only after a channel's 'close', not its exit-status or EOF", async () => {
    // exit-status and EOF arrive 40 ms before CHANNEL_CLOSE: a retry on 'exit' would be refused again.
    const sshd = new FakeSshd({ maxSessions: 1, freeLagMs: 0, runMs: 5, closeLagMs: 40 })
    const ssh = session(sshd)
    const results = await runAll(ssh, 5)
    expect(results).toEqual(Array.from({ length: 5 }, (_, i) => `0 ran cmd-${i}`))
    expect(sshd.refusals.length).toBeGreaterThan(0)
    // No open is attempted between a channel's exit-status and its CHANNEL_CLOSE.
    const exitedNotClosed = new Set<string>()
    for (const event of sshd.events) {
      const [kind, command = ''] = event.split(' ')
      if (kind === 'exit') exitedNotClosed.add(command)
      if (kind === 'close') exitedNotClosed.delete(command)
      if (kind === 'refused' || kind === 'open') expect([...exitedNotClosed], sshd.events.join('\n')).toEqual([])
    }
  })

  it('fails with a message naming MaxSessions when the server refuses every session', async () => {
    const sshd = new FakeSshd({ maxSessions: 0, freeLagMs: 0, runMs: 1, closeLagMs: 0 })
    const ssh = session(sshd, new MemoryLogger(), { firstMs: 5, totalMs: 50 })
    const error = await ssh.exec('version').catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(ActionError)
    expect((error as Error).message).toMatch(/refused every SSH session/)
    expect((error as ActionError).hint).toMatch(/MaxSessions/)
    expect(sshd.refusals.length).toBeGreaterThan(1)
  })

  it('does not retry other channel failures', async () => {
    const failWith = Object.assign(new Error('(SSH) Channel open failure: unknown channel type'), { reason: 3 })
    const sshd = new FakeSshd({ maxSessions: 10, freeLagMs: 0, runMs: 1, closeLagMs: 0, failWith })
    const error = await session(sshd)
      .exec('version')
      .catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(ActionError)
    expect((error as Error).message).toMatch(/refused to run a command: .*unknown channel type/)
  })

  it('fails the waiting commands when the connection is lost', async () => {
    const sshd = new FakeSshd({ maxSessions: 1, freeLagMs: 0, runMs: 30, closeLagMs: 0 })
    const ssh = session(sshd)
    const first = ssh.exec('first')
    const second = ssh.exec('second').catch((caught: unknown) => caught)
    await new Promise((resolve) => setTimeout(resolve, 10))
    sshd.emit('close')
    expect(((await second) as Error).message).toMatch(/was lost/)
    expect((await first).exitCode).toBe(0)
  })
})
