/**
 * The program git runs as its "ssh" (GIT_SSH_COMMAND) during our fetch and push. It does not
 * open an SSH connection and never sees the private key: it hands git's remote command
 * (`git-receive-pack '/app'`) to the action's process over a private local socket, and the action
 * runs it as one more channel on its own, already host-key-verified SSH connection
 * (git-bridge.ts). Bytes in both directions are relayed unchanged; stdout, stderr and the exit
 * status come back framed: [type:1][length:4][payload], type 1 stdout, 2 stderr, 3 exit code.
 *
 * It is plain JavaScript with only Node built-ins, written next to the socket (in the bridge's
 * 0700 directory) when the bridge starts: git starts it once per fetch or push, and a 60-line
 * script starts in a fraction of the time the 2 MB action bundle would take.
 *
 * git calls it as `<ssh> [-o SendEnv=GIT_PROTOCOL] [-p PORT] [-4|-6] user@host "<command>"`; the
 * action decides everything but the command, so only the last argument is used. The process
 * exits as soon as the remote command is done: git keeps our stdin open until we are gone.
 */
export const BRIDGE_SOCKET_ENV = 'DOKKU_ACTION_GIT_BRIDGE'
export const BRIDGE_TOKEN_ENV = 'DOKKU_ACTION_GIT_TOKEN'

export const FRAME_STDOUT = 1
export const FRAME_STDERR = 2
export const FRAME_EXIT = 3

export const SHIM_SOURCE = `'use strict'
// action-dokku git transport shim (see git-ssh-shim.ts in the action's sources).
const { connect } = require('node:net')
const socketPath = process.env.${BRIDGE_SOCKET_ENV}
const token = process.env.${BRIDGE_TOKEN_ENV}
const command = process.argv[process.argv.length - 1]
if (!socketPath || !token || process.argv.length < 3) {
  process.stderr.write('action-dokku git transport: started outside the action (no bridge socket); refusing.\\n')
  process.exit(255)
}
let exitCode = 255
let buffer = Buffer.alloc(0)
const socket = connect(socketPath)
socket.on('connect', () => {
  socket.write(JSON.stringify({ token, command }) + '\\n')
  process.stdin.pipe(socket)
})
socket.on('data', (chunk) => {
  buffer = Buffer.concat([buffer, chunk])
  while (buffer.length >= 5) {
    const type = buffer.readUInt8(0)
    const length = buffer.readUInt32BE(1)
    if (buffer.length < 5 + length) break
    const payload = buffer.subarray(5, 5 + length)
    buffer = buffer.subarray(5 + length)
    if (type === ${FRAME_STDOUT}) process.stdout.write(payload)
    else if (type === ${FRAME_STDERR}) process.stderr.write(payload)
    else if (type === ${FRAME_EXIT}) exitCode = Number(payload.toString('utf8'))
  }
})
socket.on('error', (error) => {
  process.stderr.write('action-dokku git transport: ' + error.message + '\\n')
})
socket.on('close', () => {
  process.stdout.write('', () => process.exit(Number.isInteger(exitCode) ? exitCode : 255))
})
`
