import { createServer } from 'node:net'

/**
 * A TCP port that was free on `host` a moment ago (the OS picks it). Another process can still
 * take it before you bind, so servers started on it should retry with a new port when the bind
 * fails (startGunicorn and the PostgreSQL cluster do).
 */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.unref()
    server.on('error', reject)
    server.listen({ host, port: 0, exclusive: true }, () => {
      const address = server.address()
      if (address === null || typeof address === 'string') {
        server.close()
        reject(new Error('could not determine a free port'))
        return
      }
      server.close(() => resolve(address.port))
    })
  })
}
