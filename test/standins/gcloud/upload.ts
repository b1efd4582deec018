import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'

/**
 * Which files `gcloud builds submit SOURCE` uploads: everything under SOURCE minus what
 * `.gcloudignore` excludes. Without a `.gcloudignore`, gcloud uses its default one when the
 * directory has a `.git` or `.gitignore` (command_lib/util/gcloudignore.py: ignore `.gcloudignore`,
 * `.git`, `.gitignore`, plus the `.gitignore` patterns via `#!include:.gitignore`); otherwise it
 * uploads everything. Patterns follow .gitignore syntax: `#` comments, `!` negation, a leading
 * or inner `/` anchors to the source root, a trailing `/` matches directories only, `*`, `?`, `**`.
 */
export function uploadedFiles(sourceDir: string): string[] {
  const rules = ignoreRules(sourceDir)
  const files: string[] = []
  const walk = (relative: string): void => {
    for (const entry of readdirSync(join(sourceDir, relative), { withFileTypes: true }).sort((a, b) =>
      a.name < b.name ? -1 : 1,
    )) {
      const path = relative ? `${relative}/${entry.name}` : entry.name
      const isDir = entry.isDirectory()
      if (ignored(rules, path, isDir)) continue
      if (isDir) walk(path)
      else files.push(path)
    }
  }
  walk('')
  return files
}

interface Rule {
  negate: boolean
  dirOnly: boolean
  regex: RegExp
}

function ignoreRules(sourceDir: string): Rule[] {
  const ignoreFile = join(sourceDir, '.gcloudignore')
  let text: string
  if (existsSync(ignoreFile)) text = readFileSync(ignoreFile, 'utf8')
  else if (existsSync(join(sourceDir, '.git')) || existsSync(join(sourceDir, '.gitignore')))
    text = '.gcloudignore\n.git\n.gitignore\n#!include:.gitignore\n'
  else return []
  const lines: string[] = []
  for (const line of text.split(/\r?\n/)) {
    const include = /^#!include:(.+)$/.exec(line)
    if (include) {
      const included = join(sourceDir, include[1]?.trim() ?? '')
      if (existsSync(included) && statSync(included).isFile()) lines.push(...readFileSync(included, 'utf8').split(/\r?\n/))
      continue
    }
    lines.push(line)
  }
  return lines.filter((line) => line.trim() !== '' && !line.startsWith('#')).map(toRule)
}

function toRule(line: string): Rule {
  let pattern = line.replace(/\s+$/, '')
  const negate = pattern.startsWith('!')
  if (negate) pattern = pattern.slice(1)
  const dirOnly = pattern.endsWith('/')
  if (dirOnly) pattern = pattern.slice(0, -1)
  const anchored = pattern.includes('/')
  if (pattern.startsWith('/')) pattern = pattern.slice(1)
  let source = ''
  for (let i = 0; i < pattern.length; i++) {
    const char = pattern[i] as string
    if (char === '*' && pattern[i + 1] === '*') {
      source += '.*'
      i++
      if (pattern[i + 1] === '/') i++
    } else if (char === '*') source += '[^/]*'
    else if (char === '?') source += '[^/]'
    else source += char.replace(/[.+^${}()|[\]\\]/g, '\\$&')
  }
  return { negate, dirOnly, regex: new RegExp(anchored ? `^${source}$` : `(^|/)${source}$`) }
}

function ignored(rules: Rule[], path: string, isDir: boolean): boolean {
  let result = false
  for (const rule of rules) {
    if (rule.dirOnly && !isDir) continue
    if (rule.regex.test(path)) result = !rule.negate
  }
  return result
}
