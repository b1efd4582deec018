import { spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { inject } from 'vitest'
import type { TestbedProvided } from './provided.js'

const PREPARE = new URL('./testbed/prepare.sh', import.meta.url).pathname
const BUILD_WHEELS = new URL('./testbed/build-wheels.py', import.meta.url).pathname

/**
 * Global setup: make dockerd, the python:3.X-slim stand-ins and the package index ready
 * (test/support/testbed/prepare.sh; a no-op when they are). TEST_DOCKER=off skips it, and the
 * tests that need it then fail, saying so.
 */
export async function prepareTestbed(): Promise<TestbedProvided> {
  if (process.env.TEST_DOCKER === 'off') return { available: false, reason: 'TEST_DOCKER=off' }
  // From a bare machine the first prepare takes ≈ 15 min (debootstrap, wheels); it prints progress.
  const result = spawnSync('bash', [PREPARE], {
    stdio: ['ignore', 'inherit', 'pipe'],
    encoding: 'utf8',
    timeout: 45 * 60_000,
  })
  if (result.error) throw new Error(`test bed: ${PREPARE} did not finish: ${result.error.message}\n${result.stderr}`)
  if (result.status !== 0) throw new Error(`test bed: ${PREPARE} failed (exit ${result.status}):\n${result.stderr}`)
  const port = process.env.TESTBED_INDEX_PORT ?? '3141'
  // prepare.sh keeps one index per version of build-wheels.py, under index-<key of its content>.
  const key = createHash('sha256').update(readFileSync(BUILD_WHEELS)).digest('hex').slice(0, 16)
  return { available: true, indexUrl: `http://127.0.0.1:${port}/index-${key}/simple/` }
}

/** The package index of this machine's test bed (PEP 503, wheels repacked from Debian). */
export function packageIndex(): { url: string } {
  const testbed = inject('testbed')
  if (!testbed.available) throw new Error(`The container test bed is not available here (${testbed.reason}).`)
  return { url: testbed.indexUrl }
}
