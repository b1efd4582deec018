import type { SshSession } from '../ssh/connection.js'

/**
 * The app repository's branches on the server, read in-process: the ref advertisement that
 * `git-upload-pack` sends first (pkt-lines, up to a flush packet), then a flush of our own to say
 * we want nothing. What `git ls-remote` does, without starting git and the transport shim.
 * Only for apps that exist: Dokku auto-creates an app when upload-pack names a missing one.
 */
export async function remoteBranches(session: SshSession, app: string): Promise<Map<string, string>> {
  const channel = await session.channel(`git-upload-pack '/${app}'`)
  return new Promise((resolve) => {
    let buffer = Buffer.alloc(0)
    const refs = new Map<string, string>()
    let done = false
    const finish = () => {
      if (done) return
      done = true
      channel.end('0000')
      resolve(refs)
    }
    channel.on('data', (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk])
      while (!done && buffer.length >= 4) {
        const length = parseInt(buffer.subarray(0, 4).toString('latin1'), 16)
        if (Number.isNaN(length)) return finish()
        if (length === 0) return finish()
        if (buffer.length < length) return
        const line = buffer.subarray(4, length).toString('utf8').replace(/\n$/, '')
        buffer = buffer.subarray(length)
        const [refPart = ''] = line.split('\0')
        const match = /^([0-9a-f]{40,64}) (refs\/heads\/\S+)$/.exec(refPart)
        if (match?.[1] && match[2]) refs.set(match[2].slice('refs/heads/'.length), match[1])
      }
    })
    channel.stderr.on('data', () => undefined)
    channel.on('close', finish)
  })
}
