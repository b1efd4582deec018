/**
 * Generated Dockerfiles built and run for real, on the test bed's python:3.X-slim stand-ins and
 * package index (test/README.md): the release command migrates this run's PostgreSQL from inside
 * the image, the app answers on $PORT, as the unprivileged user, with no secret in the history.
 */
import { describe, expect, it, type TestContext } from 'vitest'
import { createDatabase, freePort, mustSucceed, psql, run } from '../support/index.js'
import { CONTAINER_USER, generateDockerfile } from '../../shared/src/build/dockerfile.js'
import { generateReleaseStep, parseProcfile } from '../../shared/src/build/release.js'
import { deployedFixture, HOME_TEXT, STRONG_SECRET_KEY, writeGenerated } from '../../shared/test/settings/deployed-fixture.js'

const docker = (args: string[], timeoutMs = 600_000) => run('docker', args, { timeoutMs })

async function imageOf(name: 'flat', ctx: TestContext) {
  const fixture = await deployedFixture(name, ctx.onTestFinished)
  const dockerBuild = generateDockerfile(fixture.model, { readFile: fixture.readFile, database: 'postgres' })
  const release = generateReleaseStep(fixture.model, { readFile: fixture.readFile })
  await writeGenerated(fixture.dir, [...dockerBuild.files, ...release.files])
  const procfile = parseProcfile(release.files.find((file) => file.path === 'Procfile')?.content ?? '')
  const tag = `django-deploy-e2e/${name}:${process.pid}`
  mustSucceed(await docker(['build', '--network', 'host', '-q', '-t', tag, fixture.dir]), `docker build ${name}`)
  ctx.onTestFinished(async () => {
    await docker(['rmi', '-f', tag])
  })
  return { tag, procfile }
}

describe('generated images, built and run', () => {
  it('flat: release migrates PostgreSQL inside the image, / answers 200 as the app user, no secret in history', async (ctx) => {
    const { tag, procfile } = await imageOf('flat', ctx)
    const databaseUrl = await createDatabase('img')
    const env = ['-e', `DATABASE_URL=${databaseUrl}`, '-e', `SECRET_KEY=${STRONG_SECRET_KEY}`, '-e', 'ALLOWED_HOSTS=127.0.0.1']
    const releaseCommand = procfile.release
    expect(releaseCommand).toBeTruthy()
    mustSucceed(
      await docker(['run', '--rm', '--network', 'host', ...env, tag, 'sh', '-c', releaseCommand ?? 'false']),
      'release in the image',
    )
    expect(await psql(databaseUrl, "select count(*) from django_migrations where app = 'auth'")).not.toBe('0')

    const port = await freePort()
    const started = await docker(['run', '-d', '--rm', '--network', 'host', ...env, '-e', `PORT=${port}`, tag])
    mustSucceed(started, 'docker run -d')
    const id = started.stdout.trim()
    ctx.onTestFinished(async () => {
      await docker(['rm', '-f', id])
    })
    let status = 0
    let body = ''
    for (let i = 0; i < 120 && status !== 200; i++) {
      try {
        const answer = await fetch(`http://127.0.0.1:${port}/`)
        status = answer.status
        body = await answer.text()
      } catch {
        await new Promise((resolve) => setTimeout(resolve, 500))
      }
    }
    expect(status).toBe(200)
    expect(body).toContain(HOME_TEXT.flat)
    const user = mustSucceed(await docker(['exec', id, 'id', '-u']), 'docker exec id')
    expect(user.stdout.trim()).toBe(String(CONTAINER_USER.uid))
    const history = mustSucceed(await docker(['history', '--no-trunc', tag]), 'docker history')
    expect(history.stdout).not.toContain(STRONG_SECRET_KEY)
  })
})
