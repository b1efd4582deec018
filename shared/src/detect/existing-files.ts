import { readFile } from 'node:fs/promises'
import { finding } from './findings.js'
import type { ExistingFiles, Finding, ProcfileInfo } from './model.js'
import { isFile } from './modules.js'
import { joinRel, type RepoPaths } from './paths.js'
import { sortedRecord } from './order.js'

/**
 * Build and release files the repository already has. The actions never overwrite them, so they
 * must know: the nearest one from appDir up to the search root counts (Dokku reads app.json and
 * the Procfile from the build context's root, which is where a Dockerfile usually sits too).
 */

const NAMES: ReadonlyArray<[keyof Omit<ExistingFiles, 'procfile'>, string]> = [
  ['dockerfile', 'Dockerfile'],
  ['dockerignore', '.dockerignore'],
  ['appJson', 'app.json'],
  ['netlifyToml', 'netlify.toml'],
]

/** `web: gunicorn mysite.wsgi` lines; comments and blank lines are skipped, as Dokku and Heroku do. */
export function parseProcfile(content: string): Record<string, string> {
  const processes: Record<string, string> = {}
  for (const line of content.split(/\r?\n/)) {
    const match = /^([A-Za-z0-9_-]+)\s*:\s*(.*\S)\s*$/.exec(line)
    if (match && !line.trimStart().startsWith('#')) processes[match[1] as string] = match[2] as string
  }
  return sortedRecord(processes)
}

/** `directories` nearest first. */
export async function detectExistingFiles(
  directories: readonly string[],
  paths: RepoPaths,
): Promise<{ existing: ExistingFiles; findings: Finding[] }> {
  const existing: ExistingFiles = {}
  const findings: Finding[] = []
  for (const [key, name] of NAMES) {
    for (const dir of directories) {
      const file = joinRel(dir, name)
      if (await isFile(paths.abs(file))) {
        existing[key] = file
        break
      }
    }
  }
  for (const dir of directories) {
    const file = joinRel(dir, 'Procfile')
    if (!(await isFile(paths.abs(file)))) continue
    const procfile: ProcfileInfo = { file, processes: parseProcfile(await readFile(paths.abs(file), 'utf8')) }
    existing.procfile = procfile
    const web = procfile.processes.web
    if (web && /\bmigrate\b/.test(web)) {
      findings.push(
        finding(
          'warning',
          'procfile-web-migrates',
          "The Procfile's web process runs migrate at start: every instance races to migrate and cold starts get slower. Move it to a release process (release: python manage.py migrate --noinput).",
          { file },
        ),
      )
    }
    break
  }
  return { existing: orderKeys(existing), findings }
}

function orderKeys(existing: ExistingFiles): ExistingFiles {
  const ordered: ExistingFiles = {}
  if (existing.dockerfile) ordered.dockerfile = existing.dockerfile
  if (existing.dockerignore) ordered.dockerignore = existing.dockerignore
  if (existing.procfile) ordered.procfile = existing.procfile
  if (existing.appJson) ordered.appJson = existing.appJson
  if (existing.netlifyToml) ordered.netlifyToml = existing.netlifyToml
  return ordered
}
