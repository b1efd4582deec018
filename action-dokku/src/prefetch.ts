import type { Logger } from '@django-deploy/shared/runtime'
import type { CommandRunner } from '@django-deploy/shared/runtime'
import { fetchCommit, gitDirOf, type FetchResult, type GitContext } from './deliver/push.js'
import type { DokkuInputs } from './inputs.js'
import type { Target } from './plan.js'
import type { SshSession } from './ssh/connection.js'
import { startGitBridge, type GitBridge } from './ssh/git-bridge.js'

/**
 * The git side of a deploy, started early: the bridge, the repository's git directory, and the
 * fetch of the commit the app runs (as soon as the branch listing names it).
 */ export interface Prefetch {
  git: GitContext
  bridge: GitBridge
  gitDir: Promise<string | undefined>
  /** Called with the app's branches while the state is read: fetch now when the deploy branch is clear. */
  early(branches: Map<string, string>): Map<string, string>
  fetch(sha: string): Promise<FetchResult | undefined>
  close(): Promise<void>
}

export async function startPrefetch(
  session: SshSession,
  target: Target,
  inputs: DokkuInputs,
  deps: { runner: CommandRunner; log: Logger; env: Record<string, string | undefined> },
  repoRoot: string,
): Promise<Prefetch> {
  const bridge = await startGitBridge({
    session,
    allow: (command) => command === `git-receive-pack '/${target.app}'` || command === `git-upload-pack '/${target.app}'`,
    tempDir: deps.env.RUNNER_TEMP,
  })
  const host = inputs.target.host.includes(':') ? `[${inputs.target.host}]` : inputs.target.host
  const git: GitContext = {
    runner: deps.runner,
    log: deps.log,
    bridge,
    remoteUrl: `ssh://${inputs.target.user}@${host}:${inputs.target.port}/${target.app}`,
  }
  const gitDir = gitDirOf(deps.runner, repoRoot)
  const fetches = new Map<string, Promise<FetchResult | undefined>>()
  const fetch = (sha: string) => {
    let pending = fetches.get(sha)
    if (!pending) {
      pending = gitDir.then((dir) => (dir ? fetchCommit(git, dir, sha) : undefined))
      pending.catch(() => undefined)
      fetches.set(sha, pending)
    }
    return pending
  }
  return {
    git,
    bridge,
    gitDir,
    fetch,
    early(branches) {
      // With one branch (the usual case) or a branch input, the commit to chain onto is already known.
      const sha = inputs.branch ? branches.get(inputs.branch) : branches.size === 1 ? [...branches.values()][0] : undefined
      if (sha) void fetch(sha)
      return branches
    },
    async close() {
      for (const pending of fetches.values()) (await pending.catch(() => undefined))?.restore()
      await bridge.close()
    },
  }
}
