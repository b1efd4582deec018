import { describe, expect, it } from 'vitest'
import type { ProjectModel } from '@django-deploy/shared/detect'
import { sqliteProblem } from '../src/project.js'
import { inputsOf } from './helpers.js'

type Db = Pick<ProjectModel, 'summary' | 'findings'>
const sqliteEngine = { summary: { databaseEngine: 'django.db.backends.sqlite3' }, findings: [] } as unknown as Db
const urlFallback = {
  summary: { databaseUrlVariable: 'DB_URL' },
  findings: [{ level: 'notice', code: 'database-sqlite-fallback', message: 'falls back' }],
} as unknown as Db
const postgres = { summary: { databaseEngine: 'django.db.backends.postgresql' }, findings: [] } as unknown as Db

describe('sqliteProblem', () => {
  it('refuses a SQLite engine with no database given, naming the fix and the way out', () => {
    const problem = sqliteProblem(inputsOf(), sqliteEngine)
    expect(problem?.message).toContain("The project's database is SQLite")
    expect(problem?.hint).toContain('Cloud SQL')
    expect(problem?.hint).toContain('secrets: DATABASE_URL=NAME:latest')
    expect(problem?.hint).toContain('allow-sqlite: true')
  })

  it('refuses a URL that falls back to SQLite, naming the variable the settings read', () => {
    const problem = sqliteProblem(inputsOf(), urlFallback)
    expect(problem?.message).toContain('DB_URL is not given, so the settings fall back to SQLite')
    expect(problem?.hint).toContain('secrets: DB_URL=NAME:latest')
    expect(sqliteProblem(inputsOf({ secrets: 'DB_URL=db-url:latest' }), urlFallback)).toBeUndefined()
  })

  it('accepts a DATABASE_URL secret or env var, a cloudsql-instance, allow-sqlite, or another engine', () => {
    expect(sqliteProblem(inputsOf({ secrets: 'DATABASE_URL=db-url:latest' }), sqliteEngine)).toBeUndefined()
    expect(sqliteProblem(inputsOf({ 'env-vars': 'DATABASE_URL=postgres://u:pw-long@/db' }), sqliteEngine)).toBeUndefined()
    expect(sqliteProblem(inputsOf({ 'cloudsql-instance': 'demo-proj:europe-west1:main' }), sqliteEngine)).toBeUndefined()
    expect(sqliteProblem(inputsOf({ 'allow-sqlite': 'true' }), sqliteEngine)).toBeUndefined()
    expect(sqliteProblem(inputsOf(), postgres)).toBeUndefined()
  })
})
