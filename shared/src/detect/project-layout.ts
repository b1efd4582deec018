import { readdir } from 'node:fs/promises'
import { finding } from './findings.js'
import type { Finding } from './model.js'
import { isDirectory, moduleNameOf } from './modules.js'
import { dirnameRel, dirsUpTo, joinRel, type RepoPaths } from './paths.js'
import type { SysPathAddition } from './python-oracle.js'
import { compareText } from './order.js'
import { findFilesByName } from './walk.js'

/**
 * Where the project's Python modules are: the import roots, the WSGI/ASGI modules, and every
 * settings module in the tree (for the "only settings file" rule).
 */

/** How deep below appDir the project package may be (src/mysite/settings/__init__.py is 3). */
const LAYOUT_MAX_DEPTH = 3

export interface PythonModuleFile {
  module: string
  file: string
}

export interface ProjectLayout {
  wsgiFiles: PythonModuleFile[]
  asgiFiles: PythonModuleFile[]
  settingsModules: PythonModuleFile[]
  /** Every .py file in a directory that holds a settings module: parsed up front, in one batch. */
  settingsDirectoryFiles: string[]
}

/**
 * The module name of a file, from the deepest import root that contains it: with src/ on
 * sys.path, src/mysite/wsgi.py is `mysite.wsgi`, not the namespace-package path `src.mysite.wsgi`.
 */
export function moduleIn(file: string, roots: readonly string[]): PythonModuleFile | undefined {
  for (const root of [...roots].sort((a, b) => b.length - a.length)) {
    const module = moduleNameOf(file, root)
    if (module) return { module, file }
  }
  return undefined
}

export async function scanLayout(appDir: string, roots: readonly string[], paths: RepoPaths): Promise<ProjectLayout> {
  const wanted = new Set(['wsgi.py', 'asgi.py', 'settings.py', '__init__.py'])
  const hits = new Set<string>()
  for (const root of [appDir, ...roots]) {
    for (const hit of await findFilesByName(paths.abs(root), wanted, { maxDepth: LAYOUT_MAX_DEPTH }))
      hits.add(paths.rel(hit.file))
  }
  const files = [...hits].sort(compareText)
  const named = (name: string) =>
    files
      .filter((file) => file.endsWith(`/${name}`) || file === name)
      .map((file) => moduleIn(file, roots))
      .filter((entry): entry is PythonModuleFile => entry !== undefined)
  const settingsModules = [
    ...named('settings.py'),
    ...files
      .filter((file) => file.endsWith('/settings/__init__.py'))
      .map((file) => moduleIn(file, roots))
      .filter((entry): entry is PythonModuleFile => entry !== undefined),
  ].sort((a, b) => compareText(a.module, b.module))

  const settingsDirectoryFiles: string[] = []
  // A settings package's siblings (base.py, production.py) are what the chain will need.
  for (const dir of new Set(settingsModules.map((entry) => dirnameRel(entry.file)))) {
    const entries = await readdir(paths.abs(dir), { withFileTypes: true }).catch(() => [])
    for (const entry of entries)
      if (entry.isFile() && entry.name.endsWith('.py')) settingsDirectoryFiles.push(joinRel(dir, entry.name))
  }
  return {
    wsgiFiles: named('wsgi.py'),
    asgiFiles: named('asgi.py'),
    settingsModules,
    settingsDirectoryFiles: settingsDirectoryFiles.sort(compareText),
  }
}

/**
 * Directories manage.py / wsgi.py put on sys.path (cookiecutter-django adds its inner app folder,
 * src layouts add "src"). Statically we only know the string literals in the added expression
 * (`Path(__file__).parent.parent / "src"` → "src"), so they are tried relative to the file's
 * directory, then each parent up to the repository root; the first directory that exists counts.
 */
export async function sysPathRoots(file: string, additions: readonly SysPathAddition[], paths: RepoPaths): Promise<string[]> {
  const roots: string[] = []
  for (const addition of additions) {
    const segments = addition.strings.flatMap((text) => text.split('/')).filter((segment) => segment !== '' && segment !== '.')
    if (segments.length === 0) continue
    for (const base of dirsUpTo(dirnameRel(file), '')) {
      const candidate = normalizeRel([...(base === '' ? [] : base.split('/')), ...segments])
      if (candidate !== undefined && candidate !== '' && (await isDirectory(paths.abs(candidate)))) {
        roots.push(candidate)
        break
      }
    }
  }
  return roots
}

/** Resolve ".." in repository-relative segments; undefined when it climbs out of the repository. */
function normalizeRel(segments: readonly string[]): string | undefined {
  const result: string[] = []
  for (const segment of segments) {
    if (segment !== '..') result.push(segment)
    else if (result.pop() === undefined) return undefined
  }
  return result.join('/')
}

/**
 * The WSGI module gunicorn should load. One wsgi.py: that one. Several: the one in the package of
 * the settings default (mysite.settings.dev → mysite.wsgi), else the first in sorted order.
 */
export function chooseWsgi(
  candidates: readonly PythonModuleFile[],
  hintModule: string | undefined,
): { chosen?: PythonModuleFile; findings: Finding[] } {
  if (candidates.length <= 1) return { chosen: candidates[0], findings: [] }
  const top = hintModule?.split('.')[0]
  const chosen = candidates.find((candidate) => candidate.module === `${top}.wsgi`) ?? candidates[0]
  return {
    chosen,
    findings: [
      finding(
        'notice',
        'several-wsgi-modules',
        `Found several WSGI modules (${candidates.map((candidate) => candidate.module).join(', ')}); using ${chosen?.module}. Set WSGI_APPLICATION in the settings to make the choice explicit.`,
        chosen ? { file: chosen.file } : undefined,
      ),
    ],
  }
}
