import { Client, type ClientChannel, type ConnectConfig } from 'ssh2'
import { ActionError } from '@django-deploy/shared/errors'
import type { Logger } from '@django-deploy/shared/runtime'
import type { SshTarget } from '../target.js'
import { displayTarget } from '../target.js'
import {
  algorithmsFor,
  describePins,
  pinLineFor,
  verifyHostKey,
  type HostKeyPolicy,
  type PresentedKey,
  type Verdict,
} from './host-keys.js'
import type { DeployKey } from './private-key.js'

/**
 * One SSH connection to the Dokku server for the whole run: every Dokku command, and git's
 * receive-pack/upload-pack (through git-bridge.ts), is a channel on it. One handshake instead of
 * one per command, keepalives for long builds, and the host key checked once, before anything
 * else is sent: ssh2 calls our verifier during key exchange, before user authentication, so with
 * a wrong key the server never sees a login attempt, let alone a command.
 */
export interface SshConnectOptions {
  target: SshTarget
  key: DeployKey
  hostKeys: HostKeyPolicy
  /** TCP connect + SSH handshake + authentication must finish within this. */
  readyTimeoutMs: number
  keepaliveIntervalMs?: number
  log: Logger
}

export interface ExecOptions {
  stdin?: string | Buffer
  onStdout?: (chunk: string) => void
  onStderr?: (chunk: string) => void
  /** Closing the channel is all SSH can do to stop a remote command. */
  signal?: AbortSignal
}

export interface ExecResult {
  exitCode: number
  /** Set when the remote command died of a signal. */
  signal?: string
  stdout: string
  stderr: string
}

export interface SshSession {
  readonly hostKey: PresentedKey
  readonly target: SshTarget
  exec(command: string, options?: ExecOptions): Promise<ExecResult>
  /** A raw exec channel for streaming protocols (git); released when it closes. */
  channel(command: string): Promise<ClientChannel>
  close(): void
}

/** OpenSSH allows 10 sessions per connection (MaxSessions); start below it, lower it when the server refuses one. */
const MAX_CHANNELS = 8

export async function connectSsh(options: SshConnectOptions): Promise<SshSession> {
  const excluded = new Set<string>()
  const seen: PresentedKey[] = []
  // With typed pins one attempt is enough. A bare fingerprint can be of any key type, and the server
  // presents one type per handshake: on a mismatch, ask again without that type, so a server whose
  // ed25519 key is not the pinned one still gets to show its RSA key. Each attempt stops right after
  // key exchange; nothing is authenticated or run.
  for (;;) {
    const algorithms = algorithmsFor(options.hostKeys, excluded)
    if (algorithms.length === 0) throw mismatchError(options, seen)
    let attempt: Attempt
    try {
      attempt = await connectOnce(options, algorithms)
    } catch (error) {
      // After a mismatch, "no matching host key type" means the server has no other key to show.
      if (seen.length > 0 && error instanceof ActionError && error.input === 'ssh-host-key') throw mismatchError(options, seen)
      throw error
    }
    if (attempt.kind === 'connected') return attempt.session
    seen.push(attempt.key)
    excluded.add(attempt.key.keyType)
    if (attempt.reason === 'revoked') throw revokedError(options, attempt.key)
    if (options.hostKeys.pins.every((pin) => pin.keyType !== undefined)) throw mismatchError(options, seen)
  }
}

type Attempt =
  { kind: 'connected'; session: SshSession } | { kind: 'rejected'; key: PresentedKey; reason: 'revoked' | 'mismatch' }

function connectOnce(options: SshConnectOptions, serverHostKey: string[]): Promise<Attempt> {
  const { target, key, log } = options
  return new Promise((resolve, reject) => {
    const client = new Client()
    let verdict: Verdict | undefined
    let settled = false
    let authFailed = false

    const config: ConnectConfig = {
      host: target.host,
      port: target.port,
      username: target.user,
      privateKey: key.privateKey,
      passphrase: key.passphrase,
      readyTimeout: options.readyTimeoutMs,
      keepaliveInterval: options.keepaliveIntervalMs ?? 15_000,
      keepaliveCountMax: 4,
      // Only public-key auth: no agent, no password prompt, no keyboard-interactive fallbacks.
      tryKeyboard: false,
      algorithms: { serverHostKey: serverHostKey as NonNullable<ConnectConfig['algorithms']>['serverHostKey'] },
      hostVerifier: (blob: Buffer) => {
        verdict = verifyHostKey(options.hostKeys, blob)
        return verdict.ok
      },
    }

    client.on('ready', () => {
      settled = true
      if (!verdict || !verdict.ok) {
        // Unreachable: ssh2 only becomes ready after the verifier accepted.
        client.end()
        reject(new Error('SSH connection became ready without a verified host key'))
        return
      }
      if (!verdict.pinned) {
        log.warning(
          `Host key NOT verified (insecure-skip-host-key-check is on). The server presented ${verdict.key.keyType} ${verdict.key.fingerprint}. ` +
            `To pin it, set ssh-host-key to:\n${pinLineFor(verdict.key, target.host, target.port)}`,
        )
      }
      resolve({ kind: 'connected', session: new Session(client, verdict.key, target, log) })
    })
    client.on('error', (error: Error & { level?: string; code?: string }) => {
      if (settled) return
      settled = true
      client.end()
      if (verdict && !verdict.ok) {
        resolve({ kind: 'rejected', key: verdict.key, reason: verdict.reason })
        return
      }
      if (error.level === 'client-authentication') authFailed = true
      reject(connectError(error, options, authFailed))
    })
    client.on('close', () => {
      if (settled) return
      settled = true
      reject(
        new ActionError(`The SSH connection to ${displayTarget(target)} closed during the handshake.`, {
          hint: 'Is this an SSH server? Check host and port.',
        }),
      )
    })
    client.connect(config)
  })
}

function connectError(
  error: Error & { level?: string; code?: string },
  options: SshConnectOptions,
  authFailed: boolean,
): ActionError {
  const where = displayTarget(options.target)
  const seconds = Math.round(options.readyTimeoutMs / 1000)
  if (authFailed) {
    return new ActionError(
      `The server ${where} refused the private key for user '${options.target.user}' (key ${options.key.fingerprint}).`,
      {
        input: 'ssh-private-key',
        hint:
          `Add the public half on the server as root: 'dokku ssh-keys:add github-actions <key.pub>' ('dokku ssh-keys:list' shows ${options.key.fingerprint} once it is there). ` +
          "The SSH user must be 'dokku'.",
      },
    )
  }
  switch (error.code) {
    case 'ECONNREFUSED':
      return new ActionError(
        `Could not connect to ${where}: connection refused (nothing listens on port ${options.target.port}).`,
        { input: 'host', hint: 'Check the host and port inputs, and that sshd runs on the server.' },
      )
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new ActionError(`The host name '${options.target.host}' does not resolve.`, {
        input: 'host',
        hint: 'Check the spelling, or use the IP address.',
      })
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return new ActionError(`${where} is unreachable from this runner (${error.code}).`, {
        input: 'host',
        hint: 'Check the address; a firewall must allow SSH from GitHub-hosted runners (or use a self-hosted runner).',
      })
    case 'ECONNRESET':
      return new ActionError(`${where} reset the connection during the SSH handshake.`, {
        input: 'host',
        hint: 'A firewall or fail2ban may be blocking this runner; check the server logs.',
      })
  }
  if (error.level === 'client-timeout' || /timed out/i.test(error.message)) {
    return new ActionError(`No SSH handshake with ${where} within ${seconds} s.`, {
      input: 'host',
      hint: 'The server did not answer: check host and port, and that the firewall allows SSH from this runner.',
    })
  }
  if (/handshake failed|no matching/i.test(error.message)) {
    return new ActionError(`The SSH handshake with ${where} failed: ${error.message}.`, {
      input: 'ssh-host-key',
      hint: 'The server offers no host key of the type pinned in ssh-host-key; pin the key it has (ssh-keyscan).',
    })
  }
  return new ActionError(`SSH connection to ${where} failed: ${error.message}`, { input: 'host' })
}

function mismatchError(options: SshConnectOptions, seen: PresentedKey[]): ActionError {
  const where = displayTarget(options.target)
  const presented = seen.map((key) => `${key.keyType} ${key.fingerprint}`).join(', ') || 'no key of a pinned type'
  return new ActionError(
    `HOST KEY MISMATCH: ${where} presented ${presented}, which is not pinned in ssh-host-key (${describePins(options.hostKeys).join('; ')}). Nothing was sent to the server.`,
    {
      input: 'ssh-host-key',
      hint:
        'If the server was reinstalled or its keys rotated, check the new key on the server itself (ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub) and update ssh-host-key. ' +
        'If nothing changed, someone may be intercepting the connection. ssh-host-key must hold the server key (ssh-keyscan), not your deploy key.',
    },
  )
}

function revokedError(options: SshConnectOptions, key: PresentedKey): ActionError {
  return new ActionError(
    `${displayTarget(options.target)} presented ${key.keyType} ${key.fingerprint}, which ssh-host-key marks @revoked. Nothing was sent to the server.`,
    {
      input: 'ssh-host-key',
    },
  )
}

/** What a Session needs of ssh2's Client (a fake in the unit tests). */
export interface ExecClient {
  exec(command: string, callback: (error: Error | undefined, stream: ClientChannel) => void): unknown
  on(event: 'close' | 'error', listener: (...args: unknown[]) => void): unknown
  end(): unknown
}

/** Channel-open refusals that mean "too many sessions": OpenSSH answers "open failed", administratively prohibited. */
const OPEN_REFUSED = new Set([1 /* ADMINISTRATIVELY_PROHIBITED */, 4 /* RESOURCE_SHORTAGE */])

function isRefusal(error: Error & { reason?: unknown }): boolean {
  return (typeof error.reason === 'number' && OPEN_REFUSED.has(error.reason)) || /open failed/i.test(error.message)
}

/**
 * Channels on the one connection. sshd caps sessions per connection (MaxSessions: 10 by default,
 * 2 or 1 on hardened servers) and frees a slot only some time after the channel closed, so a refused
 * open is normal, not an error: wait until one of our channels has really closed ('close', after
 * both sides sent CHANNEL_CLOSE) and try again, with the cap lowered to what was open when refused.
 * With none of ours open, the server is still freeing a slot: back off briefly and retry.
 */
export class Session implements SshSession {
  /** Slots taken: channels open and opens under way. */
  private active = 0
  /** Channels the server opened and has not closed yet. */
  private established = 0
  /** Learned from refusals; never below 1. */
  private limit = MAX_CHANNELS
  private readonly waiting: Array<() => void> = []
  private closeWaiters: Array<() => void> = []
  private closed = false
  private lastOpenedMs = Date.now()

  constructor(
    private readonly client: ExecClient,
    readonly hostKey: PresentedKey,
    readonly target: SshTarget,
    private readonly log?: Pick<Logger, 'debug'>,
    private readonly backoff: { firstMs: number; totalMs: number } = { firstMs: 20, totalMs: 15_000 },
  ) {
    client.on('close', () => {
      this.closed = true
      this.wakeCloseWaiters()
    })
    client.on('error', () => {
      /* surfaced on the channels that were open; a dead connection fails the next exec */
    })
  }

  /** The most channels this session opens at once (lowered when the server refuses one). */
  get concurrency(): number {
    return this.limit
  }

  async channel(command: string): Promise<ClientChannel> {
    let delayMs = this.backoff.firstMs
    let front = false
    let seenOpenedMs = this.lastOpenedMs
    for (;;) {
      await this.acquire(front)
      front = false
      if (this.closed) {
        this.release()
        throw this.lostError()
      }
      let result: { stream: ClientChannel } | { error: Error & { reason?: unknown } }
      try {
        result = { stream: await this.open(command) }
      } catch (error) {
        result = { error: error as Error & { reason?: unknown } }
      }
      if ('stream' in result) {
        this.established++
        this.lastOpenedMs = Date.now()
        result.stream.once('close', () => {
          this.established--
          this.release()
          this.wakeCloseWaiters()
        })
        return result.stream
      }
      const { error } = result
      if (!isRefusal(error)) {
        this.release()
        throw new ActionError(`The server ${displayTarget(this.target)} refused to run a command: ${error.message}`)
      }
      // Refused: the server's limit is at most what we had open (it may still count one that just closed).
      // Opens still under way do not count: they may be refused too, and never close.
      const others = this.established
      const lowered = Math.max(1, others)
      if (lowered < this.limit) {
        this.limit = lowered
        this.log?.debug(`SSH: the server refused a channel with ${others} open; opening at most ${lowered} at once from now on`)
      } else {
        this.log?.debug(
          `SSH: the server refused a channel with ${others} open; retrying ${others > 0 ? 'once one has closed' : 'shortly (it is still freeing a slot)'}`,
        )
      }
      if (others > 0) {
        // Wait for one of ours to close, holding no slot, then queue again.
        const closedOne = this.nextClose()
        this.release()
        await closedOne
        continue
      }
      this.release()
      // Give up only when the server has opened nothing for us for a long while.
      const idleMs = Date.now() - this.lastOpenedMs
      if (idleMs >= this.backoff.totalMs) throw this.refusedError(idleMs)
      // Back off longer only while nothing opens at all; once anything opened, start short again.
      if (this.lastOpenedMs !== seenOpenedMs) delayMs = this.backoff.firstMs
      seenOpenedMs = this.lastOpenedMs
      await new Promise((resolve) => setTimeout(resolve, delayMs))
      delayMs = Math.min(delayMs * 2, 500)
      front = true
    }
  }

  async exec(command: string, options: ExecOptions = {}): Promise<ExecResult> {
    const stream = await this.channel(command)
    return new Promise((resolve) => {
      const stdout: Buffer[] = []
      const stderr: Buffer[] = []
      let exitCode: number | undefined
      let exitSignal: string | undefined
      const onAbort = () => stream.close()
      options.signal?.addEventListener('abort', onAbort, { once: true })
      stream.on('data', (chunk: Buffer) => {
        stdout.push(chunk)
        options.onStdout?.(chunk.toString('utf8'))
      })
      stream.stderr.on('data', (chunk: Buffer) => {
        stderr.push(chunk)
        options.onStderr?.(chunk.toString('utf8'))
      })
      stream.on('exit', (code: number | null, signal?: string) => {
        if (typeof code === 'number') exitCode = code
        if (signal) exitSignal = signal
      })
      stream.on('close', () => {
        options.signal?.removeEventListener('abort', onAbort)
        resolve({
          // No exit status at all means the channel was torn down: treat as failure, never success.
          exitCode: exitCode ?? (exitSignal ? 128 : 255),
          signal: exitSignal,
          stdout: Buffer.concat(stdout).toString('utf8'),
          stderr: Buffer.concat(stderr).toString('utf8'),
        })
      })
      stream.end(options.stdin ?? undefined)
    })
  }

  close(): void {
    this.closed = true
    this.client.end()
  }

  private open(command: string): Promise<ClientChannel> {
    return new Promise((resolve, reject) => {
      this.client.exec(command, (error, stream) => (error ? reject(error) : resolve(stream)))
    })
  }

  private nextClose(): Promise<void> {
    return new Promise((resolve) => this.closeWaiters.push(resolve))
  }

  private wakeCloseWaiters(): void {
    const waiters = this.closeWaiters
    this.closeWaiters = []
    for (const wake of waiters) wake()
  }

  /** `front`: a retry after backing off goes before commands that have not been tried yet. */
  private acquire(front = false): Promise<void> {
    if (this.active < this.limit) {
      this.active++
      return Promise.resolve()
    }
    return new Promise((resolve) => (front ? this.waiting.unshift(() => resolve()) : this.waiting.push(() => resolve())))
  }

  private release(): void {
    this.active--
    // The limit may have dropped below what is open: hand a slot on only when there is room.
    while (this.active < this.limit && this.waiting.length > 0) {
      this.active++
      this.waiting.shift()?.()
    }
  }

  private lostError(): ActionError {
    return new ActionError(`The SSH connection to ${displayTarget(this.target)} was lost.`, {
      hint: 'The server or network dropped it; re-run the job.',
    })
  }

  private refusedError(idleMs: number): ActionError {
    return new ActionError(
      `The server ${displayTarget(this.target)} refused every SSH session for ${Math.round(idleMs / 1000)} s, with no other session of this run open.`,
      {
        hint: "sshd allows that many sessions per connection (MaxSessions in /etc/ssh/sshd_config); it must be at least 1. Check the server's sshd log ('no more sessions').",
      },
    )
  }
}
