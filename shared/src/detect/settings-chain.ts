import { finding } from './findings.js'
import type { Finding, RequiredEnvVar } from './model.js'
import { absoluteImportName, resolveModule, type ResolvedModule } from './modules.js'
import type { RepoPaths } from './paths.js'
import { isParseError, parseFailure, type PythonFileCache, type SettingsEvent, type UnsupportedPattern } from './python-oracle.js'

/**
 * Follow `from .base import *` / `from pkg.mod import *` from the chosen settings module through
 * every file it pulls in, and flatten their statements into one stream in execution order: a
 * star import runs the imported module's statements right where the import stands. A star
 * import inside `try:`/`if` makes everything it brings in conditional; an optional module that
 * does not exist (`try: from .local import *`) is skipped, as Python's ImportError would be.
 */

export type ChainEvent = SettingsEvent & { file: string }

export interface SettingsChain {
  /** Post-order: bases first, the chosen module last (see SettingsInfo.files). */
  files: string[]
  events: ChainEvent[]
  /** Every variable the chain's files read at import without a default (file:line). */
  requiredEnv: RequiredEnvVar[]
  definesAll: boolean
  findings: Finding[]
}

const UNSUPPORTED_GUIDANCE: Record<UnsupportedPattern['pattern'], string> = {
  'django-configurations':
    'django-configurations classes are not read statically; the facts below may be incomplete. Set the settings-module input and check the deploy with `manage.py check --deploy`.',
  'split-settings':
    'split_settings.include() is not followed; settings in the included files are not read. Consider plain `from .component import *` imports, or check the deploy with `manage.py check --deploy`.',
  exec: 'exec() in settings is not followed; settings it defines are not read.',
  'dynamic-import': 'dynamic imports in settings are not followed; settings they bring in are not read.',
}

export async function followSettingsChain(
  start: ResolvedModule,
  roots: readonly string[],
  paths: RepoPaths,
  cache: PythonFileCache,
): Promise<SettingsChain> {
  const files: string[] = []
  const events: ChainEvent[] = []
  const requiredEnv: RequiredEnvVar[] = []
  const findings: Finding[] = []
  const visiting = new Set<string>()
  let definesAll = false

  const visit = async (module: ResolvedModule, inheritedConditional: boolean): Promise<void> => {
    if (visiting.has(module.file) || files.includes(module.file)) return // a cycle, or already merged once
    visiting.add(module.file)
    const parsed = await cache.parse(paths.abs(module.file))
    if (isParseError(parsed)) throw parseFailure(module.file, 'the settings file', parsed.error)
    if (parsed.definesAll) {
      definesAll = true
      findings.push(
        finding(
          'notice',
          'settings-defines-all',
          `${module.file} defines __all__, so \`from ${module.module} import *\` copies only the names listed there. Generated settings that star-import this module may not see every setting.`,
          { file: module.file },
        ),
      )
    }
    for (const unsupported of parsed.unsupported) {
      findings.push(
        finding(
          'warning',
          'settings-unsupported-pattern',
          `${unsupported.detail}: ${UNSUPPORTED_GUIDANCE[unsupported.pattern]}`,
          {
            file: module.file,
            line: unsupported.line,
          },
        ),
      )
    }
    // Required reads in execution order: those above a star-import come before the imported file's.
    // A file imported only conditionally (`try: from .local import *`) may not run: its reads are not required.
    const reads = inheritedConditional ? [] : [...(parsed.requiredEnv ?? [])]
    const flushReads = (before: number) => {
      while (reads.length > 0 && reads[0]!.line < before) requiredEnv.push({ ...reads.shift()!, file: module.file })
    }
    for (const event of parsed.events) {
      const conditional = inheritedConditional || event.conditional
      if (event.type !== 'star-import') {
        events.push({ ...event, conditional, file: module.file })
        continue
      }
      flushReads(event.line)
      const target = absoluteImportName(module, event.level, event.module)
      const resolved = target === undefined ? undefined : await resolveModule(target, roots, paths)
      if (resolved) {
        await visit(resolved, conditional)
      } else if (!conditional && target !== undefined && (event.level > 0 || (await isLocalPackage(target, roots, paths)))) {
        findings.push(
          finding(
            'warning',
            'settings-import-unresolved',
            `${module.file} star-imports ${target}, which is not in the repository, so its settings are not read. If it is generated at deploy time, check the deploy with \`manage.py check --deploy\`.`,
            { file: module.file, line: event.line },
          ),
        )
      }
      // Anything else is an installed package (e.g. `from django.conf.global_settings import *`), or an optional module.
    }
    flushReads(Infinity)
    visiting.delete(module.file)
    files.push(module.file)
  }

  await visit(start, false)
  return { files, events, requiredEnv, definesAll, findings }
}

/** True when the top-level package of `module` is in the repository (so a missing submodule is a mistake, not a dependency). */
async function isLocalPackage(module: string, roots: readonly string[], paths: RepoPaths): Promise<boolean> {
  const top = module.split('.')[0] ?? ''
  return (await resolveModule(top, roots, paths)) !== undefined
}
