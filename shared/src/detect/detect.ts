import type { CommandRunner } from '../runtime/command.js'
import { spawnRunner } from '../runtime/command.js'
import { detectDependencies, optionalExtras } from './dependencies.js'
import { detectExistingFiles } from './existing-files.js'
import { detectFeatures } from './features.js'
import { finding, sortFindings } from './findings.js'
import { findManagePy, resolveSearchRoot } from './manage-py.js'
import type { DetectOptions, Finding, ProjectModel, SettingsFacts, SettingsInfo } from './model.js'
import { isDirectory, resolveModule } from './modules.js'
import { dirnameRel, dirsUpTo, describeDir, repoPaths } from './paths.js'
import { readDirectoryFiles } from './project-files.js'
import { redactFacts } from './redact.js'
import { chooseWsgi, moduleIn, scanLayout, sysPathRoots, type ProjectLayout, type PythonModuleFile } from './project-layout.js'
import { isParseError, parseFailure, PythonFileCache, type ParsedPythonFile, type SettingsDefaultCall } from './python-oracle.js'
import { detectPythonVersion } from './python-version.js'
import { followSettingsChain } from './settings-chain.js'
import { FACT_NAMES, mergeSettingsFacts } from './settings-facts.js'
import { chooseSettingsModule, type SettingsDefault } from './settings-module.js'
import { settingsFindings, summariseSettings } from './settings-summary.js'

/**
 * Read a Django project statically into a ProjectModel: find manage.py, decide the settings
 * module, follow its chain, and read dependencies, Python version and existing build files.
 * Files are parsed (Python's `ast` for .py, a TOML parser for TOML), never executed.
 *
 * Throws ActionError for what stops a deploy (no manage.py, a settings file that does not parse,
 * no way to tell the settings module); everything else is a finding in the model.
 */
export async function detectProject(options: DetectOptions, runner: CommandRunner = spawnRunner): Promise<ProjectModel> {
  const paths = repoPaths(options.repoRoot)
  const cache = new PythonFileCache(runner, options.python ?? 'python3')
  const findings: Finding[] = []

  const searchRoot = await resolveSearchRoot(paths, options.workingDirectory, isDirectory)
  const manage = await findManagePy(searchRoot, paths, options.workingDirectory)
  findings.push(...manage.findings)
  const managePy = manage.managePy
  options.onLocated?.(managePy)
  const appDir = dirnameRel(managePy)

  // One Python process for manage.py, every WSGI/ASGI module and every settings package (base,
  // dev, production...): Python's start-up dominates detection time.
  const layoutFiles = (layout: ProjectLayout) =>
    [...layout.wsgiFiles, ...layout.asgiFiles, ...layout.settingsModules]
      .map((entry) => entry.file)
      .concat(layout.settingsDirectoryFiles)
      .map(paths.abs)
  let layout = await scanLayout(appDir, [appDir], paths)
  await cache.load([paths.abs(managePy), ...layoutFiles(layout)])
  const manageParsed = cache.get(paths.abs(managePy))
  if (isParseError(manageParsed)) throw parseFailure(managePy, 'manage.py', manageParsed.error)
  let roots = unique([appDir, ...(await sysPathRoots(managePy, manageParsed.sysPath, paths))])
  if (roots.length > 1) {
    // manage.py puts more directories on sys.path (src/, cookiecutter's apps folder): module
    // names change, and there may be more to parse (usually nothing new, so no second process).
    layout = await scanLayout(appDir, roots, paths)
    await cache.load(layoutFiles(layout))
  }

  const manageDefault = settingsDefault(managePy, manageParsed)
  const wsgiChoice = chooseWsgi(layout.wsgiFiles, manageDefault?.module)
  findings.push(...wsgiChoice.findings)
  const wsgi = wsgiChoice.chosen
  const wsgiParsed = wsgi ? parsedOrThrow(cache, paths.abs(wsgi.file), wsgi.file, 'the WSGI module') : undefined
  if (wsgi && wsgiParsed) roots = unique([...roots, ...(await sysPathRoots(wsgi.file, wsgiParsed.sysPath, paths))])
  const wsgiDefault = wsgi && wsgiParsed ? settingsDefault(wsgi.file, wsgiParsed) : undefined

  const describeRoots = () => roots.map(describeDir).join(' or ')
  const choice = await chooseSettingsModule(
    {
      input: options.settingsModule?.trim() || undefined,
      environment: options.environment?.DJANGO_SETTINGS_MODULE?.trim() || undefined,
      wsgiDefault,
      manageDefault,
      settingsModulesFound: layout.settingsModules.map((entry) => entry.module),
    },
    { resolve: (module) => resolveModule(module, roots, paths), describeRoots },
  )
  findings.push(...choice.findings)
  const resolved = await resolveModule(choice.module, roots, paths)
  if (!resolved) throw new Error(`settings module ${choice.module} was chosen but does not resolve`)

  const chain = await followSettingsChain(resolved, roots, paths, cache)
  findings.push(...chain.findings)
  const facts = orderFacts(mergeSettingsFacts(chain.events))
  const summary = summariseSettings(facts)
  findings.push(...settingsFindings(facts, summary))

  const settings: SettingsInfo = {
    module: choice.module,
    decidedBy: choice.decidedBy,
    reason: choice.reason,
    ...(manageDefault ? { manageDefault: manageDefault.module } : {}),
    ...(wsgiDefault ? { wsgiDefault: wsgiDefault.module } : {}),
    files: chain.files,
    definesAll: chain.definesAll,
  }

  const applications = await detectApplications(facts, wsgi, wsgiParsed, layout.asgiFiles, roots, cache, paths)
  findings.push(...applications.findings)

  const directories = dirsUpTo(appDir, searchRoot)
  const directoryFiles = await Promise.all(directories.map((dir) => readDirectoryFiles(dir, paths)))
  for (const files of directoryFiles) findings.push(...files.findings)
  // Above the search root only when nothing is found in it: to say where the files are, not to use them.
  const above = searchRoot === '' ? [] : dirsUpTo(dirnameRel(searchRoot), '')
  const aboveFiles = await Promise.all(above.map((dir) => readDirectoryFiles(dir, paths)))
  const dependencies = await detectDependencies(directoryFiles, paths, aboveFiles)
  findings.push(...dependencies.findings)
  const python = await detectPythonVersion(directoryFiles, paths, {
    input: options.pythonVersion?.trim() || undefined,
    djangoSpec: dependencies.info.packages.django,
  })
  findings.push(...python.findings)
  const existing = await detectExistingFiles(directories, paths)
  findings.push(...existing.findings)
  const extras = Object.assign(
    {},
    ...directoryFiles.map((files) => optionalExtras(files.pyproject, files.present.get('pyproject.toml') ?? 'pyproject.toml')),
  ) as Record<string, string>
  const features = detectFeatures(dependencies.info.packages, summary, {
    dependenciesKnown: dependencies.info.manager !== 'none',
    optionalExtras: extras,
    ...(facts.INSTALLED_APPS ? { appsAt: facts.INSTALLED_APPS.at } : {}),
    ...(facts.DATABASES ? { databaseAt: facts.DATABASES.at } : {}),
  })
  findings.push(...features.findings)

  const model: ProjectModel = {
    schemaVersion: 1,
    searchRoot,
    appDir,
    managePy,
    settings,
    ...(applications.wsgi ? { wsgiApplication: applications.wsgi } : {}),
    ...(applications.asgi ? { asgiApplication: applications.asgi } : {}),
    python: python.info,
    dependencies: dependencies.info,
    features: features.features,
    existing: existing.existing,
    facts: redactFacts(facts),
    ...(chain.requiredEnv.length ? { requiredEnv: chain.requiredEnv } : {}),
    summary,
    findings: sortFindings(findings),
  }
  return model
}

function unique<T>(items: readonly T[]): T[] {
  return [...new Set(items)]
}

function parsedOrThrow(cache: PythonFileCache, absolute: string, file: string, role: string): ParsedPythonFile {
  const result = cache.get(absolute)
  if (isParseError(result)) throw parseFailure(file, role, result.error)
  return result
}

/** The first `setdefault("DJANGO_SETTINGS_MODULE", "<literal>")` in a file. */
function settingsDefault(file: string, parsed: ParsedPythonFile): SettingsDefault | undefined {
  const call = parsed.settingsDefaults.find((entry: SettingsDefaultCall) => entry.module !== undefined)
  return call?.module ? { module: call.module, file, line: call.line } : undefined
}

/** Facts in the documented order, whatever order the settings assigned them in. */
function orderFacts(facts: SettingsFacts): SettingsFacts {
  const ordered: SettingsFacts = {}
  for (const name of FACT_NAMES) {
    const fact = facts[name]
    if (fact) ordered[name] = fact
  }
  return ordered
}

function definesApplication(parsed: ParsedPythonFile | undefined): boolean {
  return parsed?.events.some((event) => event.type === 'assign' && event.name === 'application') ?? false
}

/**
 * The WSGI/ASGI callables: the settings' WSGI_APPLICATION / ASGI_APPLICATION when they are
 * literals, else `<module>.application` of the WSGI module found (and an asgi.py beside it, or
 * the only asgi.py). With an ASGI application only, the project is served as ASGI (a notice).
 */
async function detectApplications(
  facts: SettingsFacts,
  wsgi: PythonModuleFile | undefined,
  wsgiParsed: ParsedPythonFile | undefined,
  asgiFiles: readonly PythonModuleFile[],
  roots: readonly string[],
  cache: PythonFileCache,
  paths: ReturnType<typeof repoPaths>,
): Promise<{ wsgi?: string; asgi?: string; findings: Finding[] }> {
  const literal = (name: 'WSGI_APPLICATION' | 'ASGI_APPLICATION') => {
    const value = facts[name]?.value
    return value?.kind === 'literal' && typeof value.value === 'string' ? value.value : undefined
  }
  const findings: Finding[] = []
  let wsgiApplication = literal('WSGI_APPLICATION')
  if (!wsgiApplication && wsgi && definesApplication(wsgiParsed)) wsgiApplication = `${wsgi.module}.application`

  let asgiApplication = literal('ASGI_APPLICATION')
  if (!asgiApplication) {
    const wsgiPackage = wsgi ? dirnameRel(wsgi.file) : undefined
    const asgi =
      asgiFiles.find((candidate) => dirnameRel(candidate.file) === wsgiPackage) ??
      (asgiFiles.length === 1 ? asgiFiles[0] : undefined)
    if (asgi) {
      const parsed = await cache.parse(paths.abs(asgi.file))
      if (!isParseError(parsed) && definesApplication(parsed) && moduleIn(asgi.file, roots))
        asgiApplication = `${asgi.module}.application`
    }
  }
  if (!wsgiApplication && asgiApplication) {
    findings.push(
      finding(
        'notice',
        'asgi-only',
        `The project has an ASGI application (${asgiApplication}) and no WSGI one, so it is served as ASGI: gunicorn with uvicorn's worker (uvicorn.workers.UvicornWorker) on Dokku and Cloud Run, uvicorn added when it is not declared; the static build renders with Django's runserver. HTTP only: WebSockets need uvicorn[standard] (or websockets) declared, and Django runs sync views one at a time per worker under ASGI, so write async views or raise WEB_CONCURRENCY.`,
      ),
    )
  } else if (!wsgiApplication) {
    findings.push(
      finding(
        'warning',
        'wsgi-not-found',
        'Found neither WSGI_APPLICATION/ASGI_APPLICATION in the settings nor a wsgi.py or asgi.py that defines `application`, so there is nothing for gunicorn to serve. Add mysite/wsgi.py as `django-admin startproject` creates it (or asgi.py for an ASGI project), or set WSGI_APPLICATION.',
      ),
    )
  }
  return {
    ...(wsgiApplication ? { wsgi: wsgiApplication } : {}),
    ...(asgiApplication ? { asgi: asgiApplication } : {}),
    findings,
  }
}
