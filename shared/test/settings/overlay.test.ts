import { describe, expect, it } from 'vitest'
import { ActionError } from '../../src/errors.js'
import { generateOverlay, OVERLAY_MARKER, overlayLocation } from '../../src/settings/overlay.js'
import { memoryReader } from '../../src/settings/read-file.js'
import { OVERLAY_VARIABLES } from '../../src/settings/variables.js'
import { parsesAs } from './python-harness.js'
import { projectModel } from './project-model.js'

const noFiles = { readFile: memoryReader({}) }

describe('where the overlay goes', () => {
  it('sits beside a settings.py file', () => {
    const overlay = generateOverlay(projectModel(), noFiles)
    expect(overlay.module).toBe('mysite.settings_deploy')
    expect(overlay.baseModule).toBe('mysite.settings')
    expect(overlay.file.path).toBe('mysite/settings_deploy.py')
    expect(overlay.repoPath).toBe('mysite/settings_deploy.py')
  })

  it('sits beside a settings package, not inside it', () => {
    const model = projectModel({
      settings: { module: 'mysite.settings', files: ['mysite/settings/base.py', 'mysite/settings/__init__.py'] },
    })
    expect(overlayLocation(model)).toEqual({
      module: 'mysite.settings_deploy',
      baseModule: 'mysite.settings',
      repoPath: 'mysite/settings_deploy.py',
    })
  })

  it('sits beside the chosen module of a split settings package', () => {
    const model = projectModel({
      settings: { module: 'config.settings.production', files: ['config/settings/base.py', 'config/settings/production.py'] },
    })
    const overlay = generateOverlay(model, noFiles)
    expect(overlay.module).toBe('config.settings.production_deploy')
    expect(overlay.file.path).toBe('config/settings/production_deploy.py')
    // manage.py is two directories up from the overlay
    expect(overlay.file.content).toContain('_dd_os.path.abspath(__file__)), "../.."))')
  })

  it('handles a top-level settings module', () => {
    const model = projectModel({ settings: { module: 'settings', files: ['settings.py'] } })
    expect(overlayLocation(model)).toEqual({ module: 'settings_deploy', baseModule: 'settings', repoPath: 'settings_deploy.py' })
    expect(generateOverlay(model, noFiles).file.content).toContain('(__file__)), "."))')
  })

  it('places paths relative to the deployed directory (nested layouts)', () => {
    const model = projectModel({
      appDir: 'src',
      managePy: 'src/manage.py',
      settings: { module: 'config.settings', files: ['src/config/settings.py'] },
    })
    const fromRoot = generateOverlay(model, noFiles)
    expect(fromRoot.file.path).toBe('src/config/settings_deploy.py')
    expect(fromRoot.repoPath).toBe('src/config/settings_deploy.py')
    expect(fromRoot.file.content).toContain('(__file__)), ".."))')
    const fromSrc = generateOverlay(model, { ...noFiles, deployRoot: 'src' })
    expect(fromSrc.file.path).toBe('config/settings_deploy.py')
    expect(fromSrc.file.content).toBe(fromRoot.file.content)
  })

  it('defaults the deployed directory to the search root and refuses files outside it', () => {
    const model = projectModel({
      searchRoot: 'backend',
      appDir: 'backend',
      managePy: 'backend/manage.py',
      settings: { files: ['backend/mysite/settings.py'] },
    })
    expect(generateOverlay(model, noFiles).file.path).toBe('mysite/settings_deploy.py')
    expect(() => generateOverlay(model, { ...noFiles, deployRoot: 'frontend' })).toThrowError(ActionError)
  })

  it('refuses a module name that does not match its file', () => {
    const model = projectModel({ settings: { module: 'mysite.production', files: ['mysite/settings.py'] } })
    expect(() => generateOverlay(model, noFiles)).toThrowError(/does not match its file/)
  })
})

describe('never shadowing a user file', () => {
  it('fails with a hint when a file of that name exists and is not ours', () => {
    const readFile = memoryReader({ 'mysite/settings_deploy.py': 'DEBUG = False\n' })
    let error: unknown
    try {
      generateOverlay(projectModel(), { readFile })
    } catch (caught) {
      error = caught
    }
    expect(error).toBeInstanceOf(ActionError)
    const actionError = error as ActionError
    expect(actionError.message).toMatch(/mysite\/settings_deploy\.py already exists/)
    expect(actionError.hint).toMatch(/Rename/)
    expect(actionError.location).toEqual({ file: 'mysite/settings_deploy.py', line: 1 })
  })

  it('regenerates a copy of ours that was committed, and says so', () => {
    const first = generateOverlay(projectModel(), noFiles)
    const again = generateOverlay(projectModel(), { readFile: memoryReader({ 'mysite/settings_deploy.py': first.file.content }) })
    expect(again.file.content).toBe(first.file.content)
    expect(again.notes.map((note) => note.code)).toContain('overlay-regenerated')
    expect(again.file.reason).toMatch(/replaces the generated copy/)
  })
})

describe('content', () => {
  it('is byte-identical for the same inputs and free of machine-specific text', () => {
    const a = generateOverlay(projectModel(), noFiles)
    const b = generateOverlay(structuredClone(projectModel()), noFiles)
    expect(a).toEqual(b)
    expect(a.file.content).not.toMatch(/\/tmp|\/home|\/work|20\d\d-\d\d-\d\d/)
  })

  it('starts with the marker and names the base and overlay modules', () => {
    const content = generateOverlay(projectModel(), noFiles).file.content
    expect(content.startsWith(OVERLAY_MARKER)).toBe(true)
    expect(content).toContain('_dd_base_module = "mysite.settings"')
    expect(content).toContain('DJANGO_SETTINGS_MODULE=mysite.settings_deploy')
  })

  it('reads exactly the variables of the contract, each under all its spellings', () => {
    const content = generateOverlay(projectModel(), noFiles).file.content
    for (const variable of OVERLAY_VARIABLES) {
      const spellings = [variable.name, ...variable.aliases].map((name) => JSON.stringify(name)).join(', ')
      expect(content).toContain(`    "${variable.name}": (${spellings},),`)
      // every variable is used by the body
      expect(content).toMatch(
        new RegExp(`(read|text|flag|integer|items)\\("${variable.name}"\\)|for name in \\([^)]*"${variable.name}"`),
      )
    }
    const used = [...content.matchAll(/\b(?:read|text|flag|integer|items)\("([A-Z_]+)"\)/g)].map((match) => match[1])
    const declared = new Set<string>(OVERLAY_VARIABLES.map((variable) => variable.name))
    for (const name of used) expect(declared.has(name ?? '')).toBe(true)
  })

  it('never runs migrations or touches the network at import', () => {
    const content = generateOverlay(projectModel(), noFiles).file.content
    expect(content).not.toMatch(/migrate|call_command|urlopen|subprocess/)
  })

  it('keeps to Python 3.6 syntax', () => {
    expect(parsesAs(generateOverlay(projectModel(), noFiles).file.content, [3, 6])).toBe(true)
    expect(parsesAs('if (x := 1): pass', [3, 6])).toBe(false)
  })

  it('leaves only upper-case settings and private names in the module namespace', () => {
    const content = generateOverlay(projectModel(), noFiles).file.content
    const topLevelNames = [...content.matchAll(/^([A-Za-z_][A-Za-z0-9_]*)\s*=/gm)].map((match) => match[1])
    expect(topLevelNames.every((name) => name?.startsWith('_dd_'))).toBe(true)
    expect(content).toMatch(/^del _dd_apply, _dd_base, _dd_base_module, _dd_variables, _dd_app_dir, _dd_importlib$/m)
  })

  it('notes when the settings define __all__', () => {
    const overlay = generateOverlay(projectModel({ settings: { definesAll: true } }), noFiles)
    expect(overlay.notes.map((note) => note.code)).toEqual(['overlay-all-respected'])
  })
})
