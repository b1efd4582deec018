import { spawn } from 'node:child_process'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { fixtureRepo, git, makeTempDir, run } from '../support/index.js'
import { startDokkuStandin, type DokkuStandin } from '../standins/dokku/standin.js'
import type { GeneratedKey } from '../../action-dokku/test/keys.js'
import { authorizedKey, baseInputs } from './dokku-support.js'

/**
 * The committed bundle, run the way the GitHub runner runs it: `node dist/index.js` with INPUT_*
 * variables, GITHUB_OUTPUT / GITHUB_STEP_SUMMARY / GITHUB_STATE files, then `node dist/post/index.js`
 * with the saved state after a cancel.
 */
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')
const MAIN = path.join(ROOT, 'action-dokku', 'dist', 'index.js')
const POST = path.join(ROOT, 'action-dokku', 'dist', 'post', 'index.js')
const cleanups: Array<() => Promise<void> | void> = []
let dokku: DokkuStandin
let key: GeneratedKey

beforeAll(async () => {
  dokku = await startDokkuStandin({ cleanup: (fn) => cleanups.push(fn) })
  key = await authorizedKey(dokku)
})

afterAll(async () => {
  for (const fn of cleanups.reverse()) await fn()
})

interface RunnerFiles {
  dir: string
  output: string
  summary: string
  state: string
  env: NodeJS.ProcessEnv
}

async function runnerFiles(repoDir: string, inputs: Record<string, string>): Promise<RunnerFiles> {
  const dir = await makeTempDir('runner-')
  const files = { output: path.join(dir, 'output'), summary: path.join(dir, 'summary.md'), state: path.join(dir, 'state') }
  for (const file of Object.values(files)) writeFileSync(file, '')
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: dir,
    GITHUB_ACTIONS: 'true',
    GITHUB_WORKSPACE: repoDir,
    RUNNER_TEMP: dir,
    GITHUB_OUTPUT: files.output,
    GITHUB_STEP_SUMMARY: files.summary,
    GITHUB_STATE: files.state,
    GITHUB_REPOSITORY: 'octo/site',
    GITHUB_EVENT_NAME: 'push',
    GITHUB_EVENT_PATH: path.join(dir, 'event.json'),
    GITHUB_SHA: 'c'.repeat(40),
    GITHUB_REF: 'refs/heads/main',
    GITHUB_RUN_ID: '42',
    GITHUB_SERVER_URL: 'https://github.com',
  }
  writeFileSync(
    env.GITHUB_EVENT_PATH as string,
    JSON.stringify({ repository: { full_name: 'octo/site', default_branch: 'main' } }),
  )
  for (const [name, value] of Object.entries(inputs)) env[`INPUT_${name.toUpperCase()}`] = value
  return { dir, ...files, env }
}

/** The `name<<delimiter` records of GITHUB_OUTPUT / GITHUB_STATE files. */
function records(file: string): Record<string, string> {
  const result: Record<string, string> = {}
  const lines = readFileSync(file, 'utf8').split('\n')
  for (let i = 0; i < lines.length; i++) {
    const match = /^([^<]+)<<(.+)$/.exec(lines[i] ?? '')
    if (!match?.[1] || !match[2]) continue
    const value: string[] = []
    while (++i < lines.length && lines[i] !== match[2]) value.push(lines[i] ?? '')
    result[match[1]] = value.join('\n')
  }
  return result
}

describe('node dist/index.js, as GitHub runs it', () => {
  it('deploys, writes outputs and the job summary, and masks the key', async () => {
    const repo = await fixtureRepo('flat')
    const files = await runnerFiles(repo.dir, { ...baseInputs(dokku, key, 'bundled'), 'review-app': 'false' })
    const result = await run(process.execPath, [MAIN], { env: files.env, timeoutMs: 240_000 })
    expect(result.exitCode, `${result.stdout}\n${result.stderr}`).toBe(0)
    const outputs = records(files.output)
    expect(outputs).toMatchObject({ app: 'bundled', url: dokku.url('bundled'), 'deployed-sha': repo.head })
    expect(JSON.parse(outputs.urls ?? '[]')).toEqual([dokku.url('bundled')])
    expect((await fetch(`${dokku.url('bundled')}/`)).status).toBe(200)
    const summary = readFileSync(files.summary, 'utf8')
    expect(summary).toContain('## Deployed bundled to')
    expect(summary).toContain('### Time')
    // The runner masks what ::add-mask:: registered: every line of the key was registered.
    for (const line of key.privateKey.split('\n').filter((text) => text.length > 20))
      expect(result.stdout).toContain(`::add-mask::${line}`)
    expect(result.stdout).toContain('::group::git push → bundled (master)')
    expect(result.stdout).toContain('=====> Application deployed:')
    // The push finished: nothing left for the post step to unlock.
    expect(records(files.state)['dokku-deploying-app']).toBe('')
  })

  it('a cancelled deploy is unlocked by the post step', async () => {
    const repo = await fixtureRepo('flat')
    // A release task that takes long enough to cancel during it.
    writeFileSync(path.join(repo.dir, 'Procfile'), 'release: sleep 30\nweb: gunicorn mysite.wsgi --access-logfile -\n')
    await git(repo.dir, ['add', '-A'])
    await git(repo.dir, ['commit', '-q', '-m', 'slow release'])
    const files = await runnerFiles(repo.dir, { ...baseInputs(dokku, key, 'cancelled'), 'review-app': 'false' })
    const child = spawn(process.execPath, [MAIN], { env: files.env, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8')
    })
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
    const lock = path.join(dokku.root, 'lib', 'data', 'apps', 'cancelled', '.deploy.lock')
    for (let i = 0; i < 600 && !(stdout.includes('Checking for release task') && existsSync(lock)); i++)
      await new Promise((resolve) => setTimeout(resolve, 100))
    expect(existsSync(lock), stdout).toBe(true)
    child.kill('SIGTERM') // what the runner does on cancel
    const code = await exited
    expect(code).not.toBe(0)
    const state = records(files.state)
    expect(state['dokku-deploying-app']).toBe('cancelled')

    const post = await run(process.execPath, [POST], {
      env: { ...files.env, 'STATE_dokku-deploying-app': state['dokku-deploying-app'] },
      timeoutMs: 60_000,
    })
    expect(post.exitCode, post.stdout).toBe(0)
    expect(post.stdout).toMatch(/Killing app deploy|Build was already terminated|Deploy lock of cancelled removed/)
    expect(existsSync(lock)).toBe(false)
    // Without saved state the post step has nothing to do.
    const idle = await run(process.execPath, [POST], { env: files.env, timeoutMs: 60_000 })
    expect(idle.stdout).toContain('nothing to unlock')
  })
})
