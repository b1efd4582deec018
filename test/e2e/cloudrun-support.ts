import { mkdir, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { onTestFinished } from 'vitest'
import { readEventContext } from '@django-deploy/shared/github'
import { Outputs } from '@django-deploy/shared/github'
import { SecretRegistry } from '@django-deploy/shared/github'
import { writeSummary, type DeploySummary } from '@django-deploy/shared/github'
import { inputSourceFrom } from '@django-deploy/shared/inputs'
import { spawnRunner } from '@django-deploy/shared/runtime'
import { MemoryLogger } from '@django-deploy/shared/runtime'
import { readInputs } from '../../action-cloudrun/src/inputs.js'
import { run, type OutputName, type RunResult } from '../../action-cloudrun/src/main.js'
import { createGcloudStandin, type GcloudStandin } from '../standins/gcloud/index.js'
import { createDatabase, fixtureRepo, git, makeTempDir, type FixtureName, type FixtureRepo } from '../support/index.js'

/**
 * action-cloudrun end to end against the gcloud stand-in: the real example project in a git
 * repository, the real runner (gcloud, git, python3 are real processes), the stand-in first on
 * PATH, its builds and containers real Docker ones, and the revision check going through the
 * stand-in's HTTPS front end to the revision's container.
 */
export interface Bed {
  repo: FixtureRepo
  gcloud: GcloudStandin
  runnerTemp: string
  keyJson: string
  /** The bed's own PostgreSQL database: the secret blog-database-url holds its URL. */
  databaseUrl: string
  /**
   * Run the action once: on `push` (default) or, with `pullRequest`, on `pull_request` (or `event`)
   * with the payload's `action` ('synchronize' when not given; 'closed' removes the preview).
   */
  deploy(
    inputs?: Record<string, string>,
    options?: {
      pullRequest?: number
      action?: string
      event?: 'pull_request' | 'pull_request_target'
      sha?: string
      env?: Record<string, string>
    },
  ): Promise<Attempt>
}

export interface Attempt {
  result?: RunResult
  error?: Error
  outputs: Record<string, string>
  summaries: DeploySummary[]
  log: MemoryLogger
  secrets: SecretRegistry
  /** Commands of this attempt only, temp paths replaced by <tmp>. */
  commands: string[]
}

export const REGION = 'europe-west1'

/** Commit `files` to the bed's repository (as a user pushing a change); the next deploy builds it. */
export async function commit(bed: Bed, files: Record<string, string>, message: string): Promise<void> {
  for (const [path, content] of Object.entries(files)) {
    await mkdir(dirname(join(bed.repo.dir, path)), { recursive: true })
    await writeFile(join(bed.repo.dir, path), content)
  }
  await git(bed.repo.dir, ['add', '-A'])
  await git(bed.repo.dir, ['commit', '-q', '-m', message])
  bed.repo.head = (await git(bed.repo.dir, ['rev-parse', 'HEAD'])).trim()
}

/**
 * How every deploy of the bed gets its database unless a test says otherwise: a DATABASE_URL
 * secret holding the URL of the bed's own PostgreSQL database. A SQLite file would not do: the
 * migration job and every instance each get their own copy (pages that read a table answer 500).
 */
export const DATABASE_SECRET = 'DATABASE_URL=blog-database-url:latest'
export const SECRETS_FLAG = `--update-secrets ${DATABASE_SECRET}`

export async function createBed(fixture: FixtureName = 'example-site', options: { project?: string } = {}): Promise<Bed> {
  const dir = await makeTempDir('cloudrun-')
  const repo = await fixtureRepo(fixture)
  // What google-github-actions/auth would leave in the workspace: it must never be uploaded.
  await writeFile(join(repo.dir, 'gha-creds-0123456789abcdef.json'), '{"type":"external_account"}')
  // Its builds, job tasks and revisions are real containers: removed when the test ends, pass or fail.
  const gcloud = createGcloudStandin(dir, {
    project: options.project ?? 'demo-proj',
    projectNumber: '123456789012',
    cleanup: onTestFinished,
  })
  const runnerTemp = join(dir, 'runner-temp')
  const keyJson = gcloud.serviceAccountKey()
  const databaseUrl = await createDatabase('cloudrun')
  gcloud.addSecret('blog-database-url', databaseUrl)
  let seen = 0
  const bed: Bed = {
    repo,
    gcloud,
    runnerTemp,
    keyJson,
    databaseUrl,
    async deploy(values = {}, options = {}) {
      const event = options.pullRequest === undefined ? 'push' : (options.event ?? 'pull_request')
      const eventPath = join(dir, `event-${event}.json`)
      const payload =
        options.pullRequest === undefined
          ? { repository: { default_branch: 'main' } }
          : {
              action: options.action ?? 'synchronize',
              number: options.pullRequest,
              pull_request: {
                number: options.pullRequest,
                state: options.action === 'closed' ? 'closed' : 'open',
                head: { sha: options.sha ?? repo.head, ref: 'feature', repo: { full_name: 'octo/site' } },
                base: { ref: 'main', repo: { full_name: 'octo/site' } },
              },
              repository: { default_branch: 'main' },
            }
      await writeFile(eventPath, JSON.stringify(payload))
      const env: Record<string, string | undefined> = {
        ...process.env,
        ...gcloud.env,
        GITHUB_WORKSPACE: repo.dir,
        RUNNER_TEMP: runnerTemp,
        GITHUB_REPOSITORY: 'octo/site',
        GITHUB_EVENT_NAME: event,
        GITHUB_EVENT_PATH: eventPath,
        GITHUB_SHA: options.sha ?? repo.head,
        GITHUB_REF: options.pullRequest === undefined ? 'refs/heads/main' : `refs/pull/${options.pullRequest}/merge`,
        GITHUB_RUN_ID: '42',
        CLOUDSDK_CORE_PROJECT: undefined,
        GOOGLE_CLOUD_PROJECT: undefined,
        DJANGO_SETTINGS_MODULE: undefined,
        ...options.env,
      }
      const log = new MemoryLogger()
      const secrets = new SecretRegistry(() => undefined)
      const outputs: Record<string, string> = {}
      const summaries: DeploySummary[] = []
      const attempt: Attempt = { outputs, summaries, log, secrets, commands: [] }
      let skipped = 0
      try {
        // Wired as index.ts wires it: secrets (and secret-named env-vars values) to the registry.
        const inputs = readInputs(
          inputSourceFrom({ region: REGION, service: 'blog', 'credentials-json': keyJson, secrets: DATABASE_SECRET, ...values }),
          (value) => secrets.add(value),
        )
        attempt.result = await run(inputs, {
          log: secrets.logger(log),
          runner: spawnRunner,
          env,
          context: readEventContext(env),
          outputs: new Outputs<OutputName>(
            ['url', 'urls', 'revision', 'image', 'migration-execution', 'log-url'],
            secrets,
            (name, value) => void (outputs[name] = value),
          ),
          // The real writer (it refuses a summary that contains a secret), into memory.
          writeSummary: async (summary) => {
            await writeSummary(summary, secrets, {
              addRaw: function () {
                return this
              },
              write: async () => undefined,
            })
            summaries.push(summary)
          },
          toolCache: {
            find: () => '',
            downloadTool: () => Promise.reject(new Error('no downloads in this test')),
            extractTar: () => Promise.reject(new Error('unused')),
            cacheDir: () => Promise.reject(new Error('unused')),
          },
          probe: (url, headers) => gcloud.fetch(url, headers),
          // A virtual clock: waits between checks pass at once, but deadlines still arrive.
          now: () => Date.now() + skipped,
          sleep: async (ms) => void (skipped += ms),
        })
      } catch (error) {
        attempt.error = error as Error
      }
      const all = gcloud.commands({ [runnerTemp]: '<tmp>' })
      attempt.commands = all.slice(seen).map((line) => line.replace(/<tmp>\/cloudrun-[0-9a-f]+/g, '<work>'))
      seen = all.length
      return attempt
    },
  }
  return bed
}
