/**
 * The smaller plugins: letsencrypt (when installed), run, ps, builds, builder, url(s), plugin.
 * letsencrypt cannot talk to an ACME server here: with domains and an e-mail it records the app as
 * secured (urls switch to https) the way a successful `letsencrypt:enable` would.
 */
import { existsSync, readFileSync, rmSync } from 'node:fs'
import { NotImplemented, verifyApp } from './apps.js'
import { restartApp } from './deploy.js'
import { fail, info1, info2, log, verbose, warn } from './output.js'
import { reportCommand } from './report.js'
import { appUrls, runInRelease } from './runtime.js'
import { loadGlobal, lockFile, updateApp } from './state.js'

export async function letsencryptCommand(command: string, args: string[]): Promise<void> {
  switch (command) {
    case 'letsencrypt:help':
      log('Usage: dokku letsencrypt[:COMMAND]')
      return
    case 'letsencrypt:active': {
      const app = verifyApp(args[0] ?? '')
      log(app.letsencrypt ? 'true' : 'false')
      return
    }
    case 'letsencrypt:set': {
      const app = verifyApp(args[0] ?? '')
      if (args[1] !== 'email')
        fail(`Invalid property specified, valid properties include: dns-provider, email, graceperiod, lego-docker-args, server`)
      updateApp(app.name, (latest) => ({ ...latest, letsencryptEmail: args[2] || undefined }))
      info2(args[2] ? `Setting email to ${args[2]}` : 'Unsetting email')
      return
    }
    case 'letsencrypt:enable': {
      const app = verifyApp(args.find((arg) => !arg.startsWith('-')) ?? '')
      if (app.domains.length === 0) {
        warn(`No domains detected for ${app.name}`)
        process.exit(1)
      }
      info2(`Enabling letsencrypt for ${app.name}`)
      if (!app.letsencryptEmail && !loadGlobal().letsencryptEmail) {
        warn('ERROR: Cannot request a certificate without an e-mail address!')
        warn('  please provide your e-mail address using')
        warn(`  dokku letsencrypt:set ${app.name} email <e-mail>`)
        warn('Failed to setup letsencrypt')
        fail('Check log output for further information on failure')
      }
      if (app.letsencrypt && !args.includes('--force')) {
        info1(`Certificate is still valid for ${app.name}, skipping certificate request`)
        return
      }
      updateApp(app.name, (latest) => ({ ...latest, letsencrypt: true }))
      info1('Done')
      return
    }
    default:
      throw new NotImplemented()
  }
}

export async function runCommand(args: string[]): Promise<void> {
  let i = 0
  const env: Record<string, string> = {}
  for (; i < args.length; i++) {
    const arg = args[i] as string
    if (arg === '--no-tty' || arg === '--rm' || arg === '--detach' || arg === '--rm-container') continue
    if (arg === '--env' || arg === '-e') {
      const pair = args[++i] ?? ''
      const equals = pair.indexOf('=')
      if (equals > 0) env[pair.slice(0, equals)] = pair.slice(equals + 1)
      continue
    }
    if (arg.startsWith('--env=')) {
      const pair = arg.slice(6)
      env[pair.slice(0, pair.indexOf('='))] = pair.slice(pair.indexOf('=') + 1)
      continue
    }
    break
  }
  const app = verifyApp(args[i] ?? '')
  const argv = args.slice(i + 1)
  if (!app.release) fail(`App image (dokku/${app.name}:latest) not found`)
  if (argv.length === 0) fail('No command specified')
  // A one-off container: the Procfile process type if the first word names one, else the command itself.
  const processCommand = argv.length === 1 ? app.release.processes[argv[0] as string] : undefined
  const result = runInRelease(app, app.release, processCommand ?? argv, { inherit: true, env })
  process.exitCode = result.status ?? 1
}

export async function psCommand(command: string, args: string[]): Promise<void> {
  switch (command) {
    case 'ps:restart':
    case 'ps:rebuild': {
      const app = verifyApp(args.find((arg) => !arg.startsWith('-')) ?? '')
      if (!app.release) {
        fail(`App ${app.name} has not been deployed`)
      }
      await restartApp(app.name)
      return
    }
    case 'ps:report':
      return reportCommand('ps', args, (app) => ({
        '--deployed': app.release ? 'true' : 'false',
        '--processes': app.release ? '1' : '0',
        '--running': app.release ? 'true' : 'false',
        '--ps-can-scale': 'true',
        '--ps-restart-policy': 'on-failure:10',
        '--status-web-1': app.release ? `running (CID: ${app.release.id})` : '',
      }))
    default:
      throw new NotImplemented()
  }
}

export async function buildsCommand(command: string, args: string[]): Promise<void> {
  if (command !== 'builds:cancel') throw new NotImplemented()
  const app = verifyApp(args[0] ?? '')
  const file = lockFile(app.name)
  if (!existsSync(file)) {
    info1('App not currently deploying')
    return
  }
  const pid = Number(readFileSync(file, 'utf8').trim())
  let running = false
  if (Number.isInteger(pid) && pid > 0) {
    try {
      process.kill(pid, 0)
      running = true
    } catch {
      running = false
    }
  }
  if (!running) {
    info1('Build was already terminated, marking failed')
    rmSync(file, { force: true })
    return
  }
  info1('Killing app deploy')
  try {
    process.kill(pid, 'SIGQUIT')
  } catch (error) {
    warn(`Failed to signal process group ${pid}: ${(error as Error).message}`)
  }
  rmSync(file, { force: true })
}

export async function builderCommand(command: string, args: string[]): Promise<void> {
  switch (command) {
    case 'builder:set': {
      const app = verifyApp(args[0] ?? '')
      if (args[1] !== 'selected' && args[1] !== 'build-dir')
        fail('Invalid property specified, valid properties include: build-dir, selected')
      if (args[1] === 'selected') updateApp(app.name, (latest) => ({ ...latest, builderSelected: args[2] || undefined }))
      info2(args[2] ? `Setting ${args[1]} to ${args[2]}` : `Unsetting ${args[1]}`)
      return
    }
    case 'builder:report':
      return reportCommand('builder', args, (app) => ({
        '--builder-build-dir': '',
        '--builder-computed-build-dir': '',
        '--builder-computed-selected': app.builderSelected ?? '',
        '--builder-global-build-dir': '',
        '--builder-global-selected': '',
        '--builder-selected': app.builderSelected ?? '',
      }))
    default:
      throw new NotImplemented()
  }
}

export function urlsCommand(command: string, args: string[]): void {
  const app = verifyApp(args[0] ?? '')
  const urls = appUrls(app)
  if (command === 'url') log(urls[0] ?? '')
  else for (const url of urls) log(url)
}

/** plugin:list works for the dokku user; every other plugin:* needs root, which SSH as dokku never is. */
export function pluginCommand(command: string): void {
  if (command === 'plugin:list') {
    const installed = loadGlobal().plugins
    for (const name of ['00_dokku-standard', 'apps', 'config', 'domains', 'git', 'ps', 'storage', ...installed])
      verbose(`${name.padEnd(28)}0.38.27 enabled    dokku plugin`)
    return
  }
  if (command === 'plugin:help') return
  fail('This command must be run as root')
}
