import { readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import type { Logger } from '@django-deploy/shared/runtime'

/**
 * A build artifact from a pull request (mode deploy under workflow_run) is untrusted input. Its
 * files are only served, never run; but a `_redirects` rewrite (status 200) to another host would
 * make the preview domain proxy content of the author's choosing — on the repository's Netlify
 * site, with its cookies' domain. Those rules are dropped (and said so); redirects (3xx) are kept,
 * a browser shows where they lead. Symbolic links leading outside the directory are refused by
 * the digest (netlify/digest.ts).
 */
export async function stripUntrustedRules(outputDir: string, log: Logger): Promise<string[]> {
  const file = path.join(outputDir, '_redirects')
  const text = await readFile(file, 'utf8').catch(() => undefined)
  if (text === undefined) return []
  const dropped: string[] = []
  const kept = text.split(/\r?\n/).filter((line) => {
    const fields = line.replace(/#.*$/, '').trim().split(/\s+/)
    const [, to, status] = fields
    const proxy = to !== undefined && /^https?:\/\//i.test(to) && (status === undefined ? false : /^200!?$/.test(status))
    if (proxy) dropped.push(line.trim())
    return !proxy
  })
  if (dropped.length === 0) return []
  await writeFile(file, kept.join('\n'))
  const message = `Dropped ${dropped.length} proxy rule${dropped.length === 1 ? '' : 's'} (status 200 to another host) from the pull request's _redirects: ${dropped.slice(0, 5).join('; ')}. A preview built from a pull request may not proxy other sites.`
  log.warning(message)
  return [message]
}
