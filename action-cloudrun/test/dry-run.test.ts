import { mkdtemp, readdir, readFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import { describe, expect, it, onTestFinished } from 'vitest'
import { readEventContext } from '@django-deploy/shared/github'
import { Outputs } from '@django-deploy/shared/github'
import { SecretRegistry } from '@django-deploy/shared/github'
import type { DeploySummary } from '@django-deploy/shared/github'
import { spawnRunner, type CommandRunner } from '@django-deploy/shared/runtime'
import { MemoryLogger } from '@django-deploy/shared/runtime'
import { copyFixture } from '../../test/support/index.js'
import { run, type Deps, type OutputName } from '../src/main.js'
import { DIGEST, inputsOf } from './helpers.js'

/**
 * dry-run: the whole plan, and nothing else. No gcloud (not even `gcloud version`), no download,
 * no HTTP, no outputs, no file in the workspace or RUNNER_TEMP; only the project is read.
 */
async function bed(
  options: { pullRequest?: number; action?: string; runner?: CommandRunner; workspace?: string; fork?: boolean } = {},
) {
  const runnerTemp = await mkdtemp(join(tmpdir(), 'cloudrun-dry-'))
  const commands: string[] = []
  const outputs: Record<string, string> = {}
  const summaries: DeploySummary[] = []
  const secrets = new SecretRegistry(() => undefined)
  const refuse = (what: string) => () => Promise.reject(new Error(`dry-run must not ${what}`))
  const env = {
    GITHUB_WORKSPACE: options.workspace ?? '/nonexistent',
    RUNNER_TEMP: runnerTemp,
    GITHUB_REPOSITORY: 'octo/site',
    GITHUB_EVENT_NAME: options.pullRequest ? 'pull_request' : 'push',
    GITHUB_SHA: 'abc123',
    GITHUB_REF: 'refs/heads/main',
    GITHUB_RUN_ID: '42',
  }
  const payload = options.pullRequest
    ? {
        action: options.action ?? 'synchronize',
        number: options.pullRequest,
        pull_request: {
          number: options.pullRequest,
          head: { sha: 'def456', ref: 'feature', repo: { full_name: options.fork ? 'stranger/site' : 'octo/site' } },
          base: { ref: 'main', repo: { full_name: 'octo/site' } },
        },
      }
    : {}
  const deps: Deps = {
    log: new MemoryLogger(),
    runner: {
      run: (command, args, runOptions) => {
        commands.push(`${command} ${args.join(' ')}`)
        if (!options.runner) return Promise.reject(new Error(`dry-run must not run ${command}`))
        return options.runner.run(command, args, runOptions)
      },
    },
    env,
    context: readEventContext({ ...env, GITHUB_EVENT_PATH: '/event.json' }, () => JSON.stringify(payload)),
    outputs: new Outputs<OutputName>(
      ['url', 'urls', 'revision', 'image', 'migration-execution', 'log-url'],
      secrets,
      (name, value) => void (outputs[name] = value),
    ),
    writeSummary: async (summary) => void summaries.push(summary),
    toolCache: {
      find: () => {
        throw new Error('dry-run must not look for gcloud')
      },
      downloadTool: refuse('download'),
      extractTar: refuse('extract'),
      cacheDir: refuse('cache'),
    },
    probe: refuse('send HTTP requests'),
    now: () => 0,
    sleep: refuse('wait'),
  }
  return { deps, commands, outputs, summaries, runnerTemp }
}

const steps = (details: Array<{ detail?: string }>) => details.map((step) => step.detail).filter(Boolean)

describe('dry-run', () => {
  it('prebuilt image: runs no program at all and prints every gcloud command', async () => {
    const { deps, commands, outputs, summaries, runnerTemp } = await bed()
    const image = `europe-west1-docker.pkg.dev/demo-proj/images/blog@${DIGEST}`
    const result = await run(inputsOf({ image, 'dry-run': 'true', secrets: 'SECRET_KEY=django-secret-key:latest' }), deps)
    expect(result.outcome).toBe('planned')
    expect(commands).toEqual([])
    expect(outputs).toEqual({})
    expect(await readdir(runnerTemp)).toEqual([])
    expect(steps(result.plan.steps)).toEqual([
      'gcloud version --format json',
      'gcloud run services describe blog --region europe-west1 --project demo-proj --format json',
      `gcloud run jobs deploy blog-migrate --image ${image} --region europe-west1 --project demo-proj --env-vars-file <env.yaml> --update-secrets SECRET_KEY=django-secret-key:latest --command python --args=manage.py,migrate,--noinput --max-retries 0 --task-timeout 1800s --execute-now --wait --format json`,
      `gcloud run deploy blog --image ${image} --region europe-west1 --project demo-proj --env-vars-file <env.yaml> --update-secrets SECRET_KEY=django-secret-key:latest --cpu-boost --allow-unauthenticated --no-traffic --tag candidate --format json`,
      'gcloud run services update-traffic blog --to-latest --region europe-west1 --project demo-proj --format json',
    ])
    expect(summaries).toEqual([expect.objectContaining({ outcome: 'planned', plan: result.plan })])
  })

  it('pull request: the preview deploy, no migration, no traffic move', async () => {
    const { deps } = await bed({ pullRequest: 9 })
    const result = await run(
      inputsOf({ image: `europe-west1-docker.pkg.dev/demo-proj/images/blog@${DIGEST}`, 'dry-run': 'true' }),
      deps,
    )
    const detail = steps(result.plan.steps)
    expect(
      detail.some(
        (line) => line?.startsWith('gcloud run deploy blog ') && line.endsWith('--no-traffic --tag pr-9 --format json'),
      ),
    ).toBe(true)
    expect(detail.some((line) => line?.includes('jobs deploy') || line?.includes('update-traffic'))).toBe(false)
    expect(result.plan.steps).toContainEqual(
      expect.objectContaining({
        kind: 'check',
        title: 'Migrations',
        condition: expect.stringContaining('a preview shares the production database'),
      }),
    )
  })

  it('closed pull request: the describe and the tag removal, nothing built or deployed, no program run', async () => {
    const { deps, commands, outputs, summaries, runnerTemp } = await bed({ pullRequest: 9, action: 'closed' })
    const result = await run(inputsOf({ 'dry-run': 'true' }), deps)
    expect(result).toMatchObject({ outcome: 'planned', removal: { tag: 'pr-9', removed: false } })
    expect(commands).toEqual([])
    expect(outputs).toEqual({})
    expect(await readdir(runnerTemp)).toEqual([])
    expect(steps(result.plan.steps)).toEqual([
      'gcloud version --format json',
      'gcloud run services describe blog --region europe-west1 --project demo-proj --format json',
      'gcloud run services update-traffic blog --remove-tags pr-9 --region europe-west1 --project demo-proj --format json',
    ])
    expect(result.plan.steps.at(-1)?.condition).toBe('only when the service has the tag; otherwise nothing changes')
    expect(result.plan.files).toEqual([])
    expect(summaries).toEqual([
      expect.objectContaining({
        outcome: 'planned',
        operation: 'remove',
        target: { kind: 'service', name: 'blog (tag pr-9)' },
        plan: result.plan,
      }),
    ])
  })

  it('a project to build: reads it (Python parses the settings), generates the files, writes nothing', async () => {
    const workspace = await copyFixture('example-site', { cleanup: onTestFinished })
    const before = await snapshot(workspace)
    const { deps, commands, runnerTemp } = await bed({ runner: spawnRunner, workspace })
    // The example site keeps SQLite (refused without allow-sqlite: sqlite.test.ts).
    const result = await run(inputsOf({ 'dry-run': 'true', 'allow-sqlite': 'true' }), deps)
    expect(commands.length).toBeGreaterThan(0)
    expect(
      commands.every((command) => /^\S*python3? /.test(command)),
      commands.join('\n'),
    ).toBe(true)
    expect(await snapshot(workspace)).toEqual(before)
    expect(await readdir(runnerTemp)).toEqual([])
    expect(result.plan.files.map((file) => file.path).sort()).toEqual([
      '.dockerignore',
      '.gcloudignore',
      'Dockerfile',
      'examplesite/settings_deploy.py',
    ])
    expect(steps(result.plan.steps)).toContain(
      'gcloud builds submit <RUNNER_TEMP>/…/context --tag europe-west1-docker.pkg.dev/demo-proj/cloud-run-source-deploy/blog:abc123 --project demo-proj --suppress-logs --format json',
    )
    expect(result.plan.summary).toContainEqual(['Settings', 'examplesite.settings_deploy (production overlay)'])
  })

  it('settings that read variables nobody sets stop the plan, naming them, before any gcloud command', async () => {
    const workspace = await copyFixture('required-env', { cleanup: onTestFinished })
    const { deps, commands } = await bed({ runner: spawnRunner, workspace })
    const inputs = { 'dry-run': 'true', 'settings-module': 'config.settings.production', 'allow-sqlite': 'true' }
    const failure = run(inputsOf(inputs), deps)
    await expect(failure).rejects.toThrow(
      /REDIS_URL \(config\/settings\/production\.py:7.*DJANGO_ADMIN_URL \(config\/settings\/production\.py:14/,
    )
    await expect(failure).rejects.toMatchObject({ input: 'env-vars', hint: expect.stringContaining('the env-vars input') })
    expect(commands.every((command) => /^\S*python3? /.test(command))).toBe(true)
    const result = await run(
      inputsOf({ ...inputs, 'env-vars': 'REDIS_URL=redis://127.0.0.1:6379/0\nDJANGO_ADMIN_URL=staff/' }),
      deps,
    )
    expect(result.outcome).toBe('planned')
  })
})

describe('every outcome writes a job summary', () => {
  it("a fork's pull request without credentials: skipped, with the reason, before any program runs", async () => {
    const { deps, commands, summaries } = await bed({ pullRequest: 7, fork: true })
    const result = await run(inputsOf(), deps)
    expect(result.outcome).toBe('skipped')
    expect(commands).toEqual([])
    expect(summaries).toEqual([
      expect.objectContaining({ outcome: 'skipped', operation: 'deploy', reason: expect.stringContaining('comes from a fork') }),
    ])
    expect((deps.log as MemoryLogger).entries).toContainEqual(
      expect.objectContaining({
        level: 'notice',
        message: expect.stringMatching(/^Not deploying: Pull request #7 comes from a fork/),
      }),
    )
  })

  it('a closed fork pull request: skipped as a removal (there is nothing to remove)', async () => {
    const { deps, summaries } = await bed({ pullRequest: 7, fork: true, action: 'closed' })
    await run(inputsOf(), deps)
    expect(summaries).toEqual([expect.objectContaining({ outcome: 'skipped', operation: 'remove' })])
  })

  it('a refusal before any remote command (SQLite) still writes a failed summary with the reason', async () => {
    const workspace = await copyFixture('tutorial', { cleanup: onTestFinished })
    const { deps, summaries } = await bed({ runner: spawnRunner, workspace })
    await expect(run(inputsOf({}), deps)).rejects.toThrow(/SQLite/)
    expect(summaries).toEqual([
      expect.objectContaining({
        outcome: 'failed',
        reason: expect.stringContaining('SQLite'),
        target: { kind: 'service', name: 'blog' },
      }),
    ])
  })
})

/** Every file under `dir` with its content. */
async function snapshot(dir: string): Promise<Record<string, string>> {
  const files: Record<string, string> = {}
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue
    const path = join(entry.parentPath, entry.name)
    files[relative(dir, path)] = (await readFile(path)).toString('base64')
  }
  return files
}
