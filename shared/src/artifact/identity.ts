import type { Git } from './git.js'

/**
 * Who and when a deploy commit says it was made. Everything comes from HEAD (never the clock or
 * the runner's git config), so building the same source twice gives the same commit sha and a
 * re-push is "Everything up-to-date" instead of a pointless rebuild.
 */
export interface Identity {
  name: string
  email: string
  /** Any date git accepts ('2024-05-01T12:00:00Z', '@1714564800 +0000') or a Date. */
  date?: string | Date
}

export interface SourceCommit {
  author: Required<Pick<Identity, 'name' | 'email'>> & { date: string }
  committer: Required<Pick<Identity, 'name' | 'email'>> & { date: string }
  subject: string
}

/** Used when there is no HEAD to copy from (snapshot of a non-git folder or an empty repository). */
export const SNAPSHOT_IDENTITY = { name: 'django-deploy', email: 'django-deploy@users.noreply.invalid' }
/** 1980-01-01T00:00:00Z, the fixed timestamp reproducible-build tools use (it is also zip's epoch). */
export const SNAPSHOT_DATE = '@315532800 +0000'

/** Read HEAD's author, committer and subject from the raw commit object (exact dates and zones). */
export async function readSourceCommit(git: Git, commit: string): Promise<SourceCommit> {
  const raw = await git.text(['cat-file', 'commit', commit])
  const split = raw.indexOf('\n\n')
  const headers = split === -1 ? raw : raw.slice(0, split)
  const message = split === -1 ? '' : raw.slice(split + 2)
  const person = (field: 'author' | 'committer') => {
    const match = new RegExp(`^${field} (.*) <([^>]*)> (\\d+) ([+-]\\d{4})$`, 'm').exec(headers)
    if (!match) throw new Error(`Commit ${commit} has no parsable ${field} line`)
    return { name: match[1] ?? '', email: match[2] ?? '', date: `@${match[3]} ${match[4]}` }
  }
  return { author: person('author'), committer: person('committer'), subject: message.split('\n')[0]?.trim() ?? '' }
}

export function formatDate(date: string | Date): string {
  if (typeof date === 'string') return date
  return `@${Math.floor(date.getTime() / 1000)} +0000`
}

export function identityEnvironment(
  author: Identity & { date: string | Date },
  committer: Identity & { date: string | Date },
): Record<string, string> {
  return {
    GIT_AUTHOR_NAME: author.name,
    GIT_AUTHOR_EMAIL: author.email,
    GIT_AUTHOR_DATE: formatDate(author.date),
    GIT_COMMITTER_NAME: committer.name,
    GIT_COMMITTER_EMAIL: committer.email,
    GIT_COMMITTER_DATE: formatDate(committer.date),
  }
}

/**
 * The default message names the source commit and folder and lists the generated files, so
 * `git log` on the deploy target tells what was deployed. Built only from inputs, never the clock.
 */
export function defaultMessage(options: {
  head: string | null
  source: 'head' | 'working-tree'
  subject?: string
  subdirectory: string
  generated: readonly string[]
}): string {
  const where = options.subdirectory ? ` (${options.subdirectory}/)` : ''
  const subject = options.subject ? `: ${truncate(options.subject, 60)}` : ''
  const title =
    options.source === 'head' && options.head
      ? `Deploy ${options.head.slice(0, 12)}${where}${subject}`
      : `Deploy the working tree${options.head ? ` on top of ${options.head.slice(0, 12)}` : ''}${where}`
  const lines = [title, '']
  if (options.head) lines.push(`Source-Commit: ${options.head}`)
  if (options.subdirectory) lines.push(`Source-Directory: ${options.subdirectory}`)
  for (const path of options.generated) lines.push(`Generated-File: ${path}`)
  return `${lines.join('\n').trimEnd()}\n`
}

function truncate(text: string, length: number): string {
  return text.length <= length ? text : `${text.slice(0, length - 1)}…`
}
