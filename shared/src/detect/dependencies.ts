import { finding } from './findings.js'
import type { DependencyInfo, DependencyManager, Finding } from './model.js'
import { compareText, sortedRecord } from './order.js'
import type { RepoPaths } from './paths.js'
import { isTable, REQUIREMENTS_CANDIDATES, tableAt, valueAt, type DirectoryFiles, type TomlTable } from './project-files.js'
import { mergeSpecs, normalizeName, parseRequirement } from './requirement-names.js'
import { readRequirementsFiles } from './requirements-txt.js'

/**
 * Which dependency manager the build uses and what it declares. The nearest directory (appDir
 * first, then up to the search root) with dependency files wins; inside it the order is
 * requirements.txt → uv → poetry → pdm → pipenv → plain PEP 621, the order nixpacks, railpack and
 * Google's buildpacks use (a requirements.txt is what every platform understands). Several
 * managers are reported, loudly when they declare different packages: the build installs one set
 * and the developers test with another.
 */

export const MANAGER_ORDER: readonly DependencyManager[] = ['pip', 'uv', 'poetry', 'pdm', 'pipenv', 'pyproject']

/** Poetry groups that are development tooling, not part of the deployed application. */
const DEV_GROUPS = new Set([
  'dev',
  'develop',
  'development',
  'test',
  'tests',
  'testing',
  'lint',
  'linting',
  'docs',
  'doc',
  'typing',
])

interface Declaration {
  manager: DependencyManager
  dir: string
  files: string[]
  lockFile?: string
  packages: Record<string, string>
}

function pep621Packages(pyproject: TomlTable | undefined): Record<string, string> {
  const packages: Record<string, string> = {}
  const dependencies = valueAt(pyproject, 'project', 'dependencies')
  if (Array.isArray(dependencies)) {
    for (const item of dependencies) {
      const requirement = typeof item === 'string' ? parseRequirement(item) : undefined
      if (requirement) packages[requirement.name] = mergeSpecs(packages[requirement.name], requirement.spec)
    }
  }
  return packages
}

/** Packages of pyproject's optional extras (`[project.optional-dependencies]`), which a deploy does not install: name → "extra 'prod' of pyproject.toml". */
export function optionalExtras(pyproject: TomlTable | undefined, file: string): Record<string, string> {
  const extras: Record<string, string> = {}
  const table = tableAt(pyproject, 'project', 'optional-dependencies') ?? {}
  for (const [extra, items] of Object.entries(table)) {
    if (!Array.isArray(items)) continue
    for (const item of items) {
      const requirement = typeof item === 'string' ? parseRequirement(item) : undefined
      if (requirement && !(requirement.name in extras)) extras[requirement.name] = `the optional extra '${extra}' of ${file}`
    }
  }
  return extras
}

/** A Poetry or Pipfile dependency value: "^4.2", "*", { version = "...", extras = [...] }, { git = "..." }. */
function tableSpec(value: unknown): string | undefined {
  if (typeof value === 'string') return value.trim() === '*' ? '' : value.replace(/\s+/g, '')
  if (Array.isArray(value)) {
    // Poetry's multiple-constraint form: one entry per Python version / platform.
    const specs = value.map(tableSpec).filter((spec): spec is string => spec !== undefined)
    return specs.length > 0 ? [...new Set(specs)].join(' || ') : undefined
  }
  if (!isTable(value)) return undefined
  if (value.optional === true) return undefined // installed only with an extra
  if (typeof value.version === 'string') return tableSpec(value.version)
  for (const source of ['git', 'url', 'path', 'file'])
    if (typeof value[source] === 'string') return `@ ${value[source] as string}`
  return ''
}

function addTable(packages: Record<string, string>, table: TomlTable | undefined, skip: ReadonlySet<string> = new Set()): void {
  for (const [name, value] of Object.entries(table ?? {})) {
    if (skip.has(name.toLowerCase())) continue
    const spec = tableSpec(value)
    if (spec !== undefined) packages[normalizeName(name)] = mergeSpecs(packages[normalizeName(name)], spec)
  }
}

function poetryPackages(pyproject: TomlTable | undefined): Record<string, string> {
  const packages = pep621Packages(pyproject) // Poetry 2 reads [project] too
  addTable(packages, tableAt(pyproject, 'tool', 'poetry', 'dependencies'), new Set(['python']))
  for (const [group, definition] of Object.entries(tableAt(pyproject, 'tool', 'poetry', 'group') ?? {})) {
    if (DEV_GROUPS.has(group) || !isTable(definition) || definition.optional === true) continue
    addTable(packages, tableAt(definition, 'dependencies'), new Set(['python']))
  }
  return packages
}

function pipenvPackages(files: DirectoryFiles): Record<string, string> {
  const packages: Record<string, string> = {}
  if (files.pipfile) {
    addTable(packages, tableAt(files.pipfile, 'packages'))
    return packages
  }
  // Only a lock: its "default" section is the resolved production set.
  for (const [name, entry] of Object.entries(tableAt(files.pipfileLock, 'default') ?? {})) {
    const version = isTable(entry) && typeof entry.version === 'string' ? entry.version : ''
    packages[normalizeName(name)] = version
  }
  return packages
}

async function declarationsIn(files: DirectoryFiles, paths: RepoPaths, findings: Finding[]): Promise<Declaration[]> {
  const declarations: Declaration[] = []
  const present = files.present
  const pyprojectFile = present.get('pyproject.toml')
  const pyproject = files.pyproject
  const withPyproject = (
    manager: DependencyManager,
    lock: string | undefined,
    packages: Record<string, string>,
  ): Declaration => ({
    manager,
    dir: files.dir,
    files: pyprojectFile && pyproject ? [pyprojectFile] : [],
    ...(lock ? { lockFile: lock } : {}),
    packages,
  })

  const requirementsName = REQUIREMENTS_CANDIDATES.find((name) => present.has(name))
  if (requirementsName) {
    const requirements = await readRequirementsFiles(present.get(requirementsName) as string, paths)
    findings.push(...requirements.findings)
    declarations.push({ manager: 'pip', dir: files.dir, files: requirements.files, packages: requirements.packages })
  }
  const uv = present.has('uv.lock') || tableAt(pyproject, 'tool', 'uv') !== undefined
  const poetry = present.has('poetry.lock') || tableAt(pyproject, 'tool', 'poetry') !== undefined
  const pdm = present.has('pdm.lock') || tableAt(pyproject, 'tool', 'pdm') !== undefined
  if (uv) declarations.push(withPyproject('uv', present.get('uv.lock'), pep621Packages(pyproject)))
  if (poetry) declarations.push(withPyproject('poetry', present.get('poetry.lock'), poetryPackages(pyproject)))
  if (pdm) declarations.push(withPyproject('pdm', present.get('pdm.lock'), pep621Packages(pyproject)))
  if (present.has('Pipfile') || present.has('Pipfile.lock')) {
    declarations.push({
      manager: 'pipenv',
      dir: files.dir,
      files: present.has('Pipfile') ? [present.get('Pipfile') as string] : [],
      ...(present.has('Pipfile.lock') ? { lockFile: present.get('Pipfile.lock') as string } : {}),
      packages: pipenvPackages(files),
    })
  }
  // A pyproject.toml that only configures tools (ruff, black, pytest) is not a dependency manager.
  if (!uv && !poetry && !pdm && Array.isArray(valueAt(pyproject, 'project', 'dependencies'))) {
    declarations.push(withPyproject('pyproject', undefined, pep621Packages(pyproject)))
  }
  return declarations
}

function describeDeclaration(declaration: Declaration): string {
  return declaration.files[0] ?? declaration.lockFile ?? declaration.manager
}

/** "requirements.txt is an export of pyproject.toml" when `exported` pins every version and lists all of `source`. */
function lockExport(exported: Declaration, source: Declaration): string | undefined {
  if (exported.manager !== 'pip' || source.manager === 'pip') return undefined
  const specs = Object.values(exported.packages)
  if (specs.length === 0 || !specs.every((spec) => /^===?[^,]+$/.test(spec))) return undefined
  if (namesOnlyIn(source, exported).length > 0) return undefined
  return `${describeDeclaration(exported)} is a pinned export of ${describeDeclaration(source)} (all of its packages, and their dependencies)`
}

function namesOnlyIn(a: Declaration, b: Declaration): string[] {
  return Object.keys(a.packages)
    .filter((name) => !(name in b.packages))
    .sort(compareText)
}

/** The files that declare dependencies in one directory (requirements files, pyproject.toml, Pipfile, locks). */
export function dependencyFilesIn(files: DirectoryFiles): string[] {
  const names = [...REQUIREMENTS_CANDIDATES, 'pyproject.toml', 'Pipfile', 'Pipfile.lock', 'poetry.lock', 'uv.lock', 'pdm.lock']
  return names.flatMap((name) => {
    const file = files.present.get(name)
    return file === undefined ? [] : [file]
  })
}

/**
 * `directories` nearest first (appDir, its parents, up to the search root); `above`: the
 * directories above the search root (working-directory), whose files the deploy cannot see.
 */
export async function detectDependencies(
  directories: readonly DirectoryFiles[],
  paths: RepoPaths,
  above: readonly DirectoryFiles[] = [],
): Promise<{ info: DependencyInfo; findings: Finding[] }> {
  const findings: Finding[] = []
  const all: Declaration[] = []
  for (const files of directories) {
    const declarations = await declarationsIn(files, paths, findings)
    declarations.sort((a, b) => MANAGER_ORDER.indexOf(a.manager) - MANAGER_ORDER.indexOf(b.manager))
    all.push(...declarations)
  }
  const chosen = all[0]
  const managersFound = MANAGER_ORDER.filter((manager) => all.some((declaration) => declaration.manager === manager))
  if (!chosen) {
    const outside = above.flatMap(dependencyFilesIn)
    const searchRoot = directories.at(-1)?.dir ?? ''
    const first = outside[0]
    if (first !== undefined) {
      findings.push(
        finding(
          'warning',
          'dependencies-outside-working-directory',
          `${first} is above working-directory (${searchRoot}/), so it is not in what is deployed and the build cannot install from it. Set working-directory to the folder that holds both (the action finds manage.py below it by itself), or move the dependency file into ${searchRoot}/.`,
          { file: first },
        ),
      )
      return { info: { manager: 'none', files: [], managersFound: [], packages: {}, outsideDeployedFolder: outside }, findings }
    }
    findings.push(
      finding(
        'warning',
        'no-dependency-files',
        `No requirements.txt, pyproject.toml or Pipfile was found in ${directories.map((d) => (d.dir === '' ? 'the repository root' : `${d.dir}/`)).join(', ')}, so the build installs nothing but what the action adds. Add a requirements.txt that lists Django and your other dependencies.`,
      ),
    )
    return { info: { manager: 'none', files: [], managersFound: [], packages: {} }, findings }
  }

  const others = all.filter((declaration) => declaration.manager !== chosen.manager)
  if (others.length > 0) {
    const differences: string[] = []
    const exports: string[] = []
    for (const other of others) {
      // A lock export (uv export, pip-compile, pip freeze) lists every package of its source plus
      // their dependencies, each pinned: more names is its nature, not a disagreement.
      const exported = lockExport(chosen, other) ?? lockExport(other, chosen)
      if (exported) {
        exports.push(exported)
        continue
      }
      const missing = namesOnlyIn(chosen, other)
      const extra = namesOnlyIn(other, chosen)
      if (missing.length > 0) differences.push(`${describeDeclaration(other)} lacks ${missing.join(', ')}`)
      if (extra.length > 0) differences.push(`${describeDeclaration(other)} adds ${extra.join(', ')}`)
    }
    const found = [chosen, ...others].map(describeDeclaration).join(', ')
    findings.push(
      differences.length > 0
        ? finding(
            'warning',
            'several-dependency-managers',
            `Dependencies are declared for several managers (${found}) and they disagree: ${differences.join('; ')}. The build uses ${chosen.manager} (${describeDeclaration(chosen)}); keep one source of truth (delete the others, or regenerate them from it).`,
            { file: describeDeclaration(chosen) },
          )
        : finding(
            'notice',
            'several-dependency-managers',
            `Dependencies are declared for several managers (${found}); ${exports.length > 0 ? `${exports.join('; ')}` : 'they list the same packages'}. The build uses ${chosen.manager} (${describeDeclaration(chosen)}).`,
            { file: describeDeclaration(chosen) },
          ),
    )
  }
  if (chosen.manager === 'pipenv' && !chosen.lockFile) {
    findings.push(
      finding(
        'notice',
        'pipfile-without-lock',
        `${describeDeclaration(chosen)} has no Pipfile.lock next to it, so the build resolves versions afresh. Run \`pipenv lock\` and commit Pipfile.lock.`,
        {
          file: describeDeclaration(chosen),
        },
      ),
    )
  }
  const info: DependencyInfo = {
    manager: chosen.manager,
    files: chosen.files,
    managersFound,
    ...(chosen.lockFile ? { lockFile: chosen.lockFile } : {}),
    packages: sortedRecord(chosen.packages),
  }
  return { info, findings }
}
