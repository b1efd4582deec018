import { describe, expect, it } from 'vitest'
import { detect, makeTree, managePy } from './helpers.js'

describe('a DATABASES assigned under a condition', () => {
  it('does not replace the unconditional one, and is reported as depending on the variable', async () => {
    const root = await makeTree({
      'manage.py': managePy('site1.settings'),
      'site1/__init__.py': '',
      'site1/settings.py': `
        import os
        DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": "db.sqlite3"}}
        if os.environ.get("DB") == "mysql":
            DATABASES = {"default": {"ENGINE": "django.db.backends.mysql", "NAME": "site"}}
      `,
    })
    const model = await detect(root)
    expect(model.facts.DATABASES?.at).toEqual({ file: 'site1/settings.py', line: 2 })
    expect(model.facts.DATABASES?.value).toMatchObject({
      kind: 'literal',
      value: { default: { ENGINE: 'django.db.backends.sqlite3' } },
    })
    expect(model.facts.DATABASES?.conditionalAssignments).toEqual([
      { at: { file: 'site1/settings.py', line: 4 }, dependsOn: ['DB'] },
    ])
    const notice = model.findings.find((entry) => entry.code === 'settings-database-conditional')
    expect(notice?.message).toContain('depends on the environment variable DB')
    expect(notice?.message).toContain('the unconditional DATABASES at site1/settings.py:2 is taken as the database')
  })

  it('a DATABASES only under a condition is still the one described (conditional)', async () => {
    const root = await makeTree({
      'manage.py': managePy('site1.settings'),
      'site1/__init__.py': '',
      'site1/settings.py': `
        import os
        if os.environ.get("DB") == "mysql":
            DATABASES = {"default": {"ENGINE": "django.db.backends.mysql", "NAME": "site"}}
      `,
    })
    const model = await detect(root)
    expect(model.facts.DATABASES?.conditional).toBe(true)
    expect(model.facts.DATABASES?.conditionalAssignments).toBeUndefined()
  })
})
