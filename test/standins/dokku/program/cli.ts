/**
 * The Dokku stand-in's command implementations, called by the dispatcher (dokku.sh) with the
 * argument list Dokku itself would have built. Unknown commands fail exactly like Dokku:
 * " !     `<args>` is not a dokku command." and exit 1.
 */
import { appsCommand, NotImplemented } from './apps.js'
import { configCommand } from './config.js'
import { domainsCommand } from './domains.js'
import { builderCommand, buildsCommand, letsencryptCommand, pluginCommand, psCommand, runCommand, urlsCommand } from './extras.js'
import { gitCommand } from './git.js'
import { Fail, warn } from './output.js'
import { postgresCommand } from './postgres.js'
import { loadGlobal } from './state.js'
import { storageCommand } from './storage.js'

async function dispatch(args: string[]): Promise<void> {
  const [command = '', ...rest] = args
  const plugin = command.split(':')[0] ?? ''
  const installed = loadGlobal().plugins
  if (command === 'git-hook' || command.startsWith('git-') || plugin === 'git') return gitCommand(command, rest)
  if (plugin === 'apps') return appsCommand(command, rest)
  if (plugin === 'config') return configCommand(command, rest)
  if (plugin === 'storage') return storageCommand(command, rest)
  if (plugin === 'domains') return domainsCommand(command, rest)
  if (plugin === 'ps') return psCommand(command, rest)
  if (plugin === 'builds') return buildsCommand(command, rest)
  if (plugin === 'builder') return builderCommand(command, rest)
  if (plugin === 'plugin') return pluginCommand(command)
  if (command === 'run') return runCommand(rest)
  if (command === 'url' || command === 'urls') return urlsCommand(command, rest)
  if (command === 'help' || command === '') {
    process.stdout.write('Usage: dokku [--quiet|--trace|--force] COMMAND <app> [command-specific-options]\n')
    return
  }
  if (plugin === 'postgres' && installed.includes('postgres')) return postgresCommand(command, rest)
  if (plugin === 'letsencrypt' && installed.includes('letsencrypt')) return letsencryptCommand(command, rest)
  throw new NotImplemented()
}

const args = process.argv.slice(2)
try {
  await dispatch(args)
} catch (error) {
  if (error instanceof NotImplemented) {
    warn(`\`${args.join(' ')}\` is not a dokku command.`)
    warn('See `dokku help` for a list of available commands.')
    process.exitCode = 1
  } else if (error instanceof Fail) {
    if (error.message) warn(error.message)
    process.exitCode = error.exitCode
  } else {
    warn(`stand-in bug: ${(error as Error).stack ?? String(error)}`)
    process.exitCode = 1
  }
}
