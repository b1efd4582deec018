import type { CommandResult, CommandRunner } from '../runtime/command.js'

/**
 * Every git call of the artifact module goes through here, so each one names its repository
 * explicitly (`--git-dir`, optional `--work-tree`) and runs in a predictable environment. Discovery
 * from the current directory or inherited `GIT_*` variables would let a stray `GIT_DIR` or
 * `GIT_INDEX_FILE` in the runner's environment point us at the user's real index.
 */
export interface GitLocation {
  /** Absolute path of the git directory (`.git`, or a bare/temporary one). */
  gitDir: string
  /** Absolute path of the working tree, for the few commands that read files from disk. */
  workTree?: string
  /** A temporary index file; when unset, `GIT_INDEX_FILE` is removed from the environment. */
  indexFile?: string
}

export interface GitCallOptions {
  input?: string | Buffer
  /** Exit codes that are answers rather than failures (e.g. 1 from `rev-parse --verify -q`). */
  okExitCodes?: readonly number[]
  /** `-c key=value` settings for this call only. */
  config?: Record<string, string>
  cwd?: string
  /** Extra environment for this call (identity variables for commit-tree). */
  env?: Record<string, string | undefined>
}

/** A git command failed; the message carries the command line and git's own words. */
export class GitError extends Error {
  constructor(
    readonly args: readonly string[],
    readonly exitCode: number,
    readonly stderr: string,
  ) {
    super(`git ${args.join(' ')} failed (exit ${exitCode}): ${stderr.trim() || '(no output)'}`)
    this.name = 'GitError'
  }
}

/** Variables that would redirect git away from the repository and index we name explicitly. */
const SCRUBBED = [
  'GIT_DIR',
  'GIT_WORK_TREE',
  'GIT_INDEX_FILE',
  'GIT_OBJECT_DIRECTORY',
  'GIT_ALTERNATE_OBJECT_DIRECTORIES',
  'GIT_COMMON_DIR',
  'GIT_NAMESPACE',
  'GIT_PREFIX',
]

export function gitEnvironment(
  indexFile?: string,
  extra: Record<string, string | undefined> = {},
): Record<string, string | undefined> {
  const env: Record<string, string | undefined> = {}
  for (const name of SCRUBBED) env[name] = undefined
  if (indexFile !== undefined) env.GIT_INDEX_FILE = indexFile
  // C locale: error text we match on stays English. No prompts: CI has nobody to answer them.
  env.LC_ALL = 'C'
  env.GIT_TERMINAL_PROMPT = '0'
  // `git status` would otherwise refresh and rewrite the user's index file as a side effect.
  env.GIT_OPTIONAL_LOCKS = '0'
  return { ...env, ...extra }
}

export class Git {
  constructor(
    readonly runner: CommandRunner,
    readonly location: GitLocation,
  ) {}

  /** The same repository with a different index file (or work tree). */
  with(changes: Partial<GitLocation>): Git {
    return new Git(this.runner, { ...this.location, ...changes })
  }

  async run(args: readonly string[], options: GitCallOptions = {}): Promise<CommandResult> {
    const full = [...configArgs(options.config), '--git-dir', this.location.gitDir]
    if (this.location.workTree) full.push('--work-tree', this.location.workTree)
    full.push(...args)
    const result = await this.runner.run('git', full, {
      cwd: options.cwd ?? this.location.workTree ?? this.location.gitDir,
      env: gitEnvironment(this.location.indexFile, options.env),
      input: options.input,
    })
    if (result.exitCode !== 0 && !(options.okExitCodes ?? []).includes(result.exitCode)) {
      throw new GitError(args, result.exitCode, result.stderr)
    }
    return result
  }

  /** stdout without the trailing newline. */
  async text(args: readonly string[], options: GitCallOptions = {}): Promise<string> {
    return (await this.run(args, options)).stdout.replace(/\n$/, '')
  }
}

export function configArgs(config: Record<string, string> = {}): string[] {
  return Object.entries(config).flatMap(([key, value]) => ['-c', `${key}=${value}`])
}

/** Split `-z` output into records, dropping the empty tail after the last NUL. */
export function splitNul(output: string): string[] {
  const parts = output.split('\0')
  if (parts.at(-1) === '') parts.pop()
  return parts
}
