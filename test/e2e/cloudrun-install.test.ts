import { chmod, mkdir, writeFile } from 'node:fs/promises'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { dirname, join } from 'node:path'
import { spawnRunner } from '@django-deploy/shared/runtime'
import { MemoryLogger } from '@django-deploy/shared/runtime'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ensureGcloud, type ToolCache } from '../../action-cloudrun/src/install.js'
import { STANDIN_BIN } from '../standins/gcloud/index.js'
import { emptyState, saveState } from '../standins/gcloud/state.js'
import { makeTempDir, mustSucceed, run } from '../support/index.js'

/**
 * The gcloud install path with the real @actions/tool-cache: an old gcloud on PATH is not used,
 * the pinned SDK is downloaded from a local HTTP server (a tarball made here: a fake SDK tree whose
 * bin/gcloud is the stand-in), extracted and cached; the next run finds it in the tool cache
 * without downloading, and a new-enough gcloud on PATH is used as it is.
 */
let dir: string
let server: ReturnType<typeof createServer>
let baseUrl: string
const requests: string[] = []
let toolCache: ToolCache
/** The stand-in is a Node program: node must stay on PATH. */
const SYSTEM_PATH = `${dirname(process.execPath)}:/usr/bin:/bin`

/** A directory with a `gcloud` that is the stand-in reporting `version`. */
async function fakeGcloud(where: string, version: string): Promise<string> {
  const state = join(where, 'state')
  const sdk = emptyState()
  sdk.sdkVersion = version
  saveState(state, sdk)
  await mkdir(join(where, 'bin'), { recursive: true })
  const script = join(where, 'bin', 'gcloud')
  await writeFile(script, `#!/bin/sh\nGCLOUD_STANDIN_STATE='${state}' exec '${join(STANDIN_BIN, 'gcloud')}' "$@"\n`)
  await chmod(script, 0o755)
  return join(where, 'bin')
}

beforeAll(async () => {
  dir = await makeTempDir('cloudrun-install-')
  // The SDK tarball as Google ships it: one top-level google-cloud-sdk/ folder with bin/gcloud.
  const tree = join(dir, 'sdk-tree')
  await fakeGcloud(join(tree, 'google-cloud-sdk'), '578.0.0')
  mustSucceed(await run('tar', ['-czf', join(dir, 'sdk.tar.gz'), '-C', tree, 'google-cloud-sdk']), 'tar')
  const { readFile } = await import('node:fs/promises')
  const tarball = await readFile(join(dir, 'sdk.tar.gz'))
  server = createServer((req, res) => {
    requests.push(req.url ?? '')
    if (req.url === '/google-cloud-sdk-578.0.0-linux-x86_64.tar.gz')
      res.writeHead(200, { 'content-type': 'application/gzip' }).end(tarball)
    else res.writeHead(404).end('not found')
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  // @actions/tool-cache reads these when it works, not when it is imported.
  process.env.RUNNER_TOOL_CACHE = join(dir, 'tool-cache')
  process.env.RUNNER_TEMP = join(dir, 'runner-temp')
  const tc = await import('@actions/tool-cache')
  toolCache = {
    find: tc.find,
    downloadTool: (url) => tc.downloadTool(url),
    extractTar: (file) => tc.extractTar(file),
    cacheDir: tc.cacheDir,
  }
})

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()))
})

describe('gcloud install', () => {
  it('downloads the pinned SDK into the tool cache when PATH has an old gcloud, then reuses the cache', async () => {
    const oldBin = await fakeGcloud(join(dir, 'old'), '400.0.0')
    const env = { PATH: `${oldBin}:${SYSTEM_PATH}` }
    const log = new MemoryLogger()
    const deps = {
      runner: spawnRunner,
      log,
      toolCache,
      env,
      downloadUrl: `${baseUrl}/google-cloud-sdk-{version}-{platform}-{arch}.tar.gz`,
      platform: 'linux' as const,
      arch: 'x64',
    }
    const first = await ensureGcloud(undefined, deps)
    expect(first).toEqual({
      command: join(dir, 'tool-cache', 'gcloud', '578.0.0', 'x64', 'bin', 'gcloud'),
      version: '578.0.0',
      source: 'download',
    })
    expect(requests).toEqual(['/google-cloud-sdk-578.0.0-linux-x86_64.tar.gz'])
    expect(log.text()).toContain('gcloud on PATH is 400.0.0')
    const version = await spawnRunner.run(first.command, ['version', '--format', 'json'], { env })
    expect(JSON.parse(version.stdout)['Google Cloud SDK']).toBe('578.0.0')

    const second = await ensureGcloud(undefined, deps)
    expect(second).toEqual({ ...first, source: 'tool-cache' })
    expect(requests).toHaveLength(1)
  })

  it('uses a new-enough gcloud on PATH without downloading', async () => {
    const bin = await fakeGcloud(join(dir, 'new'), '580.0.0')
    const result = await ensureGcloud(undefined, {
      runner: spawnRunner,
      log: new MemoryLogger(),
      toolCache,
      env: { PATH: `${bin}:${SYSTEM_PATH}` },
      downloadUrl: `${baseUrl}/{version}`,
    })
    expect(result).toEqual({ command: 'gcloud', version: '580.0.0', source: 'path' })
  })

  it('a version that cannot be downloaded fails naming gcloud-version', async () => {
    const error = await ensureGcloud('1.2.3', {
      runner: spawnRunner,
      log: new MemoryLogger(),
      toolCache,
      env: { PATH: SYSTEM_PATH },
      downloadUrl: `${baseUrl}/sdk-{version}.tar.gz`,
    }).catch((e: unknown) => e)
    expect(error).toMatchObject({ input: 'gcloud-version' })
    expect((error as Error).message).toMatch(/^Could not install gcloud 1\.2\.3: /)
  })
})
