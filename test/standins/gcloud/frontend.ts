import { spawnSync } from 'node:child_process'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { createServer as createHttpServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http'
import { createServer as createHttpsServer, request as httpsRequest } from 'node:https'
import type { Socket } from 'node:net'
import { join } from 'node:path'
import { connect as tlsConnect } from 'node:tls'
import { REGIONS, serviceUrls, tagUrl } from './resources.js'
import { loadState, type CloudState, type Revision, type Service } from './state.js'

/**
 * Google's front end for `*.run.app`, on loopback: an HTTP proxy that accepts CONNECT to
 * `*.run.app:443` only (nothing else is reachable from the test bed), terminates TLS with a
 * certificate of a CA made for this stand-in, and routes by Host as Cloud Run does: a service's
 * URLs to the revision serving its traffic, `TAG---` URLs to the tagged revision, 403 without a
 * bearer token for a private service, 404 for an unknown host, 503 when no ready instance
 * answers. The request goes to the revision's container with its Host header unchanged (so Django
 * itself checks ALLOWED_HOSTS) and `X-Forwarded-Proto: https`, as Google's front end sends it.
 *
 * A Node process reaches it with HTTPS_PROXY=<proxyUrl>, NODE_USE_ENV_PROXY=1 and
 * NODE_EXTRA_CA_CERTS=<caFile> (`env`). Every answer carries `x-gcloud-standin-revision` naming
 * the revision that answered (the stand-in's own header: tests read it, Google sends none).
 */
export interface FrontEnd {
  proxyUrl: string
  caFile: string
  ca: string
  env: Record<string, string>
  close(): Promise<void>
}

export const REVISION_HEADER = 'x-gcloud-standin-revision'

/** A CA and a certificate for every run.app host form (service, legacy and regional), made with openssl. */
function makeCertificates(dir: string): { ca: string; caFile: string; key: string; cert: string } {
  mkdirSync(dir, { recursive: true })
  const openssl = (args: string[]): void => {
    const result = spawnSync('openssl', args, { cwd: dir, encoding: 'utf8' })
    if (result.status !== 0) throw new Error(`gcloud stand-in: openssl ${args[0]} failed: ${result.stderr}`)
  }
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes']
  openssl([
    'req',
    '-x509',
    ...ec,
    '-keyout',
    'ca.key',
    '-out',
    'ca.pem',
    '-days',
    '7',
    '-subj',
    '/CN=gcloud stand-in front end CA',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  ])
  openssl(['req', ...ec, '-keyout', 'run.app.key', '-out', 'run.app.csr', '-subj', '/CN=*.run.app'])
  const names = ['*.run.app', '*.a.run.app', ...REGIONS.map((region) => `*.${region}.run.app`)]
  writeFileSync(
    join(dir, 'run.app.ext'),
    `subjectAltName=${names.map((name) => `DNS:${name}`).join(',')}\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n`,
  )
  openssl([
    'x509',
    '-req',
    '-in',
    'run.app.csr',
    '-CA',
    'ca.pem',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-days',
    '7',
    '-extfile',
    'run.app.ext',
    '-out',
    'run.app.pem',
  ])
  return {
    ca: readFileSync(join(dir, 'ca.pem'), 'utf8'),
    caFile: join(dir, 'ca.pem'),
    key: readFileSync(join(dir, 'run.app.key'), 'utf8'),
    cert: readFileSync(join(dir, 'run.app.pem'), 'utf8'),
  }
}

const NOT_FOUND =
  '<!DOCTYPE html>\n<html lang=en>\n  <meta charset=utf-8>\n  <title>Error 404 (Page not found)!!1</title>\n  <p><b>404.</b> <ins>That’s an error.</ins>\n  <p>The requested URL was not found on this server.  <ins>That’s all we know.</ins>\n'
const FORBIDDEN =
  '\n<html><head>\n<meta http-equiv="content-type" content="text/html;charset=utf-8">\n<title>403 Forbidden</title>\n</head>\n<body text=#000000 bgcolor=#ffffff>\n<h1>Error: Forbidden</h1>\n<h2>Your client does not have permission to get URL <code>/</code> from this server.</h2>\n<h2></h2>\n</body></html>\n'
const UNAVAILABLE = 'Service Unavailable'

/** Which service and revision a host name reaches, as Cloud Run's routing decides. */
export function route(state: CloudState, host: string): { service: Service; revision?: Revision } | undefined {
  const name = host.toLowerCase().replace(/:443$/, '')
  for (const service of Object.values(state.services)) {
    const urls = serviceUrls(state, service)
    let revisionName: string | undefined
    if ([urls.deterministic, urls.legacy].some((url) => new URL(url).host === name)) {
      const serving = [...service.traffic].sort((a, b) => (b.percent ?? 0) - (a.percent ?? 0))[0]
      revisionName = serving?.latestRevision ? service.latestReadyRevisionName : serving?.revisionName
    } else {
      const tagged = service.traffic.find((target) => target.tag && new URL(tagUrl(state, service, target.tag)).host === name)
      if (!tagged) continue
      revisionName = tagged.revisionName
    }
    const revision = revisionName ? state.revisions[`${service.projectId}/${service.region}/${revisionName}`] : undefined
    return { service, revision }
  }
  return undefined
}

export async function startFrontEnd(stateDir: string, dir: string): Promise<FrontEnd> {
  const certificates = makeCertificates(dir)
  const answer = (res: ServerResponse, status: number, body: string, revision?: string): void => {
    res.writeHead(status, {
      'content-type': status === 503 ? 'text/plain' : 'text/html; charset=UTF-8',
      ...(revision ? { [REVISION_HEADER]: revision } : {}),
    })
    res.end(body)
  }
  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const routed = route(loadState(stateDir), req.headers.host ?? '')
    if (!routed) return answer(res, 404, NOT_FOUND)
    const { service, revision } = routed
    if (!service.allowUnauthenticated && !/^Bearer .+/.test(req.headers.authorization ?? '')) return answer(res, 403, FORBIDDEN)
    if (!revision?.ready || !revision.instance) return answer(res, 503, UNAVAILABLE, revision?.name)
    const upstream = httpRequest(
      {
        host: '127.0.0.1',
        port: revision.instance.port,
        method: req.method,
        path: req.url,
        headers: {
          ...req.headers,
          'x-forwarded-proto': 'https',
          'x-forwarded-for': req.socket.remoteAddress ?? '127.0.0.1',
        },
      },
      (reply) => {
        res.writeHead(reply.statusCode ?? 502, { ...reply.headers, [REVISION_HEADER]: revision.name })
        reply.pipe(res)
      },
    )
    // An instance that crashed or does not answer: the front end's own 503.
    upstream.on('error', () => {
      if (!res.headersSent) answer(res, 503, UNAVAILABLE, revision.name)
      else res.destroy()
    })
    req.pipe(upstream)
  }
  const tlsServer = createHttpsServer({ key: certificates.key, cert: certificates.cert }, handle)
  const sockets = new Set<Socket>()
  const proxy = createHttpServer((_req, res) => {
    // Plain-HTTP proxying (http:// URLs): run.app answers only on HTTPS, and nothing else is reachable.
    res.writeHead(502, { 'content-type': 'text/plain' })
    res.end('gcloud stand-in front end: only CONNECT to *.run.app:443')
  })
  proxy.on('connection', (socket: Socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })
  proxy.on('connect', (req: IncomingMessage, socket: Socket, head: Buffer) => {
    const [host = '', port = ''] = (req.url ?? '').split(':')
    if (!/^[a-z0-9.-]+\.run\.app$/i.test(host) || port !== '443') {
      socket.end('HTTP/1.1 502 Bad Gateway\r\n\r\n')
      return
    }
    socket.write('HTTP/1.1 200 Connection Established\r\n\r\n')
    if (head.length) socket.unshift(head)
    tlsServer.emit('connection', socket)
  })
  await new Promise<void>((resolve, reject) => {
    proxy.once('error', reject)
    proxy.listen(0, '127.0.0.1', () => resolve())
  })
  const address = proxy.address()
  const proxyUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`
  return {
    proxyUrl,
    caFile: certificates.caFile,
    ca: certificates.ca,
    env: { HTTPS_PROXY: proxyUrl, NODE_USE_ENV_PROXY: '1', NODE_EXTRA_CA_CERTS: certificates.caFile },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy()
        proxy.close(() => resolve())
      }),
  }
}

/** GET `url` through the front end, as a client with HTTPS_PROXY and the CA would. */
export function fetchThrough(
  frontEnd: FrontEnd,
  url: string,
  headers: Record<string, string>,
): Promise<{ status: number; body: string; revision?: string; headers: Record<string, string | string[] | undefined> }> {
  const target = new URL(url)
  const port = Number(new URL(frontEnd.proxyUrl).port)
  return new Promise((resolve, reject) => {
    const connectRequest = httpRequest({ host: '127.0.0.1', port, method: 'CONNECT', path: `${target.hostname}:443` })
    connectRequest.on('error', reject)
    connectRequest.on('connect', (reply, socket) => {
      if (reply.statusCode !== 200) {
        socket.destroy()
        reject(new Error(`the front end refused CONNECT ${target.hostname}:443 (${reply.statusCode})`))
        return
      }
      const request = httpsRequest(
        {
          host: target.hostname,
          port: 443,
          defaultPort: 443,
          servername: target.hostname,
          path: `${target.pathname}${target.search}`,
          method: 'GET',
          headers,
          createConnection: () => tlsConnect({ socket, servername: target.hostname, ca: frontEnd.ca }),
        },
        (response) => {
          let body = ''
          response.setEncoding('utf8').on('data', (chunk: string) => void (body += chunk))
          response.on('end', () => {
            socket.destroy()
            const revision = response.headers[REVISION_HEADER]
            resolve({
              status: response.statusCode ?? 0,
              body,
              revision: typeof revision === 'string' ? revision : undefined,
              headers: response.headers,
            })
          })
        },
      )
      request.on('error', reject)
      request.end()
    })
    connectRequest.end()
  })
}
