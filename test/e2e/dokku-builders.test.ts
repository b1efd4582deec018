import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { fixtureRepo, psql, readQuickstart, type FixtureRepo } from '../support/index.js'
import { startDokkuStandin, type DokkuStandin } from '../standins/dokku/standin.js'
import type { GeneratedKey } from '../../action-dokku/test/keys.js'
import { authorizedKey, baseInputs, runAction } from './dokku-support.js'

/**
 * The Django tutorial's project as a new user has it (requirements.txt = Django only, SQLite in
 * its settings) goes live on Dokku with `postgres: true`, with both builders and zero edits: the
 * stand-in builds it as Dokku does (the buildpack's fresh virtualenv, or `docker build`), so
 * whatever the deploy does not add is missing for real.
 */
const cleanups: Array<() => Promise<void> | void> = []
let dokku: DokkuStandin
let key: GeneratedKey
let repo: FixtureRepo

beforeAll(async () => {
  dokku = await startDokkuStandin({ cleanup: (fn) => cleanups.push(fn) })
  key = await authorizedKey(dokku)
  repo = await fixtureRepo('tutorial')
})

afterAll(async () => {
  for (const fn of cleanups.reverse()) await fn()
})

/**
 * The herokuish run is README's Quickstart 1 as written (read from README.md), on the stand-in:
 * only the server's address changes (host, port and the SSH user of the stand-in's sshd) and the
 * app name, so each builder gets its own app. The dockerfile run adds `builder: dockerfile`.
 */
function quickstartInputs(app: string): Record<string, string> {
  const { inputs } = readQuickstart('action-dokku', {
    'secrets.DOKKU_SSH_KEY': key.privateKey,
    'vars.DOKKU_HOST_KEY': dokku.knownHosts.ed25519,
  })
  expect(Object.keys(inputs).sort()).toEqual(['app', 'host', 'postgres', 'ssh-host-key', 'ssh-private-key'])
  const server = baseInputs(dokku, key, app)
  return { ...inputs, host: server.host as string, port: server.port as string, user: server.user as string, app }
}

describe.each(['herokuish', 'dockerfile'] as const)('the tutorial project with postgres: true, builder %s', (builder) => {
  it('goes live: migrated PostgreSQL, /polls/ answers 200 through the proxy, static files through WhiteNoise', async () => {
    const app = `tutorial-${builder}`
    const deployed = await runAction({
      repoDir: repo.dir,
      inputs: builder === 'herokuish' ? quickstartInputs(app) : { ...quickstartInputs(app), builder, 'http-check': '/polls/' },
    })
    expect(deployed.error, deployed.visible).toBeUndefined()
    expect(deployed.result?.outcome).toBe('deployed')
    expect(deployed.log.text()).toContain(
      builder === 'herokuish' ? `-----> Building ${app} from herokuish` : `-----> Building ${app} from Dockerfile`,
    )
    const databaseUrl = dokku.app(app)?.config.DATABASE_URL ?? ''
    expect(databaseUrl).toMatch(/^postgres:\/\//)
    // The data migration's two questions are in the service's database, and the live page reads them.
    expect(await psql(databaseUrl, 'select count(*) from polls_question')).toBe('2')
    const page = await fetch(`${dokku.url(app)}/polls/`)
    expect(page.status).toBe(200)
    const questions = (await psql(databaseUrl, 'select question_text from polls_question order by id')).split('\n')
    const body = await page.text()
    for (const question of questions) expect(body).toContain(question.replace(/'/g, '&#x27;'))
    // DEBUG is off in the overlay, so only WhiteNoise can serve this.
    const css = await fetch(`${dokku.url(app)}/static/admin/css/base.css`)
    expect(css.status).toBe(200)
    expect(css.headers.get('content-type')).toContain('text/css')
    expect((await css.text()).length).toBeGreaterThan(1000)
  }, 600_000)
})
