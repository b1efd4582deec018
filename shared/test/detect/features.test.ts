import { describe, expect, it } from 'vitest'
import { optionalExtras } from '../../src/detect/dependencies.js'
import { detectFeatures } from '../../src/detect/features.js'

const settings = { installedApps: ['django.contrib.admin'], middleware: ['whitenoise.middleware.WhiteNoiseMiddleware'] }

describe('packages the settings use but the build does not install', () => {
  it('not declared anywhere: says so and how to add it', () => {
    const { findings } = detectFeatures({ django: '' }, settings, { dependenciesKnown: true })
    expect(findings.map((f) => f.message)).toContainEqual(expect.stringContaining('no dependency file declares whitenoise'))
  })

  it('declared only in an optional extra: names the extra and the fix, not "no dependency file declares"', () => {
    const extras = optionalExtras(
      { project: { 'optional-dependencies': { prod: ['whitenoise[brotli]>=6'], dev: ['pytest'] } } },
      'pyproject.toml',
    )
    expect(extras).toEqual({
      whitenoise: "the optional extra 'prod' of pyproject.toml",
      pytest: "the optional extra 'dev' of pyproject.toml",
    })
    const { findings } = detectFeatures({ django: '' }, settings, { dependenciesKnown: true, optionalExtras: extras })
    const message = findings.find((f) => f.code === 'installed-app-not-declared')?.message
    expect(message).toContain(
      "whitenoise is declared only in the optional extra 'prod' of pyproject.toml, which the build does not install",
    )
    expect(message).not.toContain('no dependency file declares')
  })
})
