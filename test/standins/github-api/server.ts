import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { error, graphqlReply, routes, type Reply } from './routes.js'
import { State, type Level, type Token } from './state.js'

/**
 * A local stand-in for the GitHub REST API, for the endpoints our reporting uses: a `node:http`
 * server on a free loopback port, started in-process. It behaves like GitHub where it matters to
 * a client: 401 without or with a wrong token, 403 (with `X-Accepted-GitHub-Permissions`) when
 * the token lacks a permission, 404 for unknown repositories and routes, 422/409 on bodies GitHub
 * rejects, `Link` pagination with `per_page` capped at 100. It records every request.
 *
 *     const github = await startGitHubApiStandin()
 *     github.state.addRepo('octo/blog'); github.state.addToken('t', { user: ACTIONS_BOT, installation: true })
 *     createGitHubClient({ token: 't', apiUrl: github.url })
 */
export interface RecordedRequest {
  method: string
  /** Path without the query, e.g. `/repos/octo/blog/issues/12/comments`. */
  path: string
  query: Record<string, string>
  body: unknown
  /** The token sent, if any. */
  token?: string
  status: number
}

export interface Injected {
  method: string
  path: RegExp
  /** Answer this instead (e.g. `{ status: 502 }`), or never answer at all (`'hang'`). */
  reply: Reply | 'hang'
  /** How many matching requests it applies to; default all. */
  times?: number
}

export interface GitHubApiStandin {
  /** Base URL to use as GITHUB_API_URL, e.g. http://127.0.0.1:40123 */
  url: string
  state: State
  requests: RecordedRequest[]
  /** The requests that change something (everything but GET and the read-only GraphQL query). */
  writes(): RecordedRequest[]
  inject(rule: Injected): void
  close(): Promise<void>
}

const LEVELS: Record<Level, number> = { none: 0, read: 1, write: 2 }

export async function startGitHubApiStandin(): Promise<GitHubApiStandin> {
  const state = new State()
  const requests: RecordedRequest[] = []
  const injected: Injected[] = []
  const hanging = new Set<ServerResponse>()
  let base = ''

  const server = createServer((req, res) => {
    readBody(req)
      .then((raw) => {
        const url = new URL(req.url ?? '/', base)
        const token = bearer(req.headers.authorization)
        const record: RecordedRequest = {
          method: req.method ?? 'GET',
          path: url.pathname,
          query: Object.fromEntries(url.searchParams),
          body: undefined,
          token,
          status: 0,
        }
        requests.push(record)
        let body: unknown
        if (raw !== '') {
          try {
            body = JSON.parse(raw)
          } catch {
            return send(res, record, error(400, 'Problems parsing JSON'))
          }
        }
        record.body = body
        const rule = injected.find(
          (entry) => entry.method === record.method && entry.path.test(url.pathname) && (entry.times ?? 1) > 0,
        )
        if (rule) {
          if (rule.times !== undefined) rule.times--
          if (rule.reply === 'hang') {
            hanging.add(res)
            return
          }
          return send(res, record, rule.reply)
        }
        return send(res, record, answer(state, record.method, url, base, token, body))
      })
      .catch((problem: unknown) => {
        res.statusCode = 500
        res.end(String(problem))
      })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`

  return {
    url: base,
    state,
    requests,
    writes: () => requests.filter((request) => request.method !== 'GET' && request.path !== '/graphql'),
    inject: (rule) => injected.unshift(rule),
    close: async () => {
      for (const res of hanging) res.destroy()
      server.closeAllConnections()
      await new Promise<void>((resolve, reject) => server.close((problem) => (problem ? reject(problem) : resolve())))
    },
  }
}

function answer(state: State, method: string, url: URL, base: string, tokenValue: string | undefined, body: unknown): Reply {
  const matches = routes
    .map((route) => ({ route, match: route.pattern.exec(url.pathname) }))
    .filter((entry) => entry.match !== null)
  const found = matches.find((entry) => entry.route.method === method)
  // Like GitHub: authentication is checked before anything else is revealed.
  if (tokenValue === undefined) return error(401, 'Requires authentication')
  const token = state.tokens.get(tokenValue)
  if (!token) return error(401, 'Bad credentials')
  if (!found || !found.match) return error(404, 'Not Found')
  if (url.pathname === '/graphql') return graphqlReply(state, token, body)
  const params = found.match.groups ?? {}
  const repo = state.repos.get(`${params.owner}/${params.name}`.toLowerCase())
  // GitHub hides repositories a token cannot see behind 404, never 403.
  if (!repo) return error(404, 'Not Found')
  const permission = found.route.permission
  if (permission && !permission.names.some((name) => LEVELS[token.permissions[name]] >= LEVELS[permission.level])) {
    const accepted = permission.names.map((name) => `${name}=${permission.level}`).join('; ')
    return error(403, forbiddenMessage(token), {}, { 'x-accepted-github-permissions': accepted })
  }
  return found.route.handle({ state, token, url, api: base, params, body, repo })
}

function forbiddenMessage(token: Token): string {
  return token.installation ? 'Resource not accessible by integration' : 'Resource not accessible by personal access token'
}

function send(res: ServerResponse, record: RecordedRequest, reply: Reply): void {
  record.status = reply.status
  res.statusCode = reply.status
  res.setHeader('x-github-api-version-selected', '2022-11-28')
  res.setHeader('x-ratelimit-limit', '5000')
  res.setHeader('x-ratelimit-remaining', '4999')
  for (const [name, value] of Object.entries(reply.headers ?? {})) res.setHeader(name, value)
  if (reply.body === undefined) {
    res.end()
    return
  }
  res.setHeader('content-type', 'application/json; charset=utf-8')
  res.end(JSON.stringify(reply.body))
}

function bearer(header: string | undefined): string | undefined {
  const match = /^(?:token|bearer)\s+(\S+)$/i.exec(header?.trim() ?? '')
  return match?.[1]
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')))
    req.on('error', reject)
  })
}
