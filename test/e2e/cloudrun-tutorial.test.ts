import { describe, expect, it } from 'vitest'
import { randomBytes } from 'node:crypto'
import { psql, readQuickstart } from '../support/index.js'
import { createBed } from './cloudrun-support.js'

/**
 * The Django tutorial's project as a new user has it (requirements.txt = Django only, SQLite in
 * its settings) goes live on Cloud Run with a PostgreSQL DATABASE_URL secret and no edits: the
 * image really built from the upload, the migration job really run in it against this run's
 * PostgreSQL, the revision's container really serving through the front end.
 *
 * The inputs are README's Quickstart 3 as written (read from README.md). What differs is outside
 * the step: the key from google-github-actions/auth comes as credentials-json, and the secret
 * database-url holds this run's PostgreSQL URL over TCP (the stand-in has no /cloudsql/ socket).
 */
describe('action-cloudrun: the tutorial project, live with PostgreSQL', () => {
  it('builds, migrates the real database in the job, and serves pages and static files; a host Django does not allow gets its 400', async () => {
    const { inputs, stepsBefore } = readQuickstart('action-cloudrun', {})
    expect(stepsBefore).toEqual(['actions/checkout@v6', 'google-github-actions/auth@v3'])
    const bed = await createBed('tutorial', { project: inputs['project-id'] })
    bed.gcloud.addSecret('database-url', bed.databaseUrl)
    bed.gcloud.addSecret('django-secret-key', randomBytes(32).toString('base64url'))
    const attempt = await bed.deploy(inputs)
    expect(attempt.error, bed.gcloud.logs()).toBeUndefined()
    const url = attempt.outputs.url as string
    expect(url).toBe('https://mysite-123456789012.europe-west1.run.app')

    // The job migrated the PostgreSQL database the secret names (the tutorial's data migration included).
    expect(await psql(bed.databaseUrl, "select to_regclass('public.polls_question') is not null")).toBe('t')
    expect(await psql(bed.databaseUrl, 'select count(*) from polls_question')).toBe('2')

    // The service's container reads that database: the questions the migration wrote are listed.
    const polls = await bed.gcloud.fetch(`${url}/polls/`)
    expect(polls).toMatchObject({ status: 200, revision: attempt.outputs.revision })
    expect(polls.body).toContain('Favourite colour?')

    // Static files were collected into the image and WhiteNoise serves them.
    const css = await bed.gcloud.fetch(`${url}/static/admin/css/base.css`)
    expect(css.status).toBe(200)
    expect(css.body).toContain('body')

    // The legacy URL is not in the first revision's ALLOWED_HOSTS (it is unknown until the
    // service exists): Cloud Run routes it to the same container, and Django refuses the host.
    const legacy = (JSON.parse(attempt.outputs.urls as string) as string[]).find((candidate) => candidate.endsWith('.a.run.app'))
    expect(legacy).toBeDefined()
    const refused = await bed.gcloud.fetch(`${legacy}/polls/`)
    expect(refused).toMatchObject({ status: 400, revision: attempt.outputs.revision })
    expect(refused.body).toContain('Bad Request (400)')

    // Nothing secret reached the image: the database URL is a secret of the revision only.
    const calls = bed.gcloud.calls()
    const uploaded = calls.find((call) => call.argv[0] === 'builds')?.read?.uploaded as string[]
    expect(uploaded).toContain('requirements.txt')
    expect(JSON.stringify(calls.map((call) => call.argv))).not.toContain(bed.databaseUrl)
  })
})
