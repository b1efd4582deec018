import { cleanLine, dokkuErrors } from '../dokku/output.js'

/**
 * What a `git push --porcelain` to Dokku did, from git's exit code, its porcelain ref lines
 * (stdout) and the relayed hook output (stderr, `remote: ` lines). Of the cases below, the two the
 * official action gets wrong are here on purpose: "deploy did not complete" exits 0
 * but deployed nothing (a failure), and "Everything up-to-date" deployed nothing (a success).
 */
export type PushStatus = 'deployed' | 'up-to-date' | 'not-deployed' | 'locked' | 'rejected' | 'failed'

export interface PushOutcome {
  status: PushStatus
  /** URLs from "=====> Application deployed:". */
  urls: string[]
  /** Dokku's own lines worth quoting in a failure (` !     ` lines, the WARNING lines). */
  quoted: string[]
  /** git's reason for a rejected ref: "pre-receive hook declined", "fetch first", "shallow update not allowed"... */
  reason?: string
  /** Every relayed remote line, cleaned (for the log and the summary). */
  remote: string[]
}

export function parsePush(exitCode: number, stdout: string, stderr: string): PushOutcome {
  const remote = stderr
    .split('\n')
    .filter((line) => line.startsWith('remote:'))
    .map((line) => cleanLine(line.replace(/^remote: ?/, '')))
  const urls = deployedUrls(remote)
  const errors = dokkuErrors(stderr)
  const refLine = stdout.split('\n').find((line) => /^[ +\-*!=]\t/.test(line))
  const flag = refLine?.[0]
  const reason = refLine
    ? /\(([^)]*)\)\s*$/.exec(refLine)?.[1]
    : /\(([^)]*)\)\s*$/m.exec(stderr.split('\n').find((line) => /^\s*!\s*\[/.test(line)) ?? '')?.[1]

  const warnings = remote.filter((line) => /^-----> (WARNING: deploy did not complete|for example, try)/.test(line))
  if (warnings.length > 0) return { status: 'not-deployed', urls, quoted: warnings, reason, remote }
  if (remote.some((line) => /currently has a deploy lock in place/.test(line))) {
    return { status: 'locked', urls, quoted: errors, reason, remote }
  }
  if (exitCode === 0 && (flag === '=' || /Everything up-to-date/.test(`${stdout}\n${stderr}`)))
    return { status: 'up-to-date', urls, quoted: [], reason, remote }
  if (exitCode === 0 && (flag === ' ' || flag === '+' || flag === '*'))
    return { status: 'deployed', urls, quoted: [], reason, remote }
  if (flag === '!' || /\[remote rejected\]|\[rejected\]/.test(stderr)) {
    const quoted = errors.length > 0 ? errors : remote.slice(-5)
    return { status: 'rejected', urls, quoted, reason, remote }
  }
  const gitErrors = stderr
    .split('\n')
    .map(cleanLine)
    .filter((line) => /^(fatal|error):/.test(line))
  return { status: 'failed', urls, quoted: [...errors, ...gitErrors], reason, remote }
}

/** The indented URL lines after "=====> Application deployed:". */
export function deployedUrls(remoteLines: readonly string[]): string[] {
  const start = remoteLines.findIndex((line) => /^=====> Application deployed:/.test(line))
  if (start < 0) return []
  const urls: string[] = []
  for (const line of remoteLines.slice(start + 1)) {
    const match = /^\s+(https?:\/\/\S+)$/.exec(line)
    if (!match?.[1]) break
    urls.push(match[1])
  }
  return urls
}
