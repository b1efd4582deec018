import { connect } from 'node:net'

/**
 * The program git runs as its "ssh" (GIT_SSH_COMMAND) during our push and fetch. It does not
 * open an SSH connection and never sees the private key: it hands git's remote command
 * (`git-receive-pack '/app'`) to the action's process over a private local socket, and the action
 * runs it as one more channel on its own, already host-key-verified SSH connection
 * (git-bridge.ts). Bytes in both directions are relayed unchanged; stdout, stderr and the exit
 * status come back framed.
 *
 * This file imports only Node built-ins, so it runs on its own (`node git-ssh-shim-main.ts` in
 * tests) as well as from the bundled dist/index.js (`--dokku-git-ssh`). Callers exit the process with
 * the returned code: git keeps our stdin open until we are gone, so waiting for it would hang.
 */
export const GIT_SSH_FLAG = '--dokku-git-ssh'
export const BRIDGE_SOCKET_ENV = 'DOKKU_ACTION_GIT_BRIDGE'
export const BRIDGE_TOKEN_ENV = 'DOKKU_ACTION_GIT_TOKEN'

/** Frame types from the bridge: [type:1][length:4][payload]. */
export const FRAME_STDOUT = 1
export const FRAME_STDERR = 2
export const FRAME_EXIT = 3

export interface ShimIo {
  stdin: NodeJS.ReadableStream
  stdout: NodeJS.WritableStream
  stderr: NodeJS.WritableStream
}

/**
 * git calls us as `<ssh> [-o SendEnv=GIT_PROTOCOL] [-p PORT] [-4|-6] user@host "<command>"`.
 * Everything but the command is decided by the action, so only the last argument matters.
 */
export function runGitSshShim(argv: readonly string[], env: NodeJS.ProcessEnv, io: ShimIo): Promise<number> {
  const socketPath = env[BRIDGE_SOCKET_ENV]
  const token = env[BRIDGE_TOKEN_ENV]
  const command = argv.at(-1)
  if (!socketPath || !token || !command) {
    io.stderr.write('action-dokku git transport: started outside the action (no bridge socket); refusing.\n')
    return Promise.resolve(255)
  }
  return new Promise((resolve) => {
    const socket = connect(socketPath)
    let buffer = Buffer.alloc(0)
    let exitCode: number | undefined
    socket.on('connect', () => {
      socket.write(`${JSON.stringify({ token, command })}\n`)
      io.stdin.pipe(socket)
    })
    socket.on('data', (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk])
      while (buffer.length >= 5) {
        const type = buffer.readUInt8(0)
        const length = buffer.readUInt32BE(1)
        if (buffer.length < 5 + length) break
        const payload = buffer.subarray(5, 5 + length)
        buffer = buffer.subarray(5 + length)
        if (type === FRAME_STDOUT) io.stdout.write(payload)
        else if (type === FRAME_STDERR) io.stderr.write(payload)
        else if (type === FRAME_EXIT) exitCode = Number(payload.toString('utf8'))
      }
    })
    socket.on('error', (error) => {
      io.stderr.write(`action-dokku git transport: ${error.message}\n`)
      exitCode ??= 255
    })
    socket.on('close', () => {
      const code = exitCode ?? 255
      // Let stdout drain before git sees us exit.
      io.stdout.write('', () => resolve(Number.isInteger(code) ? code : 255))
    })
  })
}

// Run from source (tests: `node action-dokku/src/ssh/git-ssh-shim.ts`). The bundle never matches:
// there the shim is reached through dist/index.js and GIT_SSH_FLAG.
if (/[\\/]git-ssh-shim\.ts$/.test(process.argv[1] ?? '')) {
  void runGitSshShim(process.argv.slice(2), process.env, { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr }).then((code) => process.exit(code))
}
