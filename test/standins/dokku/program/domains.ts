/** domains:* (plugins/domains): add (idempotent, "Skipping: … already added"), remove, set, report. */
import { NotImplemented, verifyApp } from './apps.js'
import { fail, info1 } from './output.js'
import { reportCommand } from './report.js'
import { updateApp } from './state.js'

function checkDomains(domains: string[]): void {
  for (const domain of domains) {
    const valid =
      /^(\*\.)?([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)*[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/.test(domain) &&
      domain.length <= 253
    if (!valid) fail(`${domain} is invalid. exiting...`)
  }
}

export async function domainsCommand(command: string, args: string[]): Promise<void> {
  switch (command) {
    case 'domains:add': {
      const app = verifyApp(args[0] ?? '')
      const domains = args.slice(1)
      if (domains.length === 0) fail('Please specify a domain name')
      checkDomains(domains)
      updateApp(app.name, (latest) => {
        const current = [...latest.domains]
        for (const domain of domains) {
          if (current.includes(domain)) info1(`Skipping: ${domain} already added to ${app.name}`)
          else {
            current.push(domain)
            info1(`Added ${domain} to ${app.name}`)
          }
        }
        return { ...latest, domains: current }
      })
      return
    }
    case 'domains:remove': {
      const app = verifyApp(args[0] ?? '')
      for (const domain of args.slice(1)) info1(`Removed ${domain} from ${app.name}`)
      updateApp(app.name, (latest) => ({
        ...latest,
        domains: latest.domains.filter((domain) => !args.slice(1).includes(domain)),
      }))
      return
    }
    case 'domains:set': {
      const app = verifyApp(args[0] ?? '')
      checkDomains(args.slice(1))
      updateApp(app.name, (latest) => ({ ...latest, domains: args.slice(1) }))
      info1(`Set ${args.slice(1).join(' ')} for ${app.name}`)
      return
    }
    case 'domains:report':
      return reportCommand('domains', args, (app) => ({
        '--domains-app-enabled': 'true',
        '--domains-app-vhosts': app.domains.join(' '),
        '--domains-global-enabled': 'false',
        '--domains-global-vhosts': '',
      }))
    default:
      throw new NotImplemented()
  }
}
