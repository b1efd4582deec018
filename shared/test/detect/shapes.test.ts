import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, test } from 'vitest'
import { offlineCompression } from '../../src/build/compress.js'
import { detect } from './helpers.js'

/** Project shapes from issue 12, read from their fixtures in test/fixtures. */
const fixtures = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../test/fixtures')

describe('compressor: django-compressor with COMPRESS_OFFLINE = True', () => {
  test('COMPRESS_OFFLINE is read where it is set, and the build must compress', async () => {
    const model = await detect(path.join(fixtures, 'compressor'))
    expect(model.facts.COMPRESS_OFFLINE).toEqual({
      value: { kind: 'literal', value: true },
      at: { file: 'brochure/settings.py', line: 45 },
      conditional: false,
    })
    expect(model.facts.COMPRESS_ENABLED).toBeUndefined()
    expect(model.summary.installedApps).toContain('compressor')
    expect(offlineCompression(model)).toEqual({
      needed: true,
      reason: 'COMPRESS_OFFLINE = true in brochure/settings.py:45',
      notes: [],
    })
    expect(model.findings.map((finding) => finding.code)).not.toContain('installed-app-not-declared')
  })
})

describe('asgi-only: ASGI_APPLICATION and asgi.py, no wsgi.py', () => {
  test('the ASGI application is found, and the finding says how it is served instead of "Add mysite/wsgi.py"', async () => {
    const model = await detect(path.join(fixtures, 'asgi-only'))
    expect(model.wsgiApplication).toBeUndefined()
    expect(model.asgiApplication).toBe('asyncsite.asgi.application')
    expect(model.features.uvicorn).toBe(true)
    const codes = model.findings.map((finding) => finding.code)
    expect(codes).not.toContain('wsgi-not-found')
    const notice = model.findings.find((finding) => finding.code === 'asgi-only')
    expect(notice?.level).toBe('notice')
    expect(notice?.message).toContain('uvicorn.workers.UvicornWorker')
    expect(notice?.message).not.toContain('Add mysite/wsgi.py')
  })
})
