import { run } from './process.js'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

/** What the global setup hands over about the container parts (see testbed/prepare.sh). */
export type TestbedProvided =
  { available: true; indexUrl: string; wheelsDir: string; cacheDir: string } | { available: false; reason: string }

const PREPARE = join(fileURLToPath(new URL('.', import.meta.url)), 'testbed', 'prepare.sh')

/**
 * Run testbed/prepare.sh: build (once, cached) the wheel index and the python:3.X-slim stand-ins,
 * start dockerd and the index server if they are not running. Called by the global setup.
 */
export async function prepareTestbed(): Promise<TestbedProvided> {
  if (process.env.TEST_DOCKER === 'off') return { available: false, reason: 'TEST_DOCKER=off' }
  const repo = join(fileURLToPath(new URL('.', import.meta.url)), '..', '..')
  const cacheDir = process.env.TESTBED_CACHE ?? join(repo, '.cache', 'testbed')
  const port = process.env.TESTBED_INDEX_PORT ?? '3141'
  const indexUrl = `http://127.0.0.1:${port}/simple/`
  if (process.env.TESTBED_PREPARED === '1') {
    // Prepared beforehand (scripts/test.sh, or a CI step): only check that the index answers.
    const answer = await fetch(indexUrl).catch((error: unknown) => ({ ok: false, status: String(error) }))
    if (!answer.ok) {
      throw new Error(
        `test bed: TESTBED_PREPARED=1 but ${indexUrl} does not answer (${answer.status}); run bash ${PREPARE}, or unset TESTBED_PREPARED.`,
      )
    }
    return { available: true, indexUrl, wheelsDir: join(cacheDir, 'wheels'), cacheDir }
  }
  const result = await run('bash', [PREPARE], {
    env: { ...process.env, TESTBED_CACHE: cacheDir, TESTBED_INDEX_PORT: port },
    timeoutMs: 30 * 60_000,
  })
  if (result.exitCode !== 0) {
    throw new Error(
      `test bed: ${PREPARE} failed (exit ${result.exitCode}):\n${result.stderr.trim()}\n` +
        'Fix what it says, or set TEST_DOCKER=off to skip the Docker tests.',
    )
  }
  return { available: true, indexUrl, wheelsDir: join(cacheDir, 'wheels'), cacheDir }
}
