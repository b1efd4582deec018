import { Client, type ClientChannel, type ConnectConfig } from 'ssh2'
import { ActionError } from '@django-deploy/shared/errors'
import type { Logger } from '@django-deploy/shared/runtime/log'
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

/** OpenSSH allows 10 sessions per connection (MaxSessions); stay below it. */
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
      resolve({ kind: 'connected', session: new Session(client, verdict.key, target) })
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

class Session implements SshSession {
  private active = 0
  private readonly waiting: Array<() => void> = []
  private closed = false

  constructor(
    private readonly client: Client,
    readonly hostKey: PresentedKey,
    readonly target: SshTarget,
  ) {
    client.on('close', () => {
      this.closed = true
    })
    client.on('error', () => {
      /* surfaced on the channels that were open; a dead connection fails the next exec */
    })
  }

  async channel(command: string): Promise<ClientChannel> {
    await this.acquire()
    return new Promise((resolve, reject) => {
      if (this.closed) {
        this.release()
        reject(
          new ActionError(`The SSH connection to ${displayTarget(this.target)} was lost.`, {
            hint: 'The server or network dropped it; re-run the job.',
          }),
        )
        return
      }
      this.client.exec(command, (error, stream) => {
        if (error) {
          this.release()
          reject(new ActionError(`The server ${displayTarget(this.target)} refused to run a command: ${error.message}`))
          return
        }
        stream.once('close', () => this.release())
        resolve(stream)
      })
    })
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

  private acquire(): Promise<void> {
    if (this.active < MAX_CHANNELS) {
      this.active++
      return Promise.resolve()
    }
    return new Promise((resolve) => this.waiting.push(() => resolve()))
  }

  private release(): void {
    const next = this.waiting.shift()
    if (next) next()
    else this.active--
  }
}
