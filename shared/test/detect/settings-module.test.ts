import { describe, expect, test } from 'vitest'
import { ActionError } from '../../src/errors.js'
import {
  chooseSettingsModule,
  isDevLeaf,
  type ModuleLookup,
  type SettingsModuleRequest,
} from '../../src/detect/settings-module.js'

/** The settings-module rules on their own: a fake lookup stands in for the filesystem. */

function lookup(modules: Record<string, 'module' | 'package'>): ModuleLookup {
  return {
    resolve: async (module) => {
      const kind = modules[module]
      if (!kind) return undefined
      const path = module.split('.').join('/')
      return kind === 'package' ? { file: `${path}/__init__.py`, isPackage: true } : { file: `${path}.py`, isPackage: false }
    },
    describeRoots: () => 'the repository root',
  }
}

const wagtail = lookup({
  'mysite.settings': 'package',
  'mysite.settings.base': 'module',
  'mysite.settings.dev': 'module',
  'mysite.settings.production': 'module',
  'other.settings': 'module',
})

const base: SettingsModuleRequest = { settingsModulesFound: [] }
const manageDev = { module: 'mysite.settings.dev', file: 'manage.py', line: 9 }
const wsgiDev = { module: 'mysite.settings.dev', file: 'mysite/wsgi.py', line: 5 }

describe('chooseSettingsModule: precedence', () => {
  test('the input wins over everything, and is never second-guessed', async () => {
    const choice = await chooseSettingsModule(
      { ...base, input: 'mysite.settings.dev', environment: 'other.settings', wsgiDefault: wsgiDev, manageDefault: manageDev },
      wagtail,
    )
    expect(choice).toMatchObject({ module: 'mysite.settings.dev', decidedBy: 'input', findings: [] })
  })

  test('then DJANGO_SETTINGS_MODULE from the environment', async () => {
    const choice = await chooseSettingsModule(
      { ...base, environment: 'other.settings', wsgiDefault: wsgiDev, manageDefault: manageDev },
      wagtail,
    )
    expect(choice).toMatchObject({
      module: 'other.settings',
      decidedBy: 'environment',
      reason: "DJANGO_SETTINGS_MODULE is other.settings in the step's environment",
    })
  })

  test("then the WSGI default over manage.py's (cookiecutter: local vs production)", async () => {
    const cookiecutter = lookup({
      'config.settings.local': 'module',
      'config.settings.production': 'module',
      'config.settings.base': 'module',
    })
    const choice = await chooseSettingsModule(
      {
        ...base,
        manageDefault: { module: 'config.settings.local', file: 'manage.py', line: 9 },
        wsgiDefault: { module: 'config.settings.production', file: 'config/wsgi.py', line: 12 },
      },
      cookiecutter,
    )
    expect(choice.module).toBe('config.settings.production')
    expect(choice.decidedBy).toBe('wsgi-default')
    expect(choice.reason).toBe('config/wsgi.py defaults to config.settings.production')
    expect(choice.findings.map((f) => [f.code, f.level, f.file, f.line])).toEqual([
      ['settings-module-differs', 'notice', 'manage.py', 9],
    ])
  })

  test("then manage.py's default when there is no WSGI module default", async () => {
    const choice = await chooseSettingsModule(
      { ...base, manageDefault: { module: 'other.settings', file: 'manage.py', line: 3 } },
      wagtail,
    )
    expect(choice).toMatchObject({
      module: 'other.settings',
      decidedBy: 'manage-default',
      reason: 'manage.py defaults to other.settings',
      findings: [],
    })
  })

  test('a default naming a missing module is skipped with a warning', async () => {
    const choice = await chooseSettingsModule(
      {
        ...base,
        wsgiDefault: { module: 'gone.settings', file: 'gone/wsgi.py', line: 4 },
        manageDefault: { module: 'other.settings', file: 'manage.py', line: 3 },
      },
      wagtail,
    )
    expect(choice.module).toBe('other.settings')
    expect(choice.findings.map((f) => f.code)).toEqual(['settings-default-not-found'])
  })

  test('the only settings module in the tree when nothing sets a default', async () => {
    const choice = await chooseSettingsModule({ settingsModulesFound: ['other.settings'] }, wagtail)
    expect(choice).toMatchObject({ module: 'other.settings', decidedBy: 'only-settings-file' })
    expect(choice.reason).toMatch(/only settings module/)
  })
})

describe('chooseSettingsModule: production sibling', () => {
  test('Wagtail: both defaults are .dev, production.py next to it is used', async () => {
    const choice = await chooseSettingsModule({ ...base, wsgiDefault: wsgiDev, manageDefault: manageDev }, wagtail)
    expect(choice.module).toBe('mysite.settings.production')
    expect(choice.decidedBy).toBe('production-sibling')
    expect(choice.reason).toBe(
      'mysite/wsgi.py defaults to mysite.settings.dev, a development module; preferred its sibling mysite.settings.production',
    )
    expect(choice.findings.map((f) => [f.code, f.level])).toEqual([['settings-dev-default-overridden', 'notice']])
  })

  test('prod.py counts too; local and development are dev leaves', async () => {
    const modules = lookup({ 'proj.settings.local': 'module', 'proj.settings.prod': 'module' })
    const choice = await chooseSettingsModule(
      { ...base, manageDefault: { module: 'proj.settings.local', file: 'manage.py', line: 1 } },
      modules,
    )
    expect(choice).toMatchObject({ module: 'proj.settings.prod', decidedBy: 'production-sibling' })
    expect(['dev', 'local', 'development'].map((leaf) => isDevLeaf(`a.${leaf}`))).toEqual([true, true, true])
    expect(isDevLeaf('a.production')).toBe(false)
    expect(isDevLeaf('a.devices')).toBe(false)
  })

  test('a default that is a whole settings package prefers production inside it', async () => {
    const choice = await chooseSettingsModule(
      { ...base, manageDefault: { module: 'mysite.settings', file: 'manage.py', line: 1 } },
      wagtail,
    )
    expect(choice).toMatchObject({ module: 'mysite.settings.production', decidedBy: 'production-sibling' })
    expect(choice.reason).toBe(
      'manage.py defaults to mysite.settings, a settings package; preferred mysite.settings.production inside it',
    )
  })

  test('a dev default without a production sibling is kept, with a warning', async () => {
    const modules = lookup({ 'proj.settings.dev': 'module', 'proj.settings.base': 'module' })
    const choice = await chooseSettingsModule(
      { ...base, manageDefault: { module: 'proj.settings.dev', file: 'manage.py', line: 1 } },
      modules,
    )
    expect(choice).toMatchObject({ module: 'proj.settings.dev', decidedBy: 'manage-default' })
    expect(choice.findings.map((f) => [f.code, f.level])).toEqual([['settings-dev-module', 'warning']])
  })

  test('a production default is left alone', async () => {
    const choice = await chooseSettingsModule(
      { ...base, wsgiDefault: { module: 'mysite.settings.production', file: 'mysite/wsgi.py', line: 1 } },
      wagtail,
    )
    expect(choice).toMatchObject({ module: 'mysite.settings.production', decidedBy: 'wsgi-default', findings: [] })
  })

  test('the environment is not second-guessed even when it names a dev module', async () => {
    const choice = await chooseSettingsModule({ ...base, environment: 'mysite.settings.dev' }, wagtail)
    expect(choice).toMatchObject({ module: 'mysite.settings.dev', decidedBy: 'environment', findings: [] })
  })
})

describe('chooseSettingsModule: errors', () => {
  test('an input naming a missing module names the input and the files looked for', async () => {
    const error = (await chooseSettingsModule({ ...base, input: 'mysite.settings.prod' }, wagtail).catch(
      (caught: unknown) => caught,
    )) as ActionError
    expect(error).toBeInstanceOf(ActionError)
    expect(error.input).toBe('settings-module')
    expect(error.message).toBe(
      "The settings-module input names the settings module 'mysite.settings.prod', but neither mysite/settings/prod.py nor mysite/settings/prod/__init__.py exists under the repository root.",
    )
  })

  test('DJANGO_SETTINGS_MODULE naming a missing module is an error', async () => {
    await expect(chooseSettingsModule({ ...base, environment: 'nope.settings' }, wagtail)).rejects.toThrow(
      /DJANGO_SETTINGS_MODULE in the environment names the settings module 'nope.settings'/,
    )
  })

  test('no default and several settings modules: ask for the input', async () => {
    const error = (await chooseSettingsModule({ settingsModulesFound: ['a.settings', 'b.settings'] }, wagtail).catch(
      (caught: unknown) => caught,
    )) as ActionError
    expect(error.message).toMatch(/several settings modules \(a.settings, b.settings\)/)
    expect(error.hint).toMatch(/settings-module input/)
  })

  test('no default and no settings module at all', async () => {
    await expect(chooseSettingsModule({ settingsModulesFound: [] }, wagtail)).rejects.toThrow(/no settings.py was found/)
  })
})
