/**
 * The dokku-postgres plugin (only when "installed": Global.plugins has 'postgres'), creating real
 * databases in the test bed's PostgreSQL cluster instead of containers. DATABASE_URL points at
 * that cluster (Dokku's would name the service's container, dokku-postgres-<name>:5432).
 */
import { randomBytes } from 'node:crypto'
import { spawnSync } from 'node:child_process'
import path from 'node:path'
import { NotImplemented, verifyApp } from './apps.js'
import { setMany } from './config.js'
import { restartApp } from './deploy.js'
import { fail, info1, info2, info2Quiet, log, verboseQuiet, warn } from './output.js'
import {
  deleteService,
  loadGlobal,
  loadService,
  saveService,
  serviceNames,
  updateConfig,
  updateService,
  type App,
  type PostgresService,
} from './state.js'

function verifyService(name: string): PostgresService {
  if (name === '') fail('SERVICE must not be empty')
  const service = loadService(name)
  if (!service) fail(`Postgres service ${name} does not exist`)
  return service
}

function psql(sql: string): void {
  const cluster = loadGlobal().postgres
  if (!cluster) fail('stand-in: no PostgreSQL cluster configured')
  const result = spawnSync(
    path.join(cluster.binDir, 'psql'),
    [
      '-X',
      '-q',
      '-v',
      'ON_ERROR_STOP=1',
      '-h',
      cluster.host,
      '-p',
      String(cluster.port),
      '-U',
      cluster.user,
      '-d',
      'postgres',
      '-c',
      sql,
    ],
    {
      encoding: 'utf8',
      env: { PATH: '/usr/bin:/bin', PGCONNECT_TIMEOUT: '10' },
    },
  )
  if (result.status !== 0) fail(`stand-in: psql failed: ${result.stderr.trim()}`)
}

export function serviceUrl(service: PostgresService): string {
  const cluster = loadGlobal().postgres
  return `postgres://${service.role}:${service.password}@${cluster?.host}:${cluster?.port}/${service.database}`
}

/** `DATABASE_URL`, or the first free alternative alias as the plugin picks one when DATABASE_URL is taken. */
function linkedAlias(app: App, service: PostgresService): string | undefined {
  const url = serviceUrl(service)
  return Object.keys(app.config).find((key) => key.endsWith('_URL') && app.config[key] === url)
}

export async function postgresCommand(command: string, args: string[]): Promise<void> {
  const flagWords = args.filter((arg) => arg.startsWith('-'))
  const positional = args.filter((arg) => !arg.startsWith('-'))
  const noRestart =
    flagWords.includes('--no-restart') ||
    flagWords.includes('-n') ||
    (process.env.DOKKU_GLOBAL_FLAGS ?? '').includes('--no-restart')
  switch (command) {
    case 'postgres:create': {
      const name = positional[0] ?? ''
      if (!/^[A-Za-z0-9_-]+$/.test(name)) fail('Please specify a valid name for the service. Valid characters are: [A-Za-z0-9_]+')
      if (loadService(name)) fail(`Postgres service ${name} already exists`)
      const database = name.replace(/[.-]/g, '_')
      const service: PostgresService = {
        name,
        database,
        role: `svc_${database}`.slice(0, 63),
        password: randomBytes(16).toString('hex'),
        links: [],
      }
      verboseQuiet('Waiting for container to be ready')
      verboseQuiet('Creating container database')
      psql(`CREATE ROLE "${service.role}" LOGIN PASSWORD '${service.password}'`)
      psql(`CREATE DATABASE "${service.database}" OWNER "${service.role}" ENCODING 'UTF8'`)
      verboseQuiet('Securing connection to database')
      saveService(service)
      info2(`Postgres container created: ${name}`)
      return
    }
    case 'postgres:exists': {
      const name = positional[0] ?? ''
      if (name === '') fail('Please specify a valid name for the service')
      verifyService(name)
      info1(`Service ${name} exists`)
      return
    }
    case 'postgres:link': {
      const [name = '', appName = process.env.DOKKU_APP_NAME ?? ''] = positional
      if (name === '') fail('Please specify a valid name for the service')
      if (appName === '') fail('Please specify an app to run the command on')
      const app = verifyApp(appName)
      const service = verifyService(name)
      const existing = linkedAlias(app, service)
      if (existing) fail(`Already linked as ${existing}`)
      const alias =
        app.config.DATABASE_URL === undefined
          ? 'DATABASE_URL'
          : `DOKKU_POSTGRES_${randomBytes(3).toString('hex').toUpperCase()}_URL`
      updateService(name, (latest) => ({ ...latest, links: [...new Set([...latest.links, app.name])].sort() }))
      await setMany(app, { [alias]: serviceUrl(service) }, false)
      if (noRestart) verboseQuiet('Skipping restart of linked app')
      else if (app.release) await restartApp(app.name)
      return
    }
    case 'postgres:linked': {
      const [name = '', appName = ''] = positional
      if (name === '') fail('Please specify a valid name for the service')
      if (appName === '') fail('Please specify an app to run the command on')
      const app = verifyApp(appName)
      const service = verifyService(name)
      if (!linkedAlias(app, service)) {
        warn(`Service ${name} is not linked to ${app.name}`)
        process.exit(1)
      }
      info1(`Service ${name} is linked to ${app.name}`)
      return
    }
    case 'postgres:unlink': {
      const [name = '', appName = ''] = positional
      if (name === '') fail('Please specify a valid name for the service')
      if (appName === '') fail('Please specify an app to run the command on')
      const service = verifyService(name)
      const app = verifyApp(appName)
      updateService(name, (latest) => ({ ...latest, links: latest.links.filter((linked) => linked !== app.name) }))
      const alias = linkedAlias(app, service)
      if (!alias) fail(`Not linked to app ${app.name}`)
      await updateConfig(app.name, (config) => {
        delete config[alias]
        return config
      })
      if (noRestart) verboseQuiet('Skipping restart of linked app')
      else if (app.release) await restartApp(app.name)
      return
    }
    case 'postgres:destroy': {
      const name = positional[0] ?? ''
      if (name === '') fail('Please specify a valid name for the service')
      const service = verifyService(name)
      if (service.links.length > 0) fail('Cannot delete linked service')
      const force =
        flagWords.some((flag) => flag === '-f' || flag === '--force') ||
        positional[1] === 'force' ||
        process.env.DOKKU_APPS_FORCE_DELETE === '1'
      if (!force) {
        warn('WARNING: Potentially Destructive Action')
        warn(`This command will destroy ${name} Postgres service.`)
        warn(`To proceed, type "${name}"`)
        log('')
        warn(`Confirmation did not match ${name}. Aborted.`)
        process.exit(1)
      }
      info2Quiet(`Deleting ${name}`)
      psql(`DROP DATABASE IF EXISTS "${service.database}" WITH (FORCE)`)
      psql(`DROP ROLE IF EXISTS "${service.role}"`)
      verboseQuiet('Removing data')
      deleteService(name)
      info2(`Postgres container deleted: ${name}`)
      return
    }
    case 'postgres:list': {
      const names = serviceNames()
      if (names.length === 0) {
        warn('There are no Postgres services')
        return
      }
      info2Quiet('Postgres services')
      for (const name of names) log(name)
      return
    }
    case 'postgres:help':
      log('Usage: dokku postgres[:COMMAND]')
      return
    case 'postgres:info': {
      const service = verifyService(positional[0] ?? '')
      info2Quiet(`${service.name} postgres service information`)
      log(`       Dsn:                 ${serviceUrl(service)}`)
      log(`       Links:               ${service.links.join(' ') || '-'}`)
      log('       Status:              running')
      return
    }
    default:
      throw new NotImplemented()
  }
}
