import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { ActionError } from '../../src/errors.js'
import { checkRequiredEnv, missingRequiredEnv } from '../../src/detect/required-env.js'
import { detect, makeTree, managePy } from './helpers.js'

const fixture = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../test/fixtures/required-env')

describe('required environment variables', () => {
  it('lists the reads without a default in the chosen settings chain, with file and line', async () => {
    const model = await detect(fixture, { settingsModule: 'config.settings.production' })
    expect(model.requiredEnv).toEqual([
      { variable: 'REDIS_URL', file: 'config/settings/production.py', line: 7, how: 'env() without default=' },
      { variable: 'DJANGO_ADMIN_URL', file: 'config/settings/production.py', line: 14, how: 'env() without default=' },
    ])
  })

  it('blocks the plan naming both variables, where they are read and the input to use', async () => {
    const model = await detect(fixture, { settingsModule: 'config.settings.production' })
    let error: unknown
    try {
      checkRequiredEnv(model.requiredEnv, {
        names: ['SECRET_KEY', 'ALLOWED_HOSTS', 'PORT'],
        where: 'the config input',
        input: 'config',
      })
    } catch (caught) {
      error = caught
    }
    expect(error).toBeInstanceOf(ActionError)
    const actionError = error as ActionError
    expect(actionError.message).toContain('REDIS_URL (config/settings/production.py:7')
    expect(actionError.message).toContain('DJANGO_ADMIN_URL (config/settings/production.py:14')
    expect(actionError.input).toBe('config')
    expect(actionError.hint).toContain('Add REDIS_URL, DJANGO_ADMIN_URL to the config input')
    expect(actionError.location).toEqual({ file: 'config/settings/production.py', line: 7 })
  })

  it('passes once the deploy provides them', async () => {
    const model = await detect(fixture, { settingsModule: 'config.settings.production' })
    expect(() =>
      checkRequiredEnv(model.requiredEnv, {
        names: ['REDIS_URL', 'DJANGO_ADMIN_URL'],
        where: 'the config input',
        input: 'config',
      }),
    ).not.toThrow()
  })

  it('the local settings (every read has a default) require nothing', async () => {
    const model = await detect(fixture, { settingsModule: 'config.settings.local' })
    expect(model.requiredEnv).toBeUndefined()
  })

  it('tells the reads that fail apart from those that fall back', async () => {
    const root = await makeTree({
      'manage.py': managePy('site1.settings'),
      'site1/__init__.py': '',
      'site1/settings.py': `
        import os
        from decouple import config
        import environ
        env = environ.Env(FEATURE=(bool, False))
        A = os.environ["NEEDS_A"]
        B = int(os.environ.get("NEEDS_B"))
        C = os.getenv("NEEDS_C").split(",")
        D = os.getenv("OPTIONAL_D") == "1"
        E = os.environ.get("OPTIONAL_E")
        F = config("NEEDS_F")
        G = config("OPTIONAL_G", default="")
        H = env("FEATURE")
        I = env.int("OPTIONAL_I", default=3)
        J = env.db()
        if os.environ.get("DB") == "mysql":
            K = os.environ["CONDITIONAL_K"]
        try:
            L = os.environ["CAUGHT_L"]
        except KeyError:
            L = None
        def later():
            return os.environ["AT_RUN_TIME"]
        M = lambda: os.environ["LAMBDA_M"]
      `,
    })
    const model = await detect(root)
    expect(model.requiredEnv?.map((read) => read.variable)).toEqual(['NEEDS_A', 'NEEDS_B', 'NEEDS_C', 'NEEDS_F', 'DATABASE_URL'])
    expect(missingRequiredEnv(model.requiredEnv, ['DATABASE_URL', 'NEEDS_A']).map((read) => read.variable)).toEqual([
      'NEEDS_B',
      'NEEDS_C',
      'NEEDS_F',
    ])
  })
})
