import { OVERLAY_VARIABLES } from './variables.js'

/**
 * The environment contract as a Markdown table, for the actions' READMEs and job summaries, so
 * the documentation is generated from the same list the overlay reads.
 */
export function overlayVariablesMarkdown(): string {
  const escape = (text: string) => text.replaceAll('|', '\\|')
  const rows = OVERLAY_VARIABLES.map((variable) => {
    const names = [variable.name, ...variable.aliases].map((name) => `\`${name}\``).join(' or ')
    return `| ${names} | ${variable.kind} | ${escape(variable.meaning)} | ${escape(variable.whenUnset)} |`
  })
  return ['| Variable | Kind | Meaning | When unset |', '|---|---|---|---|', ...rows].join('\n') + '\n'
}
