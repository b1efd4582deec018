import { realpath, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { ActionError } from '../errors.js'
import type { CommandRunner } from '../runtime/command.js'
import { Git, GitError, gitEnvironment } from './git.js'
import { makeTempDir } from './temp.js'

/** Where the deployed files come from, found once and then passed around as data. */
export interface Repository {
  git: Git
  /** The working tree's root (for a non-git directory: that directory). */
  topLevel: string
  /** `repoRoot` relative to `topLevel`: '' or 'a/b'. Lets callers pass a folder inside a repository. */
  prefix: string
  /** HEAD's commit, or null for a repository without commits or a directory without git. */
  head: string | null
  shallow: boolean
  /** True when `repoRoot` is not a git repository and `git.location.gitDir` is our throwaway one. */
  temporary: boolean
}

export async function openRepository(
  runner: CommandRunner,
  repoRoot: string,
  input: string,
  tempRoot?: string,
): Promise<Repository> {
  await requireDirectory(repoRoot, input)
  const probe = await runner
    .run('git', ['rev-parse', '--absolute-git-dir', '--show-toplevel', '--show-prefix', '--is-shallow-repository'], {
      cwd: repoRoot,
      env: gitEnvironment(),
    })
    .catch((error: unknown) => {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
      throw new ActionError('git is not installed (or not on PATH) on this runner.', {
        hint: 'Use a runner image with git, or install it in a step before this action.',
        cause: error,
      })
    })
  if (probe.exitCode !== 0) return notARepository(runner, repoRoot, probe.stderr, input, tempRoot)
  const [gitDir = '', topLevel = '', prefix = '', shallow = ''] = probe.stdout.split('\n')
  const git = new Git(runner, { gitDir, workTree: topLevel })
  const head = await git.run(['rev-parse', '--verify', '--quiet', 'HEAD^{commit}'], { okExitCodes: [1] })
  return {
    git,
    topLevel,
    prefix: prefix.replace(/\/$/, ''),
    head: head.exitCode === 0 ? head.stdout.trim() : null,
    shallow: shallow === 'true',
    temporary: false,
  }
}

async function requireDirectory(path: string, input: string): Promise<void> {
  const info = await stat(path).catch(() => undefined)
  if (!info) {
    throw new ActionError(`The folder '${path}' does not exist.`, {
      input,
      hint: 'Check the path, and that an actions/checkout step runs before this action.',
    })
  }
  if (!info.isDirectory())
    throw new ActionError(`'${path}' is a file, not a folder.`, {
      input,
      hint: 'Point it at the folder that holds your project.',
    })
}

async function notARepository(
  runner: CommandRunner,
  repoRoot: string,
  stderr: string,
  input: string,
  tempRoot?: string,
): Promise<Repository> {
  if (/dubious ownership/i.test(stderr)) {
    // We could pass `-c safe.directory=…` and carry on, but that check protects the runner from a
    // repository's hooks and config; turning it off silently is the user's decision, not ours.
    throw new ActionError(
      `Git refuses to read '${repoRoot}': the folder belongs to another user (git's "dubious ownership" check).`,
      {
        input,
        hint: `Run \`git config --global --add safe.directory "${repoRoot}"\` in a step before this one (common in container jobs).`,
        cause: new GitError(['rev-parse'], 128, stderr),
      },
    )
  }
  if (/must be run in a work tree/i.test(stderr)) {
    throw new ActionError(`'${repoRoot}' is inside a git directory (or a bare repository), not a working tree.`, {
      input,
      hint: 'Point it at the checked-out project folder.',
    })
  }
  if (!/not a git repository/i.test(stderr)) throw new GitError(['rev-parse', '--show-toplevel'], 128, stderr)
  // Not a git checkout (a downloaded artifact, actions/checkout's REST-API fallback without git):
  // objects go into a throwaway repository so the rest of the pipeline is the same.
  const gitDir = join(await makeTempDir(tempRoot, 'snapshot'), 'repo.git')
  const init = await runner.run('git', ['-c', 'init.defaultBranch=main', 'init', '--quiet', '--bare', gitDir], {
    env: gitEnvironment(),
  })
  if (init.exitCode !== 0) throw new GitError(['init', '--bare', gitDir], init.exitCode, init.stderr)
  const topLevel = await realpath(repoRoot)
  return {
    git: new Git(runner, { gitDir, workTree: topLevel }),
    topLevel,
    prefix: '',
    head: null,
    shallow: false,
    temporary: true,
  }
}
