import { describe, expect, it } from 'vitest'
import { databaseFromUrl, generateDockerfile } from '../../src/build/dockerfile.js'
import { memoryReader } from '../../src/settings/read-file.js'
import { projectModel } from '../settings/project-model.js'

const reader = memoryReader({ 'requirements.txt': 'Django>=4.2\n' })

describe('the database hint reaches the Dockerfile generator', () => {
  it('reads the database from a DATABASE_URL scheme', () => {
    expect(databaseFromUrl('postgres://u:p@db/app')).toBe('postgres')
    expect(databaseFromUrl('postgresql://db/app')).toBe('postgres')
    expect(databaseFromUrl(' postgis://db/app')).toBe('postgres')
    expect(databaseFromUrl('mysql://db/app')).toBe('mysql')
    expect(databaseFromUrl('sqlite:////data/db.sqlite3')).toBe('sqlite')
    expect(databaseFromUrl('oracle://db/app')).toBe('other')
    expect(databaseFromUrl('')).toBeUndefined()
    expect(databaseFromUrl(undefined)).toBeUndefined()
  })

  it('settings whose ENGINE comes from the environment get a driver once the caller says PostgreSQL, and not before', () => {
    // dj-database-url settings: detection sees no ENGINE.
    const project = projectModel({ summary: { databaseEngine: undefined } })
    const without = generateDockerfile(project, { readFile: reader })
    expect(without.addedPackages.some((name) => name.startsWith('psycopg'))).toBe(false)

    const dokku = generateDockerfile(project, { readFile: reader, database: 'postgres' })
    expect(dokku.addedPackages).toContain('psycopg[binary]>=3.1')
    const dockerfile = dokku.files.find((file) => file.path === 'Dockerfile')?.content ?? ''
    expect(dockerfile).toContain('psycopg[binary]>=3.1')

    const cloudrun = generateDockerfile(project, { readFile: reader, database: databaseFromUrl('postgres://u@10.0.0.3/app') })
    expect(cloudrun.addedPackages).toContain('psycopg[binary]>=3.1')
    const mysql = generateDockerfile(project, { readFile: reader, database: databaseFromUrl('mysql://u@db/app') })
    expect(mysql.addedPackages.some((name) => name.startsWith('psycopg'))).toBe(false)
  })
})
