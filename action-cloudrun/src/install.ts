import { ActionError } from '@django-deploy/shared/errors'
import type { CommandRunner } from '@django-deploy/shared/runtime'
import type { Logger } from '@django-deploy/shared/runtime'
import { join } from 'node:path'

/**
 * gcloud: use the one on PATH when it is new enough (GitHub's Ubuntu runners have it), otherwise
 * install the pinned release into the runner's tool cache once and reuse it on later runs. The
 * SDK is large; downloading it on every run is the most common complaint about the official
 * action, so the PATH check comes first.
 */
export const PINNED_GCLOUD = '578.0.0'
/** Oldest gcloud with every flag we use (`run jobs deploy --execute-now --wait`, `--cpu-boost` GA, `--set-cloudsql-instances` on jobs). */
export const MINIMUM_GCLOUD = '470.0.0'

export interface ToolCache {
  find(tool: string, version: string): string
  downloadTool(url: string): Promise<string>
  extractTar(file: string): Promise<string>
  cacheDir(dir: string, tool: string, version: string): Promise<string>
}

export interface InstallDeps {
  runner: CommandRunner
  log: Logger
  toolCache: ToolCache
  /** Where the SDK comes from; `{version}`, `{platform}` and `{arch}` are filled in. */
  downloadUrl?: string
  platform?: NodeJS.Platform
  arch?: string
  env: Record<string, string | undefined>
}

export interface GcloudInstall {
  /** The executable to run. */
  command: string
  version: string
  source: 'path' | 'tool-cache' | 'download'
}

export const DEFAULT_DOWNLOAD_URL =
  'https://dl.google.com/dl/cloudsdk/channels/rapid/downloads/google-cloud-sdk-{version}-{platform}-{arch}.tar.gz'

export function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number)
  const pb = b.split('.').map(Number)
  for (let i = 0; i < 3; i++) {
    const diff = (pa[i] ?? 0) - (pb[i] ?? 0)
    if (diff !== 0) return diff
  }
  return 0
}

/** The version `gcloud version --format json` reports, or undefined when gcloud cannot run. */
export async function gcloudVersion(
  runner: CommandRunner,
  command: string,
  env: Record<string, string | undefined>,
): Promise<string | undefined> {
  try {
    const result = await runner.run(command, ['version', '--format', 'json'], { env, timeoutMs: 60_000 })
    if (result.exitCode !== 0) return undefined
    const version = (JSON.parse(result.stdout) as Record<string, unknown>)['Google Cloud SDK']
    return typeof version === 'string' && /^\d+\.\d+\.\d+$/.test(version) ? version : undefined
  } catch {
    return undefined // not installed (ENOENT) or not gcloud
  }
}

export async function ensureGcloud(wanted: string | undefined, deps: InstallDeps): Promise<GcloudInstall> {
  const onPath = await gcloudVersion(deps.runner, 'gcloud', deps.env)
  if (onPath !== undefined && (wanted === undefined ? compareVersions(onPath, MINIMUM_GCLOUD) >= 0 : onPath === wanted)) {
    deps.log.info(`Using gcloud ${onPath} from PATH.`)
    return { command: 'gcloud', version: onPath, source: 'path' }
  }
  const version = wanted ?? PINNED_GCLOUD
  if (onPath !== undefined)
    deps.log.info(
      `gcloud on PATH is ${onPath}; ${wanted ? `gcloud-version asks for ${wanted}` : `${MINIMUM_GCLOUD} or newer is needed`}.`,
    )
  const cached = deps.toolCache.find('gcloud', version)
  if (cached) {
    deps.log.info(`Using gcloud ${version} from the tool cache.`)
    return { command: join(cached, 'bin', 'gcloud'), version, source: 'tool-cache' }
  }
  const url = (deps.downloadUrl ?? DEFAULT_DOWNLOAD_URL)
    .replace('{version}', version)
    .replace('{platform}', (deps.platform ?? process.platform) === 'darwin' ? 'darwin' : 'linux')
    .replace('{arch}', (deps.arch ?? process.arch) === 'arm64' ? 'arm' : 'x86_64')
  deps.log.info(`Installing gcloud ${version} from ${url} into the tool cache.`)
  let root: string
  try {
    const archive = await deps.toolCache.downloadTool(url)
    const extracted = await deps.toolCache.extractTar(archive)
    root = await deps.toolCache.cacheDir(join(extracted, 'google-cloud-sdk'), 'gcloud', version)
  } catch (error) {
    throw new ActionError(`Could not install gcloud ${version}: ${(error as Error).message}`, {
      input: 'gcloud-version',
      hint: 'Check that the version exists (https://cloud.google.com/sdk/docs/release-notes), or install gcloud before this step (google-github-actions/setup-gcloud).',
      cause: error,
    })
  }
  const command = join(root, 'bin', 'gcloud')
  const installed = await gcloudVersion(deps.runner, command, deps.env)
  if (installed !== version) {
    throw new ActionError(
      `The gcloud installed from ${url} reports version ${installed ?? '(none: it does not run)'}, expected ${version}.`,
      { input: 'gcloud-version' },
    )
  }
  return { command, version, source: 'download' }
}
