/**
 * Flag parsing the way Dokku's Go subcommands do it (spf13/pflag): flags may appear anywhere,
 * `--name value` or `--name=value`, booleans take no value, `--` ends flags. An unknown flag fails
 * like pflag with ExitOnError: "unknown flag: --x" plus usage, exit 2.
 */
import { Fail } from './output.js'

export interface Parsed {
  flags: Record<string, string | boolean>
  positional: string[]
}

export function parseFlags(
  command: string,
  args: readonly string[],
  spec: { bool?: readonly string[]; string?: readonly string[] },
): Parsed {
  const bools = new Set(spec.bool ?? [])
  const strings = new Set(spec.string ?? [])
  const flags: Record<string, string | boolean> = {}
  const positional: string[] = []
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string
    if (arg === '--') {
      positional.push(...args.slice(i + 1))
      break
    }
    if (!arg.startsWith('--') || arg === '-') {
      positional.push(arg)
      continue
    }
    const [name, inline] = arg.slice(2).split(/=(.*)/s, 2) as [string, string | undefined]
    if (bools.has(name)) {
      flags[name] = inline === undefined ? true : inline === 'true'
    } else if (strings.has(name)) {
      const value = inline ?? args[++i]
      if (value === undefined) throw new Fail(`flag needs an argument: --${name}`, 2)
      flags[name] = value
    } else {
      process.stderr.write(`unknown flag: --${name}\nUsage of ${command}:\n`)
      throw new Fail('', 2)
    }
  }
  return { flags, positional }
}
