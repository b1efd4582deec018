import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/**
 * Scratch space for temporary index files and snapshot repositories. On a runner RUNNER_TEMP is
 * emptied after every job, so anything we fail to clean up cannot leak into the next one.
 */
export function defaultTempRoot(): string {
  return process.env.RUNNER_TEMP || tmpdir()
}

export async function makeTempDir(root: string | undefined, label: string): Promise<string> {
  return mkdtemp(join(root ?? defaultTempRoot(), `django-deploy-${label}-`))
}

export async function withTempDir<T>(root: string | undefined, label: string, fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await makeTempDir(root, label)
  try {
    return await fn(dir)
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}
