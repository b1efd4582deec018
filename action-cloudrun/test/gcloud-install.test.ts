import { describe, expect, it } from 'vitest'
import { ActionError } from '@django-deploy/shared/errors'
import type { CommandResult, CommandRunner } from '@django-deploy/shared/runtime'
import { MemoryLogger } from '@django-deploy/shared/runtime'
import { Gcloud, GcloudError, gcloudMessage, hintFor } from '../src/gcloud.js'
import { compareVersions, ensureGcloud, MINIMUM_GCLOUD, PINNED_GCLOUD, type ToolCache } from '../src/install.js'

/** A runner answering by executable: `versions[command]` is what `gcloud version` reports there (undefined: not installed). */
function versionRunner(versions: Record<string, string | undefined>) {
  const calls: string[] = []
  const runner: CommandRunner = {
    async run(command, args) {
      calls.push(`${command} ${args.join(' ')}`)
      const version = versions[command]
      if (version === undefined) throw Object.assign(new Error(`spawn ${command} ENOENT`), { code: 'ENOENT' })
      return { exitCode: 0, stdout: JSON.stringify({ 'Google Cloud SDK': version, core: '2026.01.01' }), stderr: '' }
    },
  }
  return { runner, calls }
}

function toolCache(cached: Record<string, string> = {}, failDownload = false) {
  const events: string[] = []
  const cache: ToolCache = {
    find: (tool, version) => cached[`${tool}@${version}`] ?? '',
    downloadTool: async (url) => {
      events.push(`download ${url}`)
      if (failDownload) throw new Error('Unexpected HTTP response: 404')
      return '/tmp/sdk.tar.gz'
    },
    extractTar: async (file) => (events.push(`extract ${file}`), '/tmp/extracted'),
    cacheDir: async (dir, tool, version) => (events.push(`cache ${dir} as ${tool}@${version}`), `/cache/${tool}/${version}`),
  }
  return { cache, events }
}

describe('ensureGcloud', () => {
  it('uses a new-enough gcloud on PATH and downloads nothing', async () => {
    const { runner } = versionRunner({ gcloud: '550.0.0' })
    const { cache, events } = toolCache()
    expect(await ensureGcloud(undefined, { runner, log: new MemoryLogger(), toolCache: cache, env: {} })).toEqual({
      command: 'gcloud',
      version: '550.0.0',
      source: 'path',
    })
    expect(events).toEqual([])
  })

  it('an old gcloud on PATH: the pinned release from the tool cache', async () => {
    const { runner } = versionRunner({ gcloud: '400.0.0' })
    const { cache, events } = toolCache({ [`gcloud@${PINNED_GCLOUD}`]: '/cache/gcloud/578.0.0/x64' })
    expect(await ensureGcloud(undefined, { runner, log: new MemoryLogger(), toolCache: cache, env: {} })).toEqual({
      command: '/cache/gcloud/578.0.0/x64/bin/gcloud',
      version: PINNED_GCLOUD,
      source: 'tool-cache',
    })
    expect(events).toEqual([])
  })

  it('gcloud-version asks for an exact release: PATH must match it, else it is downloaded for this platform and cached', async () => {
    const { runner } = versionRunner({ gcloud: '578.0.0', '/cache/gcloud/560.0.0/bin/gcloud': '560.0.0' })
    const { cache, events } = toolCache()
    const installed = await ensureGcloud('560.0.0', {
      runner,
      log: new MemoryLogger(),
      toolCache: cache,
      env: {},
      platform: 'darwin',
      arch: 'arm64',
    })
    expect(installed).toEqual({ command: '/cache/gcloud/560.0.0/bin/gcloud', version: '560.0.0', source: 'download' })
    expect(events).toEqual([
      'download https://dl.google.com/dl/cloudsdk/channels/rapid/downloads/google-cloud-sdk-560.0.0-darwin-arm.tar.gz',
      'extract /tmp/sdk.tar.gz',
      'cache /tmp/extracted/google-cloud-sdk as gcloud@560.0.0',
    ])
  })

  it('no gcloud at all on linux x64: the pinned release', async () => {
    const { runner } = versionRunner({ [`/cache/gcloud/${PINNED_GCLOUD}/bin/gcloud`]: PINNED_GCLOUD })
    const { cache, events } = toolCache()
    expect(
      (
        await ensureGcloud(undefined, {
          runner,
          log: new MemoryLogger(),
          toolCache: cache,
          env: {},
          platform: 'linux',
          arch: 'x64',
        })
      ).source,
    ).toBe('download')
    expect(events[0]).toBe(
      `download https://dl.google.com/dl/cloudsdk/channels/rapid/downloads/google-cloud-sdk-${PINNED_GCLOUD}-linux-x86_64.tar.gz`,
    )
  })

  it('a failed download names gcloud-version and says what to do', async () => {
    const { runner } = versionRunner({})
    const { cache } = toolCache({}, true)
    const error = await ensureGcloud('999.0.0', { runner, log: new MemoryLogger(), toolCache: cache, env: {} }).catch(
      (caught: unknown) => caught,
    )
    expect(error).toBeInstanceOf(ActionError)
    expect(error).toMatchObject({
      input: 'gcloud-version',
      message: 'Could not install gcloud 999.0.0: Unexpected HTTP response: 404',
    })
    expect((error as ActionError).hint).toContain('release-notes')
  })

  it('an archive that is not the version it claims is refused', async () => {
    const { runner } = versionRunner({ [`/cache/gcloud/${PINNED_GCLOUD}/bin/gcloud`]: '500.0.0' })
    const { cache } = toolCache()
    await expect(ensureGcloud(undefined, { runner, log: new MemoryLogger(), toolCache: cache, env: {} })).rejects.toThrow(
      `reports version 500.0.0, expected ${PINNED_GCLOUD}`,
    )
  })

  it('compares versions numerically', () => {
    expect(compareVersions('578.0.0', MINIMUM_GCLOUD)).toBeGreaterThan(0)
    expect(compareVersions('99.0.0', '470.0.0')).toBeLessThan(0)
    expect(compareVersions('470.0.1', '470.0.0')).toBeGreaterThan(0)
    expect(compareVersions('470.0.0', '470.0.0')).toBe(0)
  })
})

describe('gcloud errors', () => {
  const DENIED = [
    'Deploying container to Cloud Run service [blog] in project [demo-proj] region [europe-west1]',
    "ERROR: (gcloud.run.deploy) PERMISSION_DENIED: Permission 'run.services.get' denied on resource 'namespaces/demo-proj/services/blog' (or resource may not exist).",
    'This command is authenticated as deployer@demo-proj.iam.gserviceaccount.com.',
  ].join('\n')

  it('keeps gcloud’s own message, without the command prefix', () => {
    expect(gcloudMessage(DENIED)).toBe(
      "PERMISSION_DENIED: Permission 'run.services.get' denied on resource 'namespaces/demo-proj/services/blog' (or resource may not exist).\nThis command is authenticated as deployer@demo-proj.iam.gserviceaccount.com.",
    )
    expect(gcloudMessage('one\ntwo\nthree\nfour\n')).toBe('two\nthree\nfour')
  })

  it('hints at the role for a missing permission, the APIs, credentials and IAM policy', () => {
    expect(hintFor(DENIED)).toBe(
      'The deploying account lacks run.services.get. Grant it roles/run.admin (and roles/iam.serviceAccountUser on the runtime service account) on the project.',
    )
    expect(hintFor("Permission 'cloudbuild.builds.create' denied")).toContain('roles/cloudbuild.builds.editor')
    expect(hintFor("Permission 'artifactregistry.repositories.create' denied")).toContain('roles/artifactregistry.admin')
    expect(hintFor('ERROR: (gcloud.run.deploy) You do not currently have an active account selected.')).toContain(
      'credentials-json',
    )
    expect(hintFor('Cloud Run Admin API has not been used in project 123 before or it is disabled.')).toContain(
      'gcloud services enable run.googleapis.com',
    )
    expect(hintFor('Setting IAM policy failed: run.services.setIamPolicy')).toContain('allow-unauthenticated: false')
    expect(hintFor('something else')).toBeUndefined()
  })

  it('Gcloud.run throws a GcloudError with the hint; Gcloud.json refuses output that is not JSON', async () => {
    const answers: CommandResult[] = [
      { exitCode: 1, stdout: '', stderr: DENIED },
      { exitCode: 0, stdout: 'Service URL: https://x', stderr: '' },
    ]
    const seen: Array<{ command: string; args: readonly string[]; env?: Record<string, string | undefined> }> = []
    const runner: CommandRunner = {
      async run(command, args, options) {
        seen.push({ command, args, env: options?.env })
        return answers.shift() as CommandResult
      },
    }
    const gcloud = new Gcloud(runner, new MemoryLogger(), '/opt/gcloud/bin/gcloud', { CLOUDSDK_CORE_DISABLE_PROMPTS: '1' })
    const error = await gcloud.run(['run', 'services', 'describe', 'blog']).catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(GcloudError)
    expect(error).toMatchObject({
      message: expect.stringMatching(/^gcloud run services describe failed: PERMISSION_DENIED/),
      hint: expect.stringContaining('roles/run.admin'),
      exitCode: 1,
    })
    await expect(gcloud.json(['run', 'deploy', 'blog'])).rejects.toThrow(
      'gcloud run deploy blog printed output that is not JSON: Service URL: https://x',
    )
    expect(seen.map((call) => call.command)).toEqual(['/opt/gcloud/bin/gcloud', '/opt/gcloud/bin/gcloud'])
    expect(seen[0]?.env).toEqual({ CLOUDSDK_CORE_DISABLE_PROMPTS: '1' })
  })
})
