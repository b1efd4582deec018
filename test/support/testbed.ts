import { inject } from 'vitest'
export type { TestbedProvided } from './testbed-prepare.js'

/**
 * The run's PEP 503 index of wheels repacked from Debian (`pip install --index-url <url> …`), and
 * the folder that holds the wheels. Throws, saying why, when the global setup skipped it.
 */
export function packageIndex(): { url: string; wheelsDir: string } {
  const testbed = inject('testbed')
  if (!testbed.available) throw new Error(`the test bed's package index is not available: ${testbed.reason}`)
  return { url: testbed.indexUrl, wheelsDir: testbed.wheelsDir }
}

/** Whether Docker and the python:3.X-slim stand-ins are ready (for `describe.skipIf`). */
export function dockerAvailable(): boolean {
  return inject('testbed').available
}
