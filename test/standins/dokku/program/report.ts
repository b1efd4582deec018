/** common.ReportSingleApp: `<plugin>:report <app>|--global [--<flag>] [--format json]`. */
import { verifyApp } from './apps.js'
import { fail, info2Quiet, log, verbose } from './output.js'
import type { App } from './state.js'

export function reportCommand(plugin: string, args: string[], collect: (app: App) => Record<string, string>): void {
  let format = 'stdout'
  let infoFlag = ''
  const positional: string[] = []
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string
    if (arg === '--format') format = args[++i] ?? ''
    else if (arg.startsWith('--format=')) format = arg.slice(9)
    else if (arg.startsWith('--') && arg !== '--global') infoFlag = arg
    else positional.push(arg)
  }
  const app = verifyApp(positional[0] ?? '')
  const values = collect(app)
  if (format !== 'stdout' && format !== 'json') fail(`Format must be "stdout" or "json": "${format}"`)
  if (format === 'json') {
    if (infoFlag) fail('--format flag cannot be specified when specifying an info flag')
    const prefix = `--${plugin}-`
    log(
      JSON.stringify(
        Object.fromEntries(
          Object.entries(values).map(([key, value]) => [key.startsWith(prefix) ? key.slice(prefix.length) : key.slice(2), value]),
        ),
      ),
    )
    return
  }
  const keys = Object.keys(values).sort()
  if (infoFlag) {
    if (!(infoFlag in values)) fail(`Invalid flag passed, valid flags: ${keys.join(', ')}`)
    log(values[infoFlag] ?? '')
    return
  }
  const width = Math.max(31, ...keys.map((key) => key.length))
  info2Quiet(`${app.name} ${plugin} information`)
  for (const key of keys) {
    const label = key.slice(2).replace(/[-.]/g, ' ')
    verbose(`${(label.charAt(0).toUpperCase() + label.slice(1) + ':').padEnd(width)}${values[key]}`)
  }
}
