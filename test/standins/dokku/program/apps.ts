/** apps:* (plugins/apps): names, existence (exit 20), create, destroy, deploy locks. */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import path from 'node:path'
import { parseFlags } from './flags.js'
import { fail, info1, info1Quiet, log, logQuiet, info2Quiet, stderr, warn } from './output.js'
import { docker, removeRoute, stopRelease } from './runtime.js'
import {
  appNames,
  appRepo,
  buildCacheDir,
  deleteApp,
  loadApp,
  loadService,
  lockFile,
  saveApp,
  serviceNames,
  updateService,
  type App,
} from './state.js'

const NAME_RULE =
  'App name must begin with lowercase alphanumeric character, and may only contain lowercase alphanumerics, dots, and hyphens'

export function isValidAppName(name: string): void {
  if (name === '') fail('Please specify an app to run the command on')
  if (!/^[a-z0-9][a-z0-9.-]*$/.test(name)) fail(NAME_RULE)
}

/** common.VerifyAppName: a name neither rule accepts fails with the new rule's message; a missing app exits 20. */
export function verifyApp(name: string): App {
  if (name === '') fail('Please specify an app to run the command on')
  if (!/^[a-z0-9][a-z0-9.-]*$/.test(name) && !/^[a-z0-9][a-z0-9._-]*$/.test(name)) fail(NAME_RULE)
  const app = loadApp(name)
  if (!app) fail(`App ${name} does not exist`, 20)
  return app
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.on('error', reject)
    server.listen({ host: '127.0.0.1', port: 0, exclusive: true }, () => {
      const address = server.address()
      const port = typeof address === 'object' && address ? address.port : 0
      server.close(() => resolve(port))
    })
  })
}

export async function createApp(name: string): Promise<App> {
  isValidAppName(name)
  if (loadApp(name)) fail('Name is already taken')
  info1Quiet(`Creating ${name}...`)
  const app: App = {
    name,
    createdAt: Math.floor(Date.now() / 1000),
    config: {},
    mounts: [],
    domains: [],
    letsencrypt: false,
    releases: 0,
    port: await freePort(),
  }
  saveApp(app)
  mkdirSync(path.dirname(lockFile(name)), { recursive: true })
  return app
}

export async function appsCommand(command: string, args: string[]): Promise<void> {
  switch (command) {
    case 'apps:create': {
      const { positional } = parseFlags(command, args, {})
      await createApp(positional[0] ?? '')
      return
    }
    case 'apps:exists': {
      const { positional } = parseFlags(command, args, {})
      verifyApp(positional[0] ?? '')
      return
    }
    case 'apps:list': {
      parseFlags(command, args, { string: ['format'] })
      info2Quiet('My Apps')
      const names = appNames()
      if (names.length === 0) warn("You haven't deployed any applications yet")
      for (const name of names) log(name)
      return
    }
    case 'apps:destroy': {
      const { flags, positional } = parseFlags(command, args, { bool: ['force'] })
      const app = verifyApp(positional[0] ?? '')
      const force = flags.force === true || process.env.DOKKU_APPS_FORCE_DELETE === '1'
      if (!force) await confirm(app.name, 'app')
      destroyApp(app)
      return
    }
    case 'apps:lock': {
      const app = verifyApp(parseFlags(command, args, {}).positional[0] ?? '')
      mkdirSync(path.dirname(lockFile(app.name)), { recursive: true })
      writeFileSync(lockFile(app.name), '')
      info1('Deploy lock created')
      return
    }
    case 'apps:locked': {
      const app = verifyApp(parseFlags(command, args, {}).positional[0] ?? '')
      if (existsSync(lockFile(app.name))) {
        logQuiet('Deploy lock exists')
        return
      }
      fail('Deploy lock does not exist')
      return
    }
    case 'apps:unlock': {
      const app = verifyApp(parseFlags(command, args, {}).positional[0] ?? '')
      if (existsSync(lockFile(app.name))) {
        warn('A deploy may be in progress.')
        warn('Removing the app lock will not stop in progress deploys.')
      }
      try {
        rmSync(lockFile(app.name))
      } catch {
        fail('Unable to remove deploy lock')
      }
      info1('Deploy lock removed')
      return
    }
    default:
      throw new NotImplemented()
  }
}

/** AskForDestructiveConfirmation: without a terminal, stdin has no answer and the command fails. */
async function confirm(name: string, type: string): Promise<void> {
  warn('WARNING: Potentially Destructive Action')
  warn(`This command will destroy ${type} ${name}.`)
  warn(`To proceed, type "${name}"`)
  process.stdout.write('> ')
  const chunks: Buffer[] = []
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer)
  const answer = Buffer.concat(chunks).toString('utf8').split('\n')[0]?.trim()
  if (answer === undefined || answer === '') fail('EOF')
  if (answer !== name) {
    stderr('Confirmation did not match test. Aborted.')
    process.exit(1)
  }
}

export function destroyApp(app: App): void {
  info1(`Destroying ${app.name} (including all add-ons)`)
  // pre-delete of dokku-postgres: forget the links (the DATABASE_URL goes with the app).
  for (const name of serviceNames()) {
    const service = loadService(name)
    if (service && service.links.includes(app.name)) {
      if (!process.env.DOKKU_QUIET_OUTPUT) log(`       Unlinking from ${name}`)
      updateService(name, (latest) => ({ ...latest, links: latest.links.filter((linked) => linked !== app.name) }))
    }
  }
  if (app.release) stopRelease(app.release)
  removeRoute(app.name)
  info1('Retiring old containers and images')
  if (app.release?.image) docker(['rmi', '-f', app.release.image])
  rmSync(buildCacheDir(app.name), { recursive: true, force: true })
  rmSync(appRepo(app.name), { recursive: true, force: true })
  rmSync(path.dirname(lockFile(app.name)), { recursive: true, force: true })
  deleteApp(app.name)
}

/** Lock holders write their pid; a lock file without a live holder does not block a deploy (flock semantics). */
export function lockHeld(name: string): boolean {
  if (!existsSync(lockFile(name))) return false
  const pid = Number(readFileSync(lockFile(name), 'utf8').trim().replace(/^pid-/, ''))
  if (!Number.isInteger(pid) || pid <= 0) return false
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

export class NotImplemented extends Error {}
