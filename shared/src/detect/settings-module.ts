import { ActionError } from '../errors.js'
import { finding } from './findings.js'
import type { Finding, SettingsDecision } from './model.js'

/**
 * Which settings module the deploy uses. Precedence (first match wins):
 *   1. the `settings-module` input,
 *   2. DJANGO_SETTINGS_MODULE in the step's environment,
 *   3. the WSGI module's `os.environ.setdefault(...)` (what gunicorn would use),
 *   4. manage.py's `os.environ.setdefault(...)`,
 *   5. the only settings module in the tree.
 * A default from 3–5 that is a development module (leaf `dev`/`local`/`development`, or a whole
 * settings package) is replaced by its `production`/`prod` sibling when one exists: Wagtail's
 * template defaults both manage.py and wsgi.py to `mysite.settings.dev`, and deploying that is
 * the most common way to ship DEBUG=True. An explicit input or environment variable is never
 * second-guessed.
 */

/** How the decision reads the filesystem; injected so the rules are tested without a tree. */
export interface ModuleLookup {
  /** The repository file of a module, or undefined when it is not in the repository. */
  resolve(module: string): Promise<{ file: string; isPackage: boolean } | undefined>
  /** Where `resolve` looks, for error messages. */
  describeRoots(): string
}

export interface SettingsDefault {
  module: string
  /** The file holding the setdefault call (manage.py or the WSGI module). */
  file: string
  line: number
}

export interface SettingsModuleRequest {
  input?: string
  environment?: string
  wsgiDefault?: SettingsDefault
  manageDefault?: SettingsDefault
  /** Module names of every `settings.py` / `settings/__init__.py` found, for the last rule. */
  settingsModulesFound: string[]
}

export interface SettingsModuleChoice {
  module: string
  decidedBy: SettingsDecision
  reason: string
  findings: Finding[]
}

const DEV_LEAVES = new Set(['dev', 'local', 'development'])
const PRODUCTION_LEAVES = ['production', 'prod']

export function isDevLeaf(module: string): boolean {
  return DEV_LEAVES.has(module.split('.').pop() ?? '')
}

async function productionSibling(module: string, isPackage: boolean, lookup: ModuleLookup): Promise<string | undefined> {
  const parent = isPackage ? module : module.split('.').slice(0, -1).join('.')
  if (parent === '') return undefined
  for (const leaf of PRODUCTION_LEAVES) {
    const candidate = `${parent}.${leaf}`
    if (candidate !== module && (await lookup.resolve(candidate))) return candidate
  }
  return undefined
}

function notFound(module: string, source: string, lookup: ModuleLookup, input?: string): ActionError {
  const path = module.split('.').join('/')
  return new ActionError(
    `${source} names the settings module '${module}', but neither ${path}.py nor ${path}/__init__.py exists under ${lookup.describeRoots()}.`,
    {
      input,
      hint: 'Use the dotted module name Django imports (e.g. "mysite.settings.production"), relative to the directory that holds manage.py.',
    },
  )
}

export async function chooseSettingsModule(request: SettingsModuleRequest, lookup: ModuleLookup): Promise<SettingsModuleChoice> {
  const findings: Finding[] = []
  if (request.input) {
    if (!(await lookup.resolve(request.input)))
      throw notFound(request.input, `The settings-module input`, lookup, 'settings-module')
    return { module: request.input, decidedBy: 'input', reason: `the settings-module input is ${request.input}`, findings }
  }
  if (request.environment) {
    if (!(await lookup.resolve(request.environment)))
      throw notFound(request.environment, 'DJANGO_SETTINGS_MODULE in the environment', lookup)
    return {
      module: request.environment,
      decidedBy: 'environment',
      reason: `DJANGO_SETTINGS_MODULE is ${request.environment} in the step's environment`,
      findings,
    }
  }

  const defaults: Array<[SettingsDefault | undefined, 'wsgi-default' | 'manage-default']> = [
    [request.wsgiDefault, 'wsgi-default'],
    [request.manageDefault, 'manage-default'],
  ]
  for (const [found, rule] of defaults) {
    if (!found) continue
    const resolved = await lookup.resolve(found.module)
    if (!resolved) {
      findings.push(
        finding(
          'warning',
          'settings-default-not-found',
          `${found.file} defaults DJANGO_SETTINGS_MODULE to ${found.module}, which is not a module under ${lookup.describeRoots()}; it was ignored. Fix the default or set the settings-module input.`,
          { file: found.file, line: found.line },
        ),
      )
      continue
    }
    const said = `${found.file} defaults to ${found.module}`
    const choice = await preferProduction(found.module, resolved.isPackage, rule, said, lookup, {
      file: found.file,
      line: found.line,
    })
    findings.push(...choice.findings)
    const manage = request.manageDefault
    if (choice.decidedBy === 'wsgi-default' && manage && manage.module !== choice.module) {
      findings.push(
        finding(
          'notice',
          'settings-module-differs',
          `Deploying with ${choice.module} (the WSGI default), while ${manage.file} defaults to ${manage.module}; management commands in the deploy run with DJANGO_SETTINGS_MODULE=${choice.module}.`,
          { file: manage.file, line: manage.line },
        ),
      )
    }
    return { ...choice, findings }
  }

  const candidates = [...new Set(request.settingsModulesFound)]
  if (candidates.length === 1) {
    const only = candidates[0] as string
    const resolved = await lookup.resolve(only)
    if (resolved) {
      const said = `neither manage.py nor wsgi.py sets a DJANGO_SETTINGS_MODULE default, and ${only} is the only settings module`
      const choice = await preferProduction(only, resolved.isPackage, 'only-settings-file', said, lookup, { file: resolved.file })
      return { ...choice, findings: [...findings, ...choice.findings] }
    }
  }
  throw new ActionError(
    candidates.length === 0
      ? `Cannot tell which settings module to deploy: manage.py and wsgi.py have no os.environ.setdefault("DJANGO_SETTINGS_MODULE", ...), DJANGO_SETTINGS_MODULE is not set, and no settings.py was found under ${lookup.describeRoots()}.`
      : `Cannot tell which settings module to deploy: manage.py and wsgi.py have no usable DJANGO_SETTINGS_MODULE default and there are several settings modules (${candidates.join(', ')}).`,
    { hint: 'Set the settings-module input (or DJANGO_SETTINGS_MODULE in the step\'s env), e.g. "mysite.settings".' },
  )
}

async function preferProduction(
  module: string,
  isPackage: boolean,
  rule: SettingsDecision,
  said: string,
  lookup: ModuleLookup,
  where: { file: string; line?: number },
): Promise<SettingsModuleChoice> {
  const dev = isDevLeaf(module)
  if (!dev && !isPackage) return { module, decidedBy: rule, reason: said, findings: [] }
  const sibling = await productionSibling(module, isPackage, lookup)
  if (sibling) {
    const what = dev ? 'a development module' : 'a settings package'
    return {
      module: sibling,
      decidedBy: 'production-sibling',
      reason: `${said}, ${what}; preferred ${isPackage ? `${sibling} inside it` : `its sibling ${sibling}`}`,
      findings: [
        finding(
          'notice',
          'settings-dev-default-overridden',
          `${said} (${what}); deploying with ${sibling} instead. Set the settings-module input to choose explicitly.`,
          where,
        ),
      ],
    }
  }
  if (!dev) return { module, decidedBy: rule, reason: said, findings: [] }
  return {
    module,
    decidedBy: rule,
    reason: said,
    findings: [
      finding(
        'warning',
        'settings-dev-module',
        `${said}, which looks like development settings, and there is no production.py or prod.py next to it. Add production settings (DEBUG off, secrets from the environment) and point the settings-module input at them.`,
        where,
      ),
    ],
  }
}
