import path from 'node:path'
import { ActionError } from '../errors.js'
import type { Finding, ProjectModel } from '../detect/model.js'
import { toDeployPath, toRepoPath } from '../settings/deploy-root.js'
import type { ReadFile } from '../settings/read-file.js'
import { minorOf } from './python-image.js'

/**
 * How each dependency manager installs the project's dependencies into the image's virtualenv
 * (/opt/venv, active through VIRTUAL_ENV and PATH): lock files respected, development groups left
 * out, the project itself not installed (a Django site is run from its directory, and most are
 * not installable packages). Managers themselves go into a separate /opt/tools virtualenv in the
 * build stage, so their own dependencies never mix with the app's and never reach the runtime
 * image.
 */
export interface InstallPlan {
  /** One line for comments and the plan: "pip, requirements.txt". */
  description: string
  /** Files to copy before installing (deploy-relative), or 'all' when the install needs the source. */
  copy: string[] | 'all'
  /** Directory (deploy-relative, '' = root) the install commands run in. */
  workdir: string
  /** Build-stage environment for the manager. */
  env: Record<string, string>
  /** Each entry becomes one RUN. */
  commands: string[]
  /** Extra Debian packages the build stage needs (git for VCS requirements). */
  buildPackages: string[]
  notes: Finding[]
}

export const VENV = '/opt/venv'
const TOOLS = '/opt/tools'

export function installPlan(project: ProjectModel, deployRoot: string, readFile: ReadFile, pythonVersion: string): InstallPlan {
  const dependencies = project.dependencies
  const files = dependencies.files
  const main = files[0]
  if (dependencies.manager === 'none' || main === undefined) {
    const outside = dependencies.outsideDeployedFolder?.[0]
    if (outside)
      throw new ActionError(
        `No dependency file is in the deployed folder (${deployRoot || '.'}/): ${outside} is above it, outside what is built, so the image could not install Django.`,
        {
          hint: `Set working-directory to the folder that holds ${outside} (manage.py below it is found by itself), or move ${outside} next to manage.py.`,
        },
      )
    throw new ActionError(
      'No dependency file was found (requirements.txt, pyproject.toml, Pipfile, poetry.lock, uv.lock, pdm.lock), so the image could not install Django.',
      {
        hint: 'Commit a requirements.txt (pip freeze > requirements.txt) or your lock file next to manage.py or at the repository root.',
      },
    )
  }
  const where = (repoPath: string) => toDeployPath(deployRoot, repoPath, 'The dependency file')
  const workdir = path.posix.dirname(where(main)).replace(/^\.$/, '')
  const inWorkdir = (name: string) => (workdir ? `${workdir}/${name}` : name)
  const exists = (name: string) => readFile(toRepoPath(deployRoot, inWorkdir(name))) !== undefined
  const lock = dependencies.lockFile === undefined ? undefined : where(dependencies.lockFile)
  const contents = [...files, ...(dependencies.lockFile ? [dependencies.lockFile] : [])].map((file) => readFile(file) ?? '')
  const buildPackages = contents.some(usesVcs) ? ['git'] : []
  const notes: Finding[] = []
  const missingLock = (lockName: string, manager: string) =>
    notes.push({
      level: 'warning',
      code: 'lock-file-missing',
      message: `${manager} is used without ${lockName}: dependency versions are resolved at build time, so two builds of the same commit can differ. Commit ${lockName}.`,
    })
  const tool = (requirement: string) => `python -m venv ${TOOLS} && ${TOOLS}/bin/pip install --no-cache-dir "${requirement}"`
  // The manifest and lock file come from the model; companions (README, .python-version) only when present.
  const copyOf = (optional: string[]) => [
    ...new Set([where(main), ...(lock ? [lock] : []), ...optional.filter(exists).map(inWorkdir)]),
  ]
  const readmes = ['README.md', 'README.rst', 'README.txt', 'README']
  const planWith = (
    step: Omit<InstallPlan, 'workdir' | 'env' | 'buildPackages' | 'notes'> & { env?: Record<string, string> },
  ) => ({
    env: {},
    ...step,
    workdir,
    buildPackages,
    notes,
  })

  switch (dependencies.manager) {
    case 'pip': {
      const local = contents.some(referencesLocalPaths)
      return planWith({
        description: `pip, ${files.join(', ')}`,
        // "-e ." and "./libs/x" need the source tree before installing; otherwise copy only the
        // requirement files so the dependency layer is reused while only code changes.
        copy: local ? 'all' : [...new Set(files.map(where))],
        commands: [`pip install --no-cache-dir -r ${path.posix.basename(main)}`],
      })
    }
    case 'pyproject': {
      const modern = compareMinor(pythonVersion, [3, 11]) >= 0
      const python = modern ? 'python' : `${TOOLS}/bin/python`
      const module = modern ? 'tomllib' : 'tomli as tomllib'
      // Only [project].dependencies: `pip install .` would build the project as a package, which
      // fails for most Django layouts ("Multiple top-level packages discovered").
      const read = `${python} -c 'import ${module}; print("\\n".join(tomllib.load(open("pyproject.toml", "rb")).get("project", {}).get("dependencies", [])))' > /tmp/requirements.txt`
      return planWith({
        description: 'pip, [project.dependencies] of pyproject.toml',
        copy: copyOf([]),
        commands: [
          ...(modern ? [] : [tool('tomli')]),
          `${read} && if [ -s /tmp/requirements.txt ]; then pip install --no-cache-dir -r /tmp/requirements.txt; fi`,
        ],
      })
    }
    case 'poetry': {
      if (!lock) missingLock('poetry.lock', 'Poetry')
      return planWith({
        description: `Poetry, ${lock ?? 'pyproject.toml (no lock file)'}`,
        copy: copyOf(readmes),
        // Poetry installs into the active virtualenv (VIRTUAL_ENV); --only main leaves dev groups out.
        commands: [tool('poetry>=1.8'), `${TOOLS}/bin/poetry install --only main --no-root --no-interaction --no-ansi`],
      })
    }
    case 'pipenv': {
      if (!lock) missingLock('Pipfile.lock', 'Pipenv')
      // `verify` fails when Pipfile.lock is out of date with Pipfile (what --deploy checks);
      // `requirements` turns the lock into pinned requirements for pip, default packages only.
      const toRequirements = `${TOOLS}/bin/pipenv requirements > /tmp/requirements.txt && pip install --no-cache-dir -r /tmp/requirements.txt`
      return planWith({
        description: `Pipenv, ${lock ?? 'Pipfile (no lock file)'}`,
        copy: copyOf([]),
        env: { PIPENV_VERBOSITY: '-1' },
        commands: [
          tool('pipenv>=2023.12'),
          lock ? `${TOOLS}/bin/pipenv verify && ${toRequirements}` : `${TOOLS}/bin/pipenv lock && ${toRequirements}`,
        ],
      })
    }
    case 'uv': {
      if (!lock) missingLock('uv.lock', 'uv')
      return planWith({
        description: `uv, ${lock ?? 'pyproject.toml (no lock file)'}`,
        copy: copyOf(['.python-version', ...readmes]),
        // Sync into /opt/venv with the image's Python; never download another interpreter.
        env: { UV_PROJECT_ENVIRONMENT: VENV, UV_PYTHON_DOWNLOADS: 'never', UV_COMPILE_BYTECODE: '1', UV_LINK_MODE: 'copy' },
        commands: [tool('uv>=0.4'), `${TOOLS}/bin/uv sync ${lock ? '--locked ' : ''}--no-dev --no-install-project`],
      })
    }
    case 'pdm': {
      if (!lock) missingLock('pdm.lock', 'PDM')
      return planWith({
        description: `PDM, ${lock ?? 'pyproject.toml (no lock file)'}`,
        copy: copyOf(readmes),
        // PDM installs into the active virtualenv; --check fails on a stale lock file.
        env: { PDM_CHECK_UPDATE: 'false' },
        commands: [tool('pdm>=2.12'), `${TOOLS}/bin/pdm install ${lock ? '--check ' : ''}--prod --no-editable --no-self`],
      })
    }
  }
}

/** The command that adds the deploy's extra packages (extras.ts) on top. */
export function extrasCommand(project: ProjectModel, requirements: readonly string[]): string | undefined {
  if (!requirements.length) return undefined
  const quoted = requirements.map((requirement) => `"${requirement}"`).join(' ')
  // uv sync removes what is not in the lock, pip included; uv's own pip interface does not need it.
  if (project.dependencies.manager === 'uv') return `${TOOLS}/bin/uv pip install --python ${VENV}/bin/python ${quoted}`
  return `pip install --no-cache-dir ${quoted}`
}

function compareMinor(version: string, other: [number, number]): number {
  const [major, minor] = minorOf(version)
  return major !== other[0] ? major - other[0] : minor - other[1]
}

/** Requirement lines that point into the repository: "-e .", "./libs/x", "file:...". */
function referencesLocalPaths(text: string): boolean {
  return text.split('\n').some((raw) => {
    const line = raw.replace(/(^|\s)#.*$/, '').trim()
    return /^(-e|--editable)\s+(\.|\/|file:)/.test(line) || /^(\.{1,2}\/|\.$|file:)/.test(line) || /@\s*file:/.test(line)
  })
}

/** Requirements installed from git (needs git in the build stage). */
function usesVcs(text: string): boolean {
  return /git\+(https?|ssh|git|file):|\btype = "git"|\{\s*git = "|"git"\s*:/.test(text)
}
