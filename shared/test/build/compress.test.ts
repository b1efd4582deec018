import { execFileSync } from 'node:child_process'
import { describe, expect, it } from 'vitest'
import { herokuishCompileHook, offlineCompression } from '../../src/build/compress.js'
import { generateDockerfile } from '../../src/build/dockerfile.js'
import type { SettingFact, SettingValue } from '../../src/detect/model.js'
import { memoryReader } from '../../src/settings/read-file.js'
import { projectModel, type ModelOverrides } from '../settings/project-model.js'
import { stagesOf } from './dockerfile-parser.js'

/** django-compressor with COMPRESS_OFFLINE: `manage.py compress` at build time, on every road. */

const at = { file: 'brochure/settings.py', line: 45 }
const fact = (value: SettingValue): SettingFact => ({ value, at, conditional: false })
const literal = (value: boolean | string): SettingFact => fact({ kind: 'literal', value })
const APPS = ['django.contrib.staticfiles', 'compressor', 'pages']

function compressorProject(facts: ModelOverrides['facts'] = {}, apps = APPS, overrides: ModelOverrides = {}) {
  return projectModel({
    summary: { installedApps: apps },
    facts: { INSTALLED_APPS: fact({ kind: 'literal', value: apps }), ...facts },
    ...overrides,
  })
}

describe('offlineCompression: when the build must run manage.py compress', () => {
  it('COMPRESS_OFFLINE = True with compressor installed: needed, saying where it is set', () => {
    const result = offlineCompression(compressorProject({ COMPRESS_OFFLINE: literal(true) }))
    expect(result).toEqual({ needed: true, reason: 'COMPRESS_OFFLINE = true in brochure/settings.py:45', notes: [] })
  })

  it('not needed: offline off or unset, compressor not installed, COMPRESS_ENABLED = False', () => {
    expect(offlineCompression(compressorProject({ COMPRESS_OFFLINE: literal(false) })).needed).toBe(false)
    expect(offlineCompression(compressorProject({})).needed).toBe(false)
    expect(
      offlineCompression(compressorProject({ COMPRESS_OFFLINE: literal(true) }, ['django.contrib.staticfiles'])).needed,
    ).toBe(false)
    const disabled = compressorProject({ COMPRESS_OFFLINE: literal(true), COMPRESS_ENABLED: literal(false) })
    expect(offlineCompression(disabled)).toEqual({ needed: false, notes: [] })
  })

  it('from the environment: the default decides (the deploy sets no such variable); off by default is a notice', () => {
    const on = fact({ kind: 'env', variable: 'COMPRESS_OFFLINE', default: true, cast: 'bool' })
    expect(offlineCompression(compressorProject({ COMPRESS_OFFLINE: on })).needed).toBe(true)
    const off = offlineCompression(
      compressorProject({ COMPRESS_OFFLINE: fact({ kind: 'env', variable: 'COMPRESS_OFFLINE', cast: 'bool' }) }),
    )
    expect(off.needed).toBe(false)
    expect(off.notes).toMatchObject([{ level: 'notice', code: 'compress-offline-from-environment', ...at }])
  })

  it('computed: cannot tell, so a warning that names the expression and the fix', () => {
    const result = offlineCompression(compressorProject({ COMPRESS_OFFLINE: fact({ kind: 'expression', source: 'not DEBUG' }) }))
    expect(result.needed).toBe(false)
    expect(result.notes).toMatchObject([{ level: 'warning', code: 'compress-offline-unknown', ...at }])
    expect(result.notes[0]?.message).toContain('(not DEBUG)')
    expect(result.notes[0]?.message).toContain('write COMPRESS_OFFLINE = True (or False) as a literal')
  })
})

describe('the generated Dockerfile (Cloud Run, Dokku builder: dockerfile)', () => {
  const dockerfile = (project: ReturnType<typeof compressorProject>) =>
    generateDockerfile(project, { readFile: memoryReader({ 'requirements.txt': 'Django>=4.2\n' }) }).files.find(
      (file) => file.path === 'Dockerfile',
    )?.content ?? ''

  it('runs compress --force right after collectstatic, with the same build-time environment, in the runtime stage', () => {
    const text = dockerfile(compressorProject({ COMPRESS_OFFLINE: literal(true) }))
    const [, runtime] = stagesOf(text)
    const runs = runtime!.instructions.filter((instruction) => instruction.keyword === 'RUN').map((run) => run.args)
    const collect = runs.findIndex((run) => run.endsWith('python manage.py collectstatic --noinput'))
    expect(collect).toBeGreaterThan(-1)
    const compress = runs[collect + 1] ?? ''
    expect(compress).toMatch(/ python manage\.py compress --force$/)
    // The same placeholders as collectstatic (SECRET_KEY, ...), scoped to the one RUN line.
    expect(compress.replace(/ python manage\.py compress --force$/, '')).toBe(
      (runs[collect] ?? '').replace(/ python manage\.py collectstatic --noinput$/, ''),
    )
    execFileSync('/bin/sh', ['-n', '-c', compress])
    expect(text).toContain(
      '#   Compress:     manage.py compress at build time (COMPRESS_OFFLINE = true in brochure/settings.py:45)',
    )
  })

  it('no compress line without offline compression', () => {
    expect(dockerfile(compressorProject({}))).not.toContain('compress --force')
  })
})

describe('herokuish: bin/post_compile, which the buildpack runs after its collectstatic', () => {
  it('generated (executable, with a shebang) when the repository has none, reaching a manage.py in a subfolder', () => {
    const project = compressorProject({ COMPRESS_OFFLINE: literal(true) }, APPS, { managePy: 'app/manage.py', appDir: 'app' })
    const hook = herokuishCompileHook(project, { readFile: memoryReader({}), deployRoot: '' })
    expect(hook.notes).toEqual([])
    expect(hook.files).toHaveLength(1)
    const [file] = hook.files
    expect(file).toMatchObject({ path: 'bin/post_compile', executable: true })
    const lines = file!.content.split('\n')
    expect(lines[0]).toBe('#!/usr/bin/env bash')
    expect(lines).toContain('set -euo pipefail')
    expect(lines).toContain('PYTHONPATH="${PYTHONPATH:-.}" python app/manage.py compress --force')
    execFileSync('/bin/bash', ['-n', '-c', file!.content])
  })

  it("never replaces the user's own hook: nothing when it compresses, a warning naming the command when not", () => {
    const project = compressorProject({ COMPRESS_OFFLINE: literal(true) })
    const compressing = herokuishCompileHook(project, {
      readFile: memoryReader({ 'bin/post_compile': '#!/bin/sh\npython manage.py compress\n' }),
    })
    expect(compressing).toEqual({ files: [], notes: [] })
    const other = herokuishCompileHook(project, {
      readFile: memoryReader({ 'bin/post_compile': '#!/bin/sh\nnpm run build\n' }),
    })
    expect(other.files).toEqual([])
    expect(other.notes).toMatchObject([{ level: 'warning', code: 'post-compile-without-compress', file: 'bin/post_compile' }])
    expect(other.notes[0]?.message).toContain('Add "python manage.py compress --force" to it.')
  })

  it('nothing at all without offline compression', () => {
    expect(herokuishCompileHook(compressorProject({}), { readFile: memoryReader({}) })).toEqual({ files: [], notes: [] })
  })
})
