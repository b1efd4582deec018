import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { assembleArtifact, type Artifact, type ArtifactFile } from '@django-deploy/shared/artifact'
import type { CommandRunner } from '@django-deploy/shared/runtime'
import type { Logger } from '@django-deploy/shared/runtime'
import { cleanLine } from '../dokku/output.js'
import type { GitBridge } from '../ssh/git-bridge.js'
import { parsePush, type PushOutcome } from './outcome.js'

/**
 * Code delivery: the deploy commit is "the repository at HEAD (or working-directory) plus the
 * generated files" (shared/artifact), chained onto the commit the app already runs, so:
 * - a shallow checkout works (only HEAD's tree is read; the new commit's only parent is Dokku's);
 * - the push is a fast-forward and git sends only objects the server lacks (a one-file change
 *   sends one blob and a few trees);
 * - the same code again is the same tree: the artifact *is* the deployed commit, "Everything
 *   up-to-date", nothing rebuilt.
 * The user's branch, index, refs and working tree are never touched. Fetching the deployed commit
 * with --depth=1 adds a shallow boundary to .git/shallow; that file is put back afterwards, so a
 * full clone does not turn shallow behind the user's back.
 */
export interface GitContext {
  runner: CommandRunner
  log: Logger
  bridge: GitBridge
  /** `ssh://user@host:port/app`: what git prints; the transport ignores host and port. */
  remoteUrl: string
}

/** Variables that would point git somewhere else, plus no prompts and English messages. */
function gitEnv(bridge: GitBridge): Record<string, string | undefined> {
  return {
    ...bridge.env,
    GIT_DIR: undefined,
    GIT_WORK_TREE: undefined,
    GIT_INDEX_FILE: undefined,
    GIT_OBJECT_DIRECTORY: undefined,
    GIT_ALTERNATE_OBJECT_DIRECTORIES: undefined,
    GIT_TERMINAL_PROMPT: '0',
    GIT_ASKPASS: undefined,
    SSH_ASKPASS: undefined,
    LC_ALL: 'C',
  }
}

/** The repository's git directory, or undefined when the folder is not in a git repository. */
export async function gitDirOf(runner: CommandRunner, repoRoot: string): Promise<string | undefined> {
  const result = await runner.run('git', ['-C', repoRoot, 'rev-parse', '--absolute-git-dir'], {
    env: { GIT_DIR: undefined, LC_ALL: 'C' },
  })
  return result.exitCode === 0 ? result.stdout.trim() : undefined
}

export interface FetchResult {
  fetched: boolean
  /** Call after the push: puts .git/shallow back the way it was. */
  restore: () => void
}

/** Bring the deployed commit (and only it: --depth=1) into the local object store. */
export async function fetchCommit(context: GitContext, gitDir: string, sha: string): Promise<FetchResult> {
  const have = await context.runner.run('git', ['--git-dir', gitDir, 'cat-file', '-e', `${sha}^{commit}`], {
    env: gitEnv(context.bridge),
  })
  if (have.exitCode === 0) return { fetched: true, restore: () => undefined }
  const shallowFile = path.join(gitDir, 'shallow')
  const before = existsSync(shallowFile) ? readFileSync(shallowFile) : undefined
  const restore = () => {
    if (before === undefined) rmSync(shallowFile, { force: true })
    else writeFileSync(shallowFile, before)
  }
  const result = await context.runner.run(
    'git',
    [
      '--git-dir',
      gitDir,
      'fetch',
      '--quiet',
      '--depth=1',
      '--no-tags',
      '--no-write-fetch-head',
      '--no-recurse-submodules',
      context.remoteUrl,
      sha,
    ],
    { env: gitEnv(context.bridge) },
  )
  if (result.exitCode !== 0) {
    restore()
    context.log.warning(
      `Could not fetch the deployed commit ${sha.slice(0, 7)}: ${cleanLine(result.stderr).slice(0, 300)}. The new commit is not chained onto it, so the push sends everything and needs force.`,
    )
    return { fetched: false, restore: () => undefined }
  }
  return { fetched: true, restore }
}

export interface AssembleRequest {
  repoRoot: string
  workingDirectory: string
  files: ArtifactFile[]
  runner: CommandRunner
  parent?: string
  message?: string
}

export function buildArtifact(request: AssembleRequest): Promise<Artifact> {
  return assembleArtifact({
    repoRoot: request.repoRoot,
    subdirectory: request.workingDirectory || undefined,
    files: request.files,
    runner: request.runner,
    parent: request.parent,
    message: request.message,
  })
}

export interface PushRequest {
  artifact: Artifact
  branch: string
  force: boolean
  timeoutMs: number
  /** Each relayed line, as it arrives (the build log). */
  onLine?: (line: string) => void
}

export async function pushArtifact(context: GitContext, request: PushRequest): Promise<PushOutcome> {
  const refspec = `${request.force ? '+' : ''}${request.artifact.commit}:refs/heads/${request.branch}`
  let pending = ''
  const onStderr = (chunk: string) => {
    pending += chunk
    const parts = pending.split(/\r?\n|\r/)
    pending = parts.pop() ?? ''
    for (const part of parts) {
      const line = cleanLine(part)
      if (line !== '' && line !== 'remote:') request.onLine?.(line)
    }
  }
  // --no-verify: the user's own pre-push hooks are not ours to run; --porcelain: one parseable line per ref.
  const result = await context.runner.run(
    'git',
    ['--git-dir', request.artifact.gitDir, 'push', '--porcelain', '--no-verify', context.remoteUrl, refspec],
    {
      env: gitEnv(context.bridge),
      timeoutMs: request.timeoutMs,
      onStderr,
    },
  )
  if (pending.trim() !== '') request.onLine?.(cleanLine(pending))
  return parsePush(result.exitCode, result.stdout, result.stderr)
}
