import { readFile } from 'node:fs/promises'
import { finding } from './findings.js'
import type { Finding, PythonInfo } from './model.js'
import type { RepoPaths } from './paths.js'
import { tableAt, valueAt, type DirectoryFiles } from './project-files.js'

/**
 * The Python version the build should use. Exact pins beat ranges, so the sources are tried in
 * this order, each in every directory from appDir up to the search root (nearest first):
 *   the `python-version` input, .python-version, runtime.txt, Pipfile [requires],
 *   Pipfile.lock _meta.requires, pyproject `requires-python`, Poetry's `python` dependency.
 * A range resolves, within what the declared Django version supports (DJANGO_NEWEST_PYTHON), to
 * the newest minor not newer than PREFERRED_MINOR that satisfies it (the version no constraint
 * gets too, so `>=3.8` and no constraint agree), else to the oldest newer minor that does. The runner's own
 * Python is never used (flyctl does, which makes builds depend on the CI image).
 */

/**
 * Minors a range may resolve to, newest last. Kept fixed (not "today's" list) so the model is
 * deterministic; add a minor once slim images and common wheels exist for it.
 */
export const CANDIDATE_MINORS = ['3.8', '3.9', '3.10', '3.11', '3.12', '3.13', '3.14'] as const

/**
 * The minor a project without a constraint gets, and the newest an open range resolves to: the
 * newest one every common package has had wheels for long enough (new minors lag by months).
 */
export const PREFERRED_MINOR = '3.12'

/** Minors past end of life (no more security fixes): 3.10 ended in October 2026. */
export const LAST_EOL_MINOR: readonly [number, number] = [3, 10]

type Version = number[]

function parseVersion(text: string): Version | undefined {
  const match = /^(\d+)(?:\.(\d+))?(?:\.(\d+))?$/.exec(text.trim())
  if (!match) return undefined
  return [match[1], match[2], match[3]].filter((part): part is string => part !== undefined).map(Number)
}

function compare(a: Version, b: Version): number {
  for (let index = 0; index < Math.max(a.length, b.length); index++) {
    const difference = (a[index] ?? 0) - (b[index] ?? 0)
    if (difference !== 0) return difference
  }
  return 0
}

/** Does `version` (a full X.Y.Z) satisfy one clause: ">=3.10", "==3.12.*", "~=3.11", "^3.11", "~3.11", "3.12"? */
function satisfies(version: Version, clause: string): boolean {
  const match = /^(===|==|!=|~=|<=|>=|<|>|\^|~|=)?\s*([0-9.*]+)$/.exec(clause.trim())
  if (!match) return clause.trim() === '*' || clause.trim() === ''
  const operator = match[1] ?? '=='
  const raw = match[2] as string
  if (raw.endsWith('.*')) {
    const prefix = parseVersion(raw.slice(0, -2)) ?? []
    const same = prefix.every((part, index) => version[index] === part)
    return operator === '!=' ? !same : same
  }
  const target = parseVersion(raw)
  if (!target) return false
  const order = compare(version, target)
  switch (operator) {
    case '==':
    case '===':
    case '=':
      // PEP 440: "==3.12" matches 3.12.0 only; Poetry's bare "3.12" is the same.
      return order === 0
    case '!=':
      return order !== 0
    case '<':
      return order < 0
    case '<=':
      return order <= 0
    case '>':
      return order > 0
    case '>=':
      return order >= 0
    case '~=': {
      // ~=3.11 → >=3.11,<4 ; ~=3.11.2 → >=3.11.2,<3.12
      const upper = target.slice(0, Math.max(1, target.length - 1))
      upper[upper.length - 1] = (upper[upper.length - 1] ?? 0) + 1
      return order >= 0 && compare(version, upper) < 0
    }
    case '^': {
      // Poetry caret: the first non-zero part may not change.
      const index = target.findIndex((part) => part !== 0)
      const upper = target.slice(0, (index === -1 ? target.length - 1 : index) + 1)
      upper[upper.length - 1] = (upper[upper.length - 1] ?? 0) + 1
      return order >= 0 && compare(version, upper) < 0
    }
    case '~': {
      // Poetry tilde: ~3.11 → >=3.11,<3.12 ; ~3 → >=3,<4
      const upper = target.slice(0, Math.min(2, target.length))
      upper[upper.length - 1] = (upper[upper.length - 1] ?? 0) + 1
      return order >= 0 && compare(version, upper) < 0
    }
    default:
      return false
  }
}

/** The newest of `minors` ("X.Y") with some patch release that satisfies `range` (PEP 440 or Poetry syntax). */
export function newestSatisfying(range: string, minors: readonly string[]): string | undefined {
  const alternatives = range.split('||')
  for (const minor of [...minors].reverse()) {
    const [major, minorNumber] = minor.split('.').map(Number) as [number, number]
    for (let patch = 0; patch <= 30; patch++) {
      const version = [major, minorNumber, patch]
      const ok = alternatives.some((alternative) =>
        alternative
          .split(',')
          .map((clause) => clause.replace(/([<>=!~^])\s+/g, '$1').trim())
          .filter((clause) => clause !== '')
          .every((clause) => clause.split(/\s+/).every((part) => satisfies(version, part))),
      )
      if (ok) return minor
    }
  }
  return undefined
}

/** The newest Python each Django release supports (Django's own release notes). */
export const DJANGO_NEWEST_PYTHON: Readonly<Record<string, string>> = {
  '3.2': '3.10',
  '4.0': '3.10',
  '4.1': '3.11',
  '4.2': '3.12',
  '5.0': '3.12',
  '5.1': '3.13',
  '5.2': '3.14',
  '6.0': '3.14',
}

/**
 * The newest Python the declared Django allows: `django>=4.2,<5.0` means Django 4.2, which
 * supports Python up to 3.12, so `requires-python = ">=3.10"` must not resolve to 3.14.
 */
export function pythonCapForDjango(djangoSpec: string | undefined): { django: string; python: string } | undefined {
  if (!djangoSpec || djangoSpec.startsWith('@')) return undefined
  const django = newestSatisfying(djangoSpec, Object.keys(DJANGO_NEWEST_PYTHON))
  return django ? { django, python: DJANGO_NEWEST_PYTHON[django] as string } : undefined
}

/** A Python range → the newest candidate minor, within what the declared Django supports when that is known. */
export function resolveRange(range: string, djangoSpec?: string): string | undefined {
  const cap = pythonCapForDjango(djangoSpec)
  const minors = cap
    ? CANDIDATE_MINORS.filter((minor) => compare(parseVersion(minor) ?? [], parseVersion(cap.python) ?? []) <= 0)
    : CANDIDATE_MINORS
  const preferred = parseVersion(PREFERRED_MINOR) ?? []
  const upToPreferred = minors.filter((minor) => compare(parseVersion(minor) ?? [], preferred) <= 0)
  const oldest = (among: readonly string[]) => among.find((minor) => newestSatisfying(range, [minor]) !== undefined)
  // Nothing fits both the range and Django's cap: the range wins (the build then says Django may not support it).
  return newestSatisfying(range, upToPreferred) ?? oldest(minors) ?? oldest(CANDIDATE_MINORS)
}

/** "3.12.4", "python-3.12", "3.12" → the version; other pyenv names ("system", "pypy3.10") → undefined. */
function exactVersion(text: string): string | undefined {
  const match = /^(?:python-?)?(\d+\.\d+(?:\.\d+)?)$/i.exec(text.trim())
  return match ? match[1] : undefined
}

async function firstLine(file: string, paths: RepoPaths): Promise<string | undefined> {
  const content = await readFile(paths.abs(file), 'utf8')
  return content
    .split(/\r?\n/)
    .map((line) => line.replace(/#.*$/, '').trim())
    .find((line) => line !== '')
}

type Source = (files: DirectoryFiles, paths: RepoPaths, djangoSpec?: string) => Promise<PythonInfo | undefined>

const SOURCES: Source[] = [
  async (files, paths) => {
    const file = files.present.get('.python-version')
    const version = file ? exactVersion((await firstLine(file, paths)) ?? '') : undefined
    return file && version ? { version, source: file } : undefined
  },
  async (files, paths) => {
    const file = files.present.get('runtime.txt')
    const version = file ? exactVersion((await firstLine(file, paths)) ?? '') : undefined
    return file && version ? { version, source: file } : undefined
  },
  async (files) => {
    const file = files.present.get('Pipfile')
    const requires = tableAt(files.pipfile, 'requires')
    const text = requires?.python_full_version ?? requires?.python_version
    const version = typeof text === 'string' ? exactVersion(text) : undefined
    return file && version ? { version, source: file } : undefined
  },
  async (files) => {
    const file = files.present.get('Pipfile.lock')
    const requires = tableAt(files.pipfileLock, '_meta', 'requires')
    const text = requires?.python_full_version ?? requires?.python_version
    const version = typeof text === 'string' ? exactVersion(text) : undefined
    return file && version ? { version, source: file } : undefined
  },
  async (files, _paths, djangoSpec) => rangeSource(files, valueAt(files.pyproject, 'project', 'requires-python'), djangoSpec),
  async (files, _paths, djangoSpec) =>
    rangeSource(files, valueAt(files.pyproject, 'tool', 'poetry', 'dependencies', 'python'), djangoSpec),
]

function rangeSource(files: DirectoryFiles, range: unknown, djangoSpec: string | undefined): PythonInfo | undefined {
  const file = files.present.get('pyproject.toml')
  if (!file || typeof range !== 'string') return undefined
  const version = resolveRange(range, djangoSpec)
  return version ? { version, source: file, requires: range } : undefined
}

function isEndOfLife(version: string): boolean {
  const [major = 0, minor = 0] = version.split('.').map(Number)
  return major < LAST_EOL_MINOR[0] || (major === LAST_EOL_MINOR[0] && minor <= LAST_EOL_MINOR[1])
}

/** `directories` nearest first. */
export async function detectPythonVersion(
  directories: readonly DirectoryFiles[],
  paths: RepoPaths,
  options: { input?: string; djangoSpec?: string } = {},
): Promise<{ info: PythonInfo; findings: Finding[] }> {
  const input = options.input
  let info: PythonInfo | undefined = input ? { version: input, source: 'input' } : undefined
  for (const source of SOURCES) {
    if (info) break
    for (const files of directories) {
      info = await source(files, paths, options.djangoSpec)
      if (info) break
    }
  }
  if (!info?.version) {
    return {
      info: {},
      findings: [
        finding(
          'notice',
          'python-version-missing',
          'Nothing in the repository pins a Python version, so the build uses the action\'s default. Add a .python-version file (e.g. "3.12") to choose it.',
        ),
      ],
    }
  }
  const findings: Finding[] = []
  // The input is a deliberate override of the files; only the files contradicting each other warn.
  const disagreeing = input ? [] : await disagreeingSources(info, directories, paths, options.djangoSpec)
  if (disagreeing.length > 0) {
    const chosen = info.source as string
    findings.push(
      finding(
        'warning',
        'python-version-disagree',
        `The Python version is declared more than once and the declarations disagree: ${chosen} says ${info.version}, which the build uses, but ${disagreeing.map((entry) => `${entry.source} says ${entry.requires ?? entry.version}`).join(', ')}. Keep one declaration, or make them agree.`,
        { file: chosen },
      ),
    )
  }
  if (isEndOfLife(info.version)) {
    findings.push(
      finding(
        'warning',
        'python-version-eol',
        `Python ${info.version} (from ${info.source}) is past its end of life and gets no security fixes. Move to a supported version (3.12 or later) and update ${info.source === 'input' ? 'the python-version input' : info.source}.`,
        info.source === 'input' ? undefined : { file: info.source as string },
      ),
    )
  }
  return { info, findings }
}

/**
 * The other declarations of the Python version that the chosen one contradicts: an exact version
 * of another minor (runtime.txt "python-3.11" beside Pipfile python_version "3.12"), or a range
 * (requires-python) the chosen version falls outside. Another patch of the same minor is no
 * contradiction: the image is chosen by minor.
 */
async function disagreeingSources(
  chosen: PythonInfo,
  directories: readonly DirectoryFiles[],
  paths: RepoPaths,
  djangoSpec: string | undefined,
): Promise<PythonInfo[]> {
  const minorOf = (version: string) => version.split('.').slice(0, 2).join('.')
  const chosenMinor = minorOf(chosen.version as string)
  const found: PythonInfo[] = []
  for (const source of SOURCES) {
    for (const files of directories) {
      const declared = await source(files, paths, djangoSpec)
      if (!declared?.version || declared.source === chosen.source) continue
      const contradicts = declared.requires
        ? newestSatisfying(declared.requires, [chosenMinor]) === undefined
        : minorOf(declared.version) !== chosenMinor
      if (contradicts && !found.some((entry) => entry.source === declared.source)) found.push(declared)
    }
  }
  return found
}
