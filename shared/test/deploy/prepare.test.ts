import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Finding } from '../../src/detect/index.js'
import { findingsToReport, OVERLAY_FIXED_FINDINGS, prepareDeployFiles } from '../../src/deploy/index.js'
import { projectModel } from '../settings/project-model.js'

const finding = (code: string, level: Finding['level'] = 'warning'): Finding => ({ code, level, message: code })

describe('findingsToReport', () => {
  const findings = [
    finding('debug-true'),
    finding('static-root-missing'),
    finding('database-sqlite'),
    finding('other'),
    finding('note', 'notice'),
  ]

  it('leaves out what the overlay fixes, and notices', () => {
    expect(findingsToReport(findings, { overlay: true, databaseProvided: false }).map((f) => f.code)).toEqual([
      'database-sqlite',
      'other',
    ])
  })

  it('leaves out SQLite once the platform gives the database, only with the overlay (it is what reads DATABASE_URL)', () => {
    expect(findingsToReport(findings, { overlay: true, databaseProvided: true }).map((f) => f.code)).toEqual(['other'])
    expect(findingsToReport(findings, { overlay: false, databaseProvided: true }).map((f) => f.code)).toEqual([
      'debug-true',
      'static-root-missing',
      'database-sqlite',
      'other',
    ])
  })

  it('knows the findings of the settings it overrides', () => {
    expect(OVERLAY_FIXED_FINDINGS).toEqual(expect.arrayContaining(['debug-true', 'secret-key-hardcoded', 'allowed-hosts-empty']))
  })
})

describe('prepareDeployFiles', () => {
  let repoRoot: string
  beforeAll(async () => {
    repoRoot = await mkdtemp(path.join(tmpdir(), 'deploy-files-'))
    await writeFile(path.join(repoRoot, 'requirements.txt'), 'Django>=4.2,<5\n')
    await writeFile(path.join(repoRoot, 'manage.py'), '')
  })
  afterAll(() => rm(repoRoot, { recursive: true, force: true }))

  it('overlay, release step and Dockerfile, in that order, the image running the overlay', () => {
    const prepared = prepareDeployFiles(projectModel(), {
      repoRoot,
      settingsPatch: 'overlay',
      databaseProvided: true,
      release: { migrate: true },
      dockerfile: { database: 'postgres' },
    })
    const paths = prepared.files.map((file) => file.path)
    expect(paths[0]).toBe('mysite/settings_deploy.py')
    expect(paths).toEqual(expect.arrayContaining(['Procfile', 'Dockerfile']))
    expect(prepared.settingsModule).toBe('mysite.settings_deploy')
    expect(prepared.dockerfileGenerated).toBe(true)
    const dockerfile = prepared.files.find((file) => file.path === 'Dockerfile')?.content ?? ''
    expect(dockerfile).toContain('DJANGO_SETTINGS_MODULE=mysite.settings_deploy')
    expect(dockerfile).toMatch(/psycopg/)
  })

  it("settings-patch none: no overlay, and the image runs the project's own module (the overlay is not in it)", () => {
    const prepared = prepareDeployFiles(projectModel(), {
      repoRoot,
      settingsPatch: 'none',
      databaseProvided: false,
      dockerfile: {},
    })
    expect(prepared.overlayModule).toBeUndefined()
    expect(prepared.files.map((file) => file.path)).not.toContain('mysite/settings_deploy.py')
    const dockerfile = prepared.files.find((file) => file.path === 'Dockerfile')?.content ?? ''
    expect(dockerfile).toContain('DJANGO_SETTINGS_MODULE=mysite.settings')
    expect(dockerfile).not.toContain('settings_deploy')
  })
})
