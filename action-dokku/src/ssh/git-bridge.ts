import { randomBytes, timingSafeEqual } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createServer, type Server, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import path from 'node:path'
import type { SshSession } from './connection.js'
import { BRIDGE_SOCKET_ENV, BRIDGE_TOKEN_ENV, FRAME_EXIT, FRAME_STDERR, FRAME_STDOUT, SHIM_SOURCE } from './git-ssh-shim.js'

/**
 * The action's side of the git transport (see git-ssh-shim.ts). A local socket in a fresh
 * directory only we can enter (0700), plus a random token, so no other user or process on the
 * runner can ride our SSH connection. Each accepted request is checked against `allow` (only
 * git's pack commands for the one app) before a channel is opened.
 *
 * No key file, no known_hosts file, no ssh-agent: git's transport is verified by the same
 * host-key check as every Dokku command, because it *is* the same connection.
 */
export interface GitBridgeOptions {
  session: SshSession
  /** Decides whether git may run this remote command (e.g. `git-receive-pack '/blog'`). */
  allow: (command: string) => boolean
  /** The Node.js that runs the shim; default the one running the action. */
  node?: string
  /** Parent directory for the socket and the shim; default RUNNER_TEMP or the OS temp dir. */
  tempDir?: string
}

export interface GitTraffic {
  command: string
  /** Bytes git sent to the server (the pack, on a push). */
  sent: number
  received: number
  exitCode: number
}

export interface GitBridge {
  /** Environment for the git process: GIT_SSH_COMMAND and the bridge coordinates. */
  env: Record<string, string>
  traffic: GitTraffic[]
  close(): Promise<void>
}

export async function startGitBridge(options: GitBridgeOptions): Promise<GitBridge> {
  const token = randomBytes(32).toString('hex')
  const parent = options.tempDir ?? process.env.RUNNER_TEMP ?? tmpdir()
  // mkdtemp creates the directory 0700: nobody else can reach the socket or swap the shim.
  const directory = mkdtempSync(path.join(parent, 'dokku-git-'))
  const shim = path.join(directory, 'shim.cjs')
  writeFileSync(shim, SHIM_SOURCE, { mode: 0o400 })
  const socketPath =
    process.platform === 'win32' ? `\\\\.\\pipe\\dokku-git-${randomBytes(8).toString('hex')}` : path.join(directory, 's')
  const traffic: GitTraffic[] = []
  const sockets = new Set<Socket>()

  const server: Server = createServer({ allowHalfOpen: true }, (socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
    handle(socket, token, options, traffic)
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(socketPath, () => resolve())
  })

  return {
    env: {
      GIT_SSH_COMMAND: [options.node ?? process.execPath, shim].map(shellQuote).join(' '),
      // "ssh" variant: git passes -p PORT the way OpenSSH takes it; the shim ignores it anyway.
      GIT_SSH_VARIANT: 'ssh',
      [BRIDGE_SOCKET_ENV]: socketPath,
      [BRIDGE_TOKEN_ENV]: token,
    },
    traffic,
    close: async () => {
      for (const socket of sockets) socket.destroy()
      await new Promise<void>((resolve) => server.close(() => resolve()))
      rmSync(directory, { recursive: true, force: true })
    },
  }
}

function handle(socket: Socket, token: string, options: GitBridgeOptions, traffic: GitTraffic[]): void {
  let header = Buffer.alloc(0)
  const onHeader = (chunk: Buffer) => {
    header = Buffer.concat([header, chunk])
    const newline = header.indexOf(0x0a)
    if (newline < 0) {
      if (header.length > 8192) refuse(socket, 'request too long')
      return
    }
    socket.off('data', onHeader)
    socket.pause()
    const rest = header.subarray(newline + 1)
    let request: { token?: unknown; command?: unknown }
    try {
      request = JSON.parse(header.subarray(0, newline).toString('utf8')) as typeof request
    } catch {
      refuse(socket, 'malformed request')
      return
    }
    if (typeof request.token !== 'string' || !sameToken(request.token, token)) {
      refuse(socket, 'bad token')
      return
    }
    if (typeof request.command !== 'string' || !options.allow(request.command)) {
      refuse(socket, `remote command not allowed: ${String(request.command)}`)
      return
    }
    void relay(socket, request.command, rest, options.session, traffic)
  }
  socket.on('data', onHeader)
  socket.on('error', () => socket.destroy())
}

async function relay(socket: Socket, command: string, early: Buffer, session: SshSession, traffic: GitTraffic[]): Promise<void> {
  const record: GitTraffic = { command, sent: 0, received: 0, exitCode: 255 }
  traffic.push(record)
  let channel
  try {
    channel = await session.channel(command)
  } catch (error) {
    frame(socket, FRAME_STDERR, Buffer.from(`fatal: ${(error as Error).message}\n`))
    frame(socket, FRAME_EXIT, Buffer.from('255'))
    socket.end()
    return
  }
  if (early.length > 0) {
    record.sent += early.length
    channel.write(early)
  }
  socket.on('data', (chunk: Buffer) => {
    record.sent += chunk.length
    if (!channel.write(chunk)) {
      socket.pause()
      channel.once('drain', () => socket.resume())
    }
  })
  socket.on('end', () => channel.end())
  // git went away (killed, cancelled): drop the channel so the remote side sees EOF.
  socket.on('close', () => channel.close())
  channel.on('data', (chunk: Buffer) => {
    record.received += chunk.length
    frame(socket, FRAME_STDOUT, chunk)
  })
  channel.stderr.on('data', (chunk: Buffer) => frame(socket, FRAME_STDERR, chunk))
  channel.on('exit', (code: number | null, signal?: string) => {
    record.exitCode = typeof code === 'number' ? code : signal ? 128 : 255
  })
  channel.on('close', () => {
    frame(socket, FRAME_EXIT, Buffer.from(String(record.exitCode)))
    socket.end()
  })
  socket.resume()
}

function frame(socket: Socket, type: number, payload: Buffer): void {
  if (socket.destroyed || socket.writableEnded) return
  const head = Buffer.alloc(5)
  head.writeUInt8(type, 0)
  head.writeUInt32BE(payload.length, 1)
  socket.write(Buffer.concat([head, payload]))
}

function refuse(socket: Socket, why: string): void {
  frame(socket, FRAME_STDERR, Buffer.from(`fatal: action-dokku git transport refused: ${why}\n`))
  frame(socket, FRAME_EXIT, Buffer.from('255'))
  socket.end()
}

function sameToken(given: string, expected: string): boolean {
  const a = Buffer.from(given)
  const b = Buffer.from(expected)
  return a.length === b.length && timingSafeEqual(a, b)
}

/** POSIX single quotes; git runs GIT_SSH_COMMAND through sh (also on Windows, via Git's bash). */
export function shellQuote(value: string): string {
  return /^[A-Za-z0-9_./:=@%+-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`
}
