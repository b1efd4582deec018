/**
 * The stand-in for Dokku's nginx: one long-running process (started with the stand-in, like nginx
 * on a real server) that listens on each app's public port and forwards connections to the port
 * of the release that passed its checks. It follows proxy/routes.json and writes the version it
 * serves to proxy/applied, so a deploy can wait for the switch like Dokku waits for nginx reload.
 * Without a healthy release it answers 502, as nginx does.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { connect, createServer, type Server } from 'node:net'
import path from 'node:path'

const root = process.argv[2] ?? ''
const routesFile = path.join(root, 'proxy', 'routes.json')
const appliedFile = path.join(root, 'proxy', 'applied')

interface Route {
  listen: number
  upstream: number | null
}

const listeners = new Map<string, { server: Server; route: Route }>()
let lastVersion = -1

const BAD_GATEWAY =
  'HTTP/1.1 502 Bad Gateway\r\nContent-Type: text/html\r\nContent-Length: 11\r\nConnection: close\r\n\r\nBad Gateway'

function listen(name: string, route: Route): Promise<void> {
  return new Promise((resolve) => {
    const entry = { server: createServer(), route }
    entry.server.on('connection', (client) => {
      const upstream = entry.route.upstream
      client.on('error', () => client.destroy())
      if (upstream === null) {
        client.end(BAD_GATEWAY)
        return
      }
      const backend = connect(upstream, '127.0.0.1')
      backend.on('error', () => {
        if (!client.destroyed) client.end(BAD_GATEWAY)
      })
      client.pipe(backend).pipe(client)
    })
    entry.server.on('error', (error) => {
      process.stderr.write(`proxy: cannot listen on ${route.listen} for ${name}: ${error.message}\n`)
      resolve()
    })
    entry.server.listen(route.listen, '127.0.0.1', () => resolve())
    listeners.set(name, entry)
  })
}

async function apply(): Promise<void> {
  if (!existsSync(routesFile)) return
  let parsed: { version: number; routes: Record<string, Route> }
  try {
    parsed = JSON.parse(readFileSync(routesFile, 'utf8')) as typeof parsed
  } catch {
    return
  }
  if (parsed.version === lastVersion) return
  lastVersion = parsed.version
  for (const [name, entry] of listeners) {
    const route = parsed.routes[name]
    if (!route || route.listen !== entry.route.listen) {
      entry.server.close()
      listeners.delete(name)
    }
  }
  for (const [name, route] of Object.entries(parsed.routes)) {
    const entry = listeners.get(name)
    if (entry) entry.route = route
    else await listen(name, route)
  }
  const temporary = `${appliedFile}.tmp`
  writeFileSync(temporary, String(parsed.version))
  renameSync(temporary, appliedFile)
}

let busy = false
setInterval(() => {
  if (busy) return
  busy = true
  apply().finally(() => {
    busy = false
  })
}, 20)
process.on('SIGTERM', () => process.exit(0))
process.stdout.write('proxy ready\n')
