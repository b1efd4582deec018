import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { ActionError } from '../errors.js'
import { repositoryPath } from '../inputs.js'
import { finding } from './findings.js'
import type { Finding } from './model.js'
import { describeDir, type RepoPaths } from './paths.js'
import { findFilesByName, MANAGE_PY_MAX_DEPTH, SKIPPED_DIRECTORY_NAMES } from './walk.js'

/**
 * The project is where the shallowest manage.py is (Heroku's rule). Several at that depth: the one
 * that mentions Django when exactly one does (reported, so the user can set working-directory);
 * otherwise an error listing them, since deploying a guess would put the wrong site live.
 */
export async function findManagePy(
  searchRoot: string,
  paths: RepoPaths,
  workingDirectoryInput: string | undefined,
): Promise<{ managePy: string; findings: Finding[] }> {
  const found = await findFilesByName(paths.abs(searchRoot), new Set(['manage.py']), {
    maxDepth: MANAGE_PY_MAX_DEPTH,
    stopAtFirstDepth: true,
  })
  if (found.length === 0) {
    const where = workingDirectoryInput
      ? `${describeDir(searchRoot)} (the working-directory input '${workingDirectoryInput}')`
      : `${describeDir(searchRoot)} (working-directory is not set, so the search started at the repository root)`
    throw new ActionError(
      `No manage.py found in ${where}, searching ${MANAGE_PY_MAX_DEPTH} levels deep and skipping virtualenvs, hidden directories and ${[...SKIPPED_DIRECTORY_NAMES].join(', ')}. This does not look like a Django project.`,
      {
        input: 'working-directory',
        hint: 'Set working-directory to the folder that contains manage.py (for example "backend"), or commit manage.py if it is missing (`django-admin startproject` creates it).',
      },
    )
  }
  const candidates = found.map((hit) => paths.rel(hit.file))
  const mentionsDjango = await Promise.all(found.map(async (hit) => /django/i.test(await readFile(hit.file, 'utf8'))))
  const djangoCandidates = candidates.filter((_, index) => mentionsDjango[index])
  // Two Django projects side by side are an ambiguity only the user can settle: guessing one
  // would deploy the wrong site, so it fails here, before anything remote is touched.
  if (djangoCandidates.length > 1 || (djangoCandidates.length === 0 && candidates.length > 1)) {
    const listed = djangoCandidates.length > 1 ? djangoCandidates : candidates
    const folders = listed.map((file) => path.posix.dirname(file))
    throw new ActionError(
      `Found ${listed.length} Django projects at the same depth (${listed.join(', ')}); it is not clear which one to deploy.`,
      {
        input: 'working-directory',
        hint: `Set working-directory to the folder of the project to deploy: one of ${folders.map((folder) => `"${folder}"`).join(', ')}.`,
      },
    )
  }
  const managePy = djangoCandidates[0] ?? (candidates[0] as string)
  const findings: Finding[] = []
  if (candidates.length > 1) {
    findings.push(
      finding(
        'notice',
        'several-manage-py',
        `Found several manage.py at the same depth (${candidates.join(', ')}); using ${managePy}, the only one that runs Django. Set the working-directory input to the project's folder to choose another.`,
        { file: managePy },
      ),
    )
  }
  return { managePy, findings }
}

/** The working-directory input, checked and made repository-relative ("" for the root). */
export async function resolveSearchRoot(
  paths: RepoPaths,
  workingDirectory: string | undefined,
  isDirectory: (absolute: string) => Promise<boolean>,
): Promise<string> {
  if (workingDirectory === undefined) return ''
  // The same reading as the actions' input (an absolute path counts when it is inside the root).
  const relative = repositoryPath('working-directory', workingDirectory, paths.root)
  if (relative === '.') return ''
  const absolute = path.join(paths.root, relative)
  if (!(await isDirectory(absolute))) {
    throw new ActionError(`'${workingDirectory}' is not a directory in the repository.`, {
      input: 'working-directory',
      hint: 'Give the folder that contains manage.py, relative to the repository root (check the spelling and that it is committed).',
    })
  }
  return relative
}
