import { createRequire } from 'node:module'
import { Ajv, type ValidateFunction } from 'ajv'

/**
 * The Netlify API definition (`@netlify/open-api`, Swagger 2.0, already dereferenced) turned into
 * a route table with validators. Every request the stand-in receives is matched and checked here
 * first — path parameters, query parameters (types, enums) and the body against its schema — so a
 * client that sends what the definition does not allow is refused the way Netlify refuses it
 * (422 with `{code, message}`), whatever the handler behind the route would do.
 */
const require = createRequire(import.meta.url)

interface SwaggerParameter {
  name: string
  in: 'path' | 'query' | 'body' | 'header' | 'formData'
  type?: string
  enum?: string[]
  required?: boolean
  schema?: Record<string, unknown>
}

interface SwaggerOperation {
  operationId: string
  parameters?: SwaggerParameter[]
  consumes?: string[]
}

interface Swagger {
  basePath: string
  consumes: string[]
  paths: Record<string, Record<string, SwaggerOperation | SwaggerParameter[]>>
}

export interface Route {
  operationId: string
  method: string
  /** The definition's path, e.g. `/deploys/{deploy_id}/files/{path}`. */
  template: string
  consumes: string[]
  matcher: RegExp
  pathParams: string[]
  query: SwaggerParameter[]
  body?: { name: string; required: boolean; binary: boolean; validate?: ValidateFunction }
  literalSegments: number
}

export interface MatchedRoute {
  route: Route
  params: Record<string, string>
}

export interface ValidationProblem {
  status: 400 | 404 | 405 | 415 | 422
  message: string
}

export const swagger = require('@netlify/open-api/dist/swagger.json') as Swagger
export const BASE_PATH = swagger.basePath

const ajv = new Ajv({ strict: false, validateFormats: false, allErrors: true })

function buildRoutes(): Route[] {
  const routes: Route[] = []
  for (const [template, item] of Object.entries(swagger.paths)) {
    const shared = (Array.isArray(item.parameters) ? item.parameters : []) as SwaggerParameter[]
    for (const [method, value] of Object.entries(item)) {
      if (method === 'parameters' || Array.isArray(value)) continue
      const operation = value as SwaggerOperation
      const parameters = mergeParameters(shared, operation.parameters ?? [])
      const pathParams: string[] = []
      const segments = template.split('/').filter(Boolean)
      const pattern = segments
        .map((segment, index) => {
          const param = /^\{(.+)\}$/.exec(segment)?.[1]
          if (!param) return escapeRegExp(segment)
          pathParams.push(param)
          // `{path}` at the end of uploadDeployFile is a file path: it spans slashes.
          return index === segments.length - 1 && param === 'path' ? '(.+)' : '([^/]+)'
        })
        .join('/')
      const bodyParam = parameters.find((parameter) => parameter.in === 'body')
      const binary = bodyParam?.schema?.type === 'string' && bodyParam.schema.format === 'binary'
      // createSiteDeploy documents its raw zip body in the body schema's description, not in `consumes`.
      const description = bodyParam?.schema?.description
      const zipBody = typeof description === 'string' && description.includes("Content-Type to 'application/zip'")
      routes.push({
        operationId: operation.operationId,
        method: method.toUpperCase(),
        template,
        consumes: [...(operation.consumes ?? swagger.consumes), ...(zipBody ? ['application/zip'] : [])],
        matcher: new RegExp(`^/${pattern}/?$`),
        pathParams,
        query: parameters.filter((parameter) => parameter.in === 'query'),
        body: bodyParam
          ? {
              name: bodyParam.name,
              required: bodyParam.required === true,
              binary,
              validate: binary || !bodyParam.schema ? undefined : ajv.compile(bodyParam.schema),
            }
          : undefined,
        literalSegments: segments.filter((segment) => !segment.startsWith('{')).length,
      })
    }
  }
  // `/sites/{site_id}` must win over `/{account_slug}/sites`-style templates.
  return routes.sort((a, b) => b.literalSegments - a.literalSegments)
}

function mergeParameters(shared: SwaggerParameter[], own: SwaggerParameter[]): SwaggerParameter[] {
  const merged = new Map<string, SwaggerParameter>()
  for (const parameter of [...shared, ...own]) merged.set(`${parameter.in}:${parameter.name}`, parameter)
  return [...merged.values()]
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}

export const routes = buildRoutes()

export function operation(operationId: string): Route {
  const route = routes.find((candidate) => candidate.operationId === operationId)
  if (!route) throw new Error(`no operation ${operationId} in @netlify/open-api`)
  return route
}

/** Match `method path` (path below the base path, e.g. `/sites/abc`) to an operation. */
export function match(method: string, path: string): MatchedRoute | ValidationProblem {
  let pathMatched = false
  for (const route of routes) {
    const found = route.matcher.exec(path)
    if (!found) continue
    pathMatched = true
    if (route.method !== method) continue
    const params: Record<string, string> = {}
    route.pathParams.forEach((name, index) => {
      params[name] = safeDecode(found[index + 1] ?? '')
    })
    return { route, params }
  }
  return pathMatched ? { status: 405, message: `Method ${method} not allowed` } : { status: 404, message: 'Not Found' }
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value)
  } catch {
    return value
  }
}

/** Check the query string against the operation's query parameters. Unknown parameters are ignored, as Netlify does. */
export function validateQuery(route: Route, query: URLSearchParams): ValidationProblem | undefined {
  for (const parameter of route.query) {
    const value = query.get(parameter.name)
    if (value === null) {
      if (parameter.required) return { status: 422, message: `Missing required query parameter ${parameter.name}` }
      continue
    }
    if (parameter.type === 'integer' && !/^-?\d+$/.test(value))
      return { status: 422, message: `Invalid ${parameter.name}: '${value}' is not an integer` }
    if (parameter.type === 'number' && !Number.isFinite(Number(value)))
      return { status: 422, message: `Invalid ${parameter.name}: '${value}' is not a number` }
    if (parameter.type === 'boolean' && value !== 'true' && value !== 'false')
      return { status: 422, message: `Invalid ${parameter.name}: '${value}' is not a boolean` }
    if (parameter.enum && !parameter.enum.includes(value))
      return { status: 422, message: `Invalid ${parameter.name}: '${value}' is not one of ${parameter.enum.join(', ')}` }
  }
  return undefined
}

export type ParsedBody = { kind: 'none' } | { kind: 'json'; value: unknown } | { kind: 'binary'; value: Buffer }

/** Parse and validate the body. JSON bodies are checked against the definition's schema. */
export function validateBody(route: Route, contentType: string | undefined, raw: Buffer): ParsedBody | ValidationProblem {
  const body = route.body
  if (!body) return { kind: 'none' }
  const type = (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? ''
  const zip = type === 'application/zip' && route.consumes.includes('application/zip')
  if (raw.length === 0) {
    if (body.required && !body.binary && !zip) return { status: 422, message: `Missing request body (${body.name})` }
    // An empty zip body is still a zip body (and not a valid archive): the handler refuses it.
    return body.binary || zip ? { kind: 'binary', value: raw } : { kind: 'none' }
  }
  if (body.binary) return { kind: 'binary', value: raw }
  if (zip) return { kind: 'binary', value: raw }
  if (type !== '' && type !== 'application/json')
    return { status: 415, message: `Unsupported Content-Type ${type}; expected application/json` }
  let value: unknown
  try {
    value = JSON.parse(raw.toString('utf8'))
  } catch {
    return { status: 400, message: 'Invalid JSON body' }
  }
  if (body.validate && !body.validate(value)) {
    const details = (body.validate.errors ?? [])
      .map((error) => `${error.instancePath || body.name} ${error.message ?? 'is invalid'}`)
      .join('; ')
    return { status: 422, message: `Validation Failed: ${details}` }
  }
  return { kind: 'json', value }
}

export function isProblem(value: unknown): value is ValidationProblem {
  return typeof value === 'object' && value !== null && 'status' in value && 'message' in value && !('route' in value)
}
