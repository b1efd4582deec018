import { readFile, writeFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { describe, expect, it, onTestFinished } from 'vitest'
import { createGcloudStandin } from '../standins/gcloud/index.js'
import { createDatabase, fixtureRepo, makeTempDir, run } from '../support/index.js'

/**
 * The committed bundle, run the way GitHub runs it: `node action-cloudrun/dist/index.js` with
 * INPUT_* variables and GITHUB_OUTPUT / GITHUB_STEP_SUMMARY files, the gcloud stand-in on PATH,
 * and its HTTPS front end for *.run.app reached through HTTPS_PROXY (NODE_USE_ENV_PROXY=1) with
 * the front end's CA in NODE_EXTRA_CA_CERTS, so the bundle's own fetch checks the real revision.
 */
const DIST = resolve(import.meta.dirname, '..', '..', 'action-cloudrun', 'dist', 'index.js')

describe('action-cloudrun dist', () => {
  it('deploys the example site and writes outputs and a summary', async () => {
    const dir = await makeTempDir('cloudrun-dist-')
    const repo = await fixtureRepo('example-site')
    const gcloud = createGcloudStandin(dir, { cleanup: onTestFinished })
    gcloud.addRepository('us-central1', 'cloud-run-source-deploy')
    const frontEnd = await gcloud.frontEnd()
    const databaseUrl = await createDatabase('cloudrun-dist')
    const outputFile = join(dir, 'output')
    const summaryFile = join(dir, 'summary.md')
    const eventFile = join(dir, 'event.json')
    await writeFile(outputFile, '')
    await writeFile(summaryFile, '')
    await writeFile(eventFile, JSON.stringify({ repository: { default_branch: 'main' } }))
    const key = gcloud.serviceAccountKey()
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      ...gcloud.env,
      ...frontEnd.env,
      GITHUB_ACTIONS: 'true',
      GITHUB_WORKSPACE: repo.dir,
      GITHUB_OUTPUT: outputFile,
      GITHUB_STEP_SUMMARY: summaryFile,
      GITHUB_REPOSITORY: 'octo/site',
      GITHUB_EVENT_NAME: 'push',
      GITHUB_EVENT_PATH: eventFile,
      GITHUB_SHA: repo.head,
      GITHUB_REF: 'refs/heads/main',
      RUNNER_TEMP: join(dir, 'runner-temp'),
      INPUT_SERVICE: 'blog',
      INPUT_REGION: 'us-central1',
      'INPUT_CREDENTIALS-JSON': key,
      // The test bed's PostgreSQL (no password: trust on loopback); SQLite would leave the
      // service's own copy without tables, and the home page would answer 500.
      'INPUT_ENV-VARS': `FEATURE_FLAGS=a,b\nQUOTE="x"\nDATABASE_URL=${databaseUrl}`,
      INPUT_MIGRATE: 'true',
    }
    for (const name of ['DJANGO_SETTINGS_MODULE', 'CLOUDSDK_CORE_PROJECT', 'GOOGLE_CLOUD_PROJECT']) delete env[name]
    const result = await run(process.execPath, [DIST], { env, cwd: repo.dir, timeoutMs: 120_000 })
    expect(result.stderr).toBe('')
    expect(result.exitCode, result.stdout.slice(-3000)).toBe(0)
    const outputs = await readFile(outputFile, 'utf8')
    expect(outputs).toMatch(/^url<<ghadelimiter_[\w-]+\nhttps:\/\/blog-123456789012\.us-central1\.run\.app\n/m)
    expect(outputs).toMatch(/^revision<<ghadelimiter_[\w-]+\nblog-00001-[a-z]{3}\n/m)
    expect(outputs).toMatch(/^migration-execution<<ghadelimiter_[\w-]+\nblog-migrate-[a-z]+\n/m)
    expect(outputs).not.toContain('PRIVATE KEY')
    const summary = await readFile(summaryFile, 'utf8')
    expect(summary).toContain('## Deployed blog to [https://blog-123456789012.us-central1.run.app]')
    expect(result.stdout).toContain('::add-mask::')
    // The runner swallows ::add-mask:: lines; no other line may carry the key.
    expect(
      result.stdout
        .split('\n')
        .filter((line) => !line.startsWith('::add-mask::'))
        .join('\n'),
    ).not.toContain('PRIVATE KEY')
    const env2 = gcloud.calls().find((call) => call.argv[1] === 'deploy')?.read?.envVarsFile as Record<string, string>
    expect(env2.FEATURE_FLAGS).toBe('a,b')
    expect(env2.QUOTE).toBe('"x"')
    // The bundle's revision check went through the front end to the revision's container.
    expect(result.stdout).toContain('https://blog-123456789012.us-central1.run.app answered 200.')
    expect(await gcloud.fetch('https://blog-123456789012.us-central1.run.app/')).toMatchObject({
      status: 200,
      revision: /^blog-00001-[a-z]{3}$/m.exec(outputs)?.[0],
    })
  })

  it('on a pull request from a fork (no secrets, no credentials) says why and deploys nothing', async () => {
    const dir = await makeTempDir('cloudrun-fork-')
    const repo = await fixtureRepo('example-site')
    const gcloud = createGcloudStandin(dir)
    const eventFile = join(dir, 'event.json')
    await writeFile(
      eventFile,
      JSON.stringify({
        number: 7,
        repository: { full_name: 'octo/site', default_branch: 'main' },
        pull_request: {
          number: 7,
          head: { sha: repo.head, ref: 'patch', repo: { full_name: 'stranger/site', fork: true } },
          base: { ref: 'main', repo: { full_name: 'octo/site' } },
        },
      }),
    )
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      ...gcloud.env,
      GITHUB_ACTIONS: 'true',
      GITHUB_WORKSPACE: repo.dir,
      GITHUB_REPOSITORY: 'octo/site',
      GITHUB_EVENT_NAME: 'pull_request',
      GITHUB_EVENT_PATH: eventFile,
      GITHUB_SHA: repo.head,
      GITHUB_REF: 'refs/pull/7/merge',
      RUNNER_TEMP: join(dir, 'runner-temp'),
      INPUT_SERVICE: 'blog',
      INPUT_REGION: 'us-central1',
      'INPUT_PROJECT-ID': 'octo-project',
      GITHUB_STEP_SUMMARY: join(dir, 'summary.md'),
    }
    await writeFile(join(dir, 'summary.md'), '')
    for (const name of ['CLOUDSDK_AUTH_CREDENTIAL_FILE_OVERRIDE', 'GOOGLE_APPLICATION_CREDENTIALS', 'GOOGLE_GHA_CREDS_PATH'])
      delete env[name]
    const result = await run(process.execPath, [DIST], { env, cwd: repo.dir, timeoutMs: 60_000 })
    expect(result.exitCode, result.stdout).toBe(0)
    expect(result.stdout).toMatch(/::notice::Not deploying: Pull request #7 comes from a fork \(stranger\/site\)/)
    expect(gcloud.calls()).toEqual([])
    // The job summary says so too: a skipped run is an outcome, not silence.
    const summary = await readFile(join(dir, 'summary.md'), 'utf8')
    expect(summary).toMatch(/^## Did not deploy blog: Pull request #7 comes from a fork \(stranger\/site\)/)
  })
  it('on a closed pull request from a fork (no credentials) says there is nothing to remove and runs no gcloud', async () => {
    const dir = await makeTempDir('cloudrun-fork-closed-')
    const gcloud = createGcloudStandin(dir)
    const eventFile = join(dir, 'event.json')
    await writeFile(
      eventFile,
      JSON.stringify({
        action: 'closed',
        number: 7,
        repository: { full_name: 'octo/site', default_branch: 'main' },
        pull_request: {
          number: 7,
          state: 'closed',
          head: { sha: 'f'.repeat(40), ref: 'patch', repo: { full_name: 'stranger/site', fork: true } },
          base: { ref: 'main', repo: { full_name: 'octo/site' } },
        },
      }),
    )
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      ...gcloud.env,
      GITHUB_ACTIONS: 'true',
      GITHUB_WORKSPACE: join(dir, 'no-checkout'),
      GITHUB_REPOSITORY: 'octo/site',
      GITHUB_EVENT_NAME: 'pull_request',
      GITHUB_EVENT_PATH: eventFile,
      GITHUB_SHA: 'f'.repeat(40),
      GITHUB_REF: 'refs/pull/7/merge',
      RUNNER_TEMP: join(dir, 'runner-temp'),
      INPUT_SERVICE: 'blog',
      INPUT_REGION: 'us-central1',
      'INPUT_PROJECT-ID': 'octo-project',
    }
    for (const name of ['CLOUDSDK_AUTH_CREDENTIAL_FILE_OVERRIDE', 'GOOGLE_APPLICATION_CREDENTIALS', 'GOOGLE_GHA_CREDS_PATH'])
      delete env[name]
    const result = await run(process.execPath, [DIST], { env, cwd: dir, timeoutMs: 60_000 })
    expect(result.exitCode, result.stdout).toBe(0)
    expect(result.stdout).toMatch(
      /::notice::Not removing the preview tag pr-7: Pull request #7 comes from a fork \(stranger\/site\).* there is nothing to remove\./,
    )
    expect(gcloud.calls()).toEqual([])
  })

  it('on a closed pull request, without a checkout: reads the service, finds nothing to remove, reports it', async () => {
    const dir = await makeTempDir('cloudrun-closed-')
    const gcloud = createGcloudStandin(dir)
    const outputFile = join(dir, 'output')
    const summaryFile = join(dir, 'summary.md')
    const eventFile = join(dir, 'event.json')
    await writeFile(outputFile, '')
    await writeFile(summaryFile, '')
    await writeFile(
      eventFile,
      JSON.stringify({
        action: 'closed',
        number: 7,
        repository: { full_name: 'octo/site', default_branch: 'main' },
        pull_request: {
          number: 7,
          state: 'closed',
          merged: true,
          head: { sha: 'f'.repeat(40), ref: 'feature', repo: { full_name: 'octo/site' } },
          base: { ref: 'main', repo: { full_name: 'octo/site' } },
        },
      }),
    )
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      ...gcloud.env,
      GITHUB_ACTIONS: 'true',
      GITHUB_WORKSPACE: join(dir, 'no-checkout'),
      GITHUB_OUTPUT: outputFile,
      GITHUB_STEP_SUMMARY: summaryFile,
      GITHUB_REPOSITORY: 'octo/site',
      GITHUB_EVENT_NAME: 'pull_request',
      GITHUB_EVENT_PATH: eventFile,
      GITHUB_SHA: 'f'.repeat(40),
      GITHUB_REF: 'refs/pull/7/merge',
      RUNNER_TEMP: join(dir, 'runner-temp'),
      INPUT_SERVICE: 'blog',
      INPUT_REGION: 'us-central1',
      'INPUT_CREDENTIALS-JSON': gcloud.serviceAccountKey(),
    }
    for (const name of ['CLOUDSDK_CORE_PROJECT', 'GOOGLE_CLOUD_PROJECT']) delete env[name]
    const result = await run(process.execPath, [DIST], { env, cwd: dir, timeoutMs: 60_000 })
    expect(result.stderr).toBe('')
    expect(result.exitCode, result.stdout.slice(-3000)).toBe(0)
    expect(gcloud.commands().slice(-1)).toEqual([
      'gcloud run services describe blog --region us-central1 --project demo-proj --format json',
    ])
    expect(result.stdout).toContain(
      '::notice::Nothing to remove: service blog does not exist in us-central1 (project demo-proj), so it has no tag pr-7.',
    )
    expect(await readFile(outputFile, 'utf8')).toBe('')
    const summary = await readFile(summaryFile, 'utf8')
    expect(summary).toContain(
      '## Removed blog (tag pr-7): pull request #7 closed; service blog does not exist, so there was no tag to remove (nothing changed)',
    )
  })
})
