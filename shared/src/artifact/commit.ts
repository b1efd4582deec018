import { ActionError } from '../errors.js'
import type { Git } from './git.js'
import { SNAPSHOT_DATE, SNAPSHOT_IDENTITY, identityEnvironment, readSourceCommit } from './identity.js'
import type { Identity, SourceCommit } from './identity.js'

export interface CommitRequest {
  tree: string
  head: string | null
  parent?: string
  reuseUnchangedParent: boolean
  author?: Identity
  committer?: Identity
  /** Builds the default message once HEAD's subject is known. */
  message: (source: SourceCommit | null) => string
}

export interface CommitResult {
  commit: string
  parent: string | null
  unchanged: boolean
}

/**
 * Wrap the tree in a commit with `git commit-tree` (no ref moves). Its identity and dates come from
 * HEAD, so the same inputs give the same sha. With a `parent` that already has this very tree the
 * parent is returned as is: re-pushing it is a no-op on the remote, which is the honest answer.
 */
export async function commitTree(git: Git, request: CommitRequest): Promise<CommitResult> {
  const parent = request.parent === undefined ? null : await resolveParent(git, request.parent)
  if (parent && request.reuseUnchangedParent && parent.tree === request.tree) {
    return { commit: parent.commit, parent: parent.commit, unchanged: true }
  }
  const source = request.head ? await readSourceCommit(git, request.head) : null
  const fallback = { ...SNAPSHOT_IDENTITY, date: SNAPSHOT_DATE }
  const baseAuthor = source?.author ?? fallback
  const baseCommitter = source?.committer ?? fallback
  const author = request.author ? { ...request.author, date: request.author.date ?? baseCommitter.date } : baseAuthor
  const committer = request.committer
    ? { ...request.committer, date: request.committer.date ?? baseCommitter.date }
    : baseCommitter
  const args = ['commit-tree', '--no-gpg-sign', request.tree, ...(parent ? ['-p', parent.commit] : []), '-F', '-']
  // commit.gpgSign or a developer's signing setup would make the sha depend on the machine.
  const commit = await git.text(args, {
    input: ensureNewline(request.message(source)),
    env: identityEnvironment(author, committer),
  })
  return { commit, parent: parent?.commit ?? null, unchanged: false }
}

async function resolveParent(git: Git, revision: string): Promise<{ commit: string; tree: string }> {
  const result = await git.run(['rev-parse', '--verify', '--quiet', '--end-of-options', `${revision}^{commit}`], {
    okExitCodes: [1, 128],
  })
  const commit = result.stdout.trim()
  if (result.exitCode !== 0 || commit === '') {
    throw new ActionError(`The parent commit '${revision}' for the deploy commit is not in the local repository.`, {
      hint: 'Fetch it first (e.g. `git fetch --depth=1 <remote> <branch>`), or deploy without a parent (a force push).',
    })
  }
  const tree = await git.text(['rev-parse', '--verify', `${commit}^{tree}`])
  return { commit, tree }
}

function ensureNewline(message: string): string {
  return message.endsWith('\n') ? message : `${message}\n`
}
