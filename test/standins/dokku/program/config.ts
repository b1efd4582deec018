/** config:* (plugins/config): set (plain or --encoded base64), import from stdin, export, get, unset, keys, show. */
import { NotImplemented, verifyApp } from './apps.js'
import { restartApp } from './deploy.js'
import { parseFlags } from './flags.js'
import { fail, info1Quiet, info2Quiet, log, quiet } from './output.js'
import { loadApp, updateApp, updateConfig, type App } from './state.js'

function validateKey(key: string): void {
  if (!/^[a-zA-Z_][a-zA-Z0-9_]*$/.test(key)) fail(`Invalid key name: '${key}'`)
}

function singleQuote(value: string): string {
  return value.replace(/'/g, `'\\''`)
}

/** SetMany: write, then restart unless --no-restart (and only a deployed app has anything to restart). */
export async function setMany(app: App, entries: Record<string, string>, restart: boolean): Promise<void> {
  for (const key of Object.keys(entries)) validateKey(key)
  if (Object.keys(entries).length > 0) {
    info1Quiet('Setting config vars')
    if (!quiet()) for (const [key, value] of Object.entries(entries)) log(`       ${key}:  ${value}`)
    await updateConfig(app.name, (config) => ({ ...config, ...entries }))
  }
  if (restart && app.release) await restartApp(app.name)
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks).toString('utf8')
}

/** godotenv's format, enough for what `config:export --format envfile` writes. */
function parseEnvfile(text: string): Record<string, string> {
  const result: Record<string, string> = {}
  for (const line of text.split('\n')) {
    const match = /^\s*(?:export\s+)?([^=\s]+)\s*=\s*(.*)$/.exec(line)
    if (!match?.[1]) continue
    let value = (match[2] ?? '').trim()
    if (value.startsWith('"') && value.endsWith('"'))
      value = value.slice(1, -1).replace(/\\n/g, '\n').replace(/\\"/g, '"').replace(/\\\\/g, '\\')
    else if (value.startsWith("'") && value.endsWith("'")) value = value.slice(1, -1)
    result[match[1]] = value
  }
  return result
}

export async function configCommand(command: string, args: string[]): Promise<void> {
  switch (command) {
    case 'config:set': {
      const { flags, positional } = parseFlags(command, args, { bool: ['global', 'encoded', 'no-restart'] })
      const app = verifyApp(positional[0] ?? '')
      const pairs = positional.slice(1)
      if (pairs.length === 0) fail('At least one env pair must be given')
      const entries: Record<string, string> = {}
      for (const pair of pairs) {
        const equals = pair.indexOf('=')
        if (equals < 0) fail(`Invalid env pair: ${pair}`)
        const key = pair.slice(0, equals)
        let value = pair.slice(equals + 1)
        if (flags.encoded) {
          if (!/^[A-Za-z0-9+/]*={0,2}$/.test(value) || value.length % 4 !== 0)
            fail(
              `illegal base64 data at input byte ${value.search(/[^A-Za-z0-9+/=]/) >= 0 ? value.search(/[^A-Za-z0-9+/=]/) : value.length} for key '${key}'`,
            )
          value = Buffer.from(value, 'base64').toString('utf8')
        }
        entries[key] = value
      }
      await setMany(app, entries, !flags['no-restart'])
      return
    }
    case 'config:import': {
      const { flags, positional } = parseFlags(command, args, { bool: ['global', 'replace', 'no-restart'], string: ['format'] })
      const app = verifyApp(positional[0] ?? '')
      const file = positional[1] ?? ''
      if (file !== '-') fail(`open ${file}: no such file or directory`)
      info1Quiet('Reading config vars from stdin')
      const text = await readStdin()
      const format = (flags.format as string | undefined) ?? 'envfile'
      let entries: Record<string, string>
      if (format === 'json') {
        try {
          entries = JSON.parse(text) as Record<string, string>
        } catch (error) {
          fail((error as Error).message)
        }
        for (const [key, value] of Object.entries(entries))
          if (typeof value !== 'string') fail(`json: cannot unmarshal ${typeof value} into Go value of type string (key ${key})`)
      } else if (format === 'envfile') {
        entries = parseEnvfile(text)
      } else {
        fail(`Unknown format: ${format}`)
      }
      if (Object.keys(entries).length === 0) fail('No config vars to set')
      for (const key of Object.keys(entries)) info1Quiet(`Setting config var ${key}=${entries[key]}`)
      if (flags.replace) updateApp(app.name, (current) => ({ ...current, config: {} }))
      await setMany(loadApp(app.name) as App, entries, !flags['no-restart'])
      return
    }
    case 'config:export': {
      const { flags, positional } = parseFlags(command, args, { bool: ['global', 'merged'], string: ['format'] })
      const app = verifyApp(positional[0] ?? '')
      const format = (flags.format as string | undefined) ?? 'exports'
      const entries = Object.entries(app.config).sort(([a], [b]) => a.localeCompare(b))
      if (format === 'json') log(JSON.stringify(Object.fromEntries(entries)))
      else if (format === 'exports') log(entries.map(([key, value]) => `export ${key}='${singleQuote(value)}'`).join('\n'))
      else if (format === 'envfile')
        log(
          entries
            .map(([key, value]) => `${key}="${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`)
            .join('\n'),
        )
      else if (format === 'shell')
        process.stdout.write(`${entries.map(([key, value]) => `${key}='${singleQuote(value)}'`).join(' ')} `)
      else fail(`Unknown export format: ${format}`)
      return
    }
    case 'config:get': {
      const { positional } = parseFlags(command, args, { bool: ['global', 'quoted'] })
      const app = verifyApp(positional[0] ?? '')
      const keys = positional.slice(1)
      if (keys.length === 0) fail('Expected: key')
      if (keys.length !== 1) fail(`Unexpected argument(s): [${keys.slice(1).join(' ')}]`)
      const value = app.config[keys[0] as string]
      if (value === undefined) process.exit(1)
      log(value)
      return
    }
    case 'config:keys': {
      const app = verifyApp(parseFlags(command, args, { bool: ['global', 'merged'] }).positional[0] ?? '')
      for (const key of Object.keys(app.config).sort()) log(key)
      return
    }
    case 'config:show': {
      const app = verifyApp(parseFlags(command, args, { bool: ['global', 'merged'] }).positional[0] ?? '')
      info2Quiet(`${app.name} env vars`)
      const keys = Object.keys(app.config).sort()
      const width = Math.max(0, ...keys.map((key) => key.length)) + 2
      log(keys.map((key) => `${`${key}:`.padEnd(width)}${app.config[key]}`).join('\n'))
      return
    }
    case 'config:unset': {
      const { flags, positional } = parseFlags(command, args, { bool: ['global', 'no-restart'] })
      const app = verifyApp(positional[0] ?? '')
      const keys = positional.slice(1)
      if (keys.length === 0) fail('At least one key must be given')
      for (const key of keys) validateKey(key)
      await updateConfig(app.name, (config) => {
        for (const key of keys) {
          if (key in config) {
            info1Quiet(`Unsetting ${key}`)
            delete config[key]
          } else info1Quiet(`Skipping ${key}, it is not set in the environment`)
        }
        return config
      })
      if (!flags['no-restart'] && app.release) await restartApp(app.name)
      return
    }
    default:
      throw new NotImplemented()
  }
}
