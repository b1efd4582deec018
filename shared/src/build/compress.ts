import type { Finding, JsonValue, ProjectModel, SettingFact } from '../detect/model.js'
import type { GeneratedFile } from '../plan.js'
import { deployRootOf, toDeployPath, toRepoPath } from '../settings/deploy-root.js'
import type { ReadFile } from '../settings/read-file.js'
import { shellQuote } from './shell.js'

/**
 * django-compressor's offline compression. With COMPRESS_OFFLINE on (and compression enabled,
 * which it is whenever DEBUG is off), a `{% compress %}` block renders only what
 * `manage.py compress` wrote beforehand, a manifest plus the compressed files under STATIC_ROOT;
 * without them every such page raises OfflineGenerationError. So every road runs it at build time,
 * right after collectstatic and where the collected files end up (the image, the slug, the static
 * build), never as a release task: that runs in a container of its own whose files are thrown away.
 *
 * `--force` because the build's settings need not enable compression themselves (the command
 * refuses to run when COMPRESS_ENABLED is off); the files are then simply unused.
 */
export const COMPRESS_COMMAND = ['python', 'manage.py', 'compress', '--force'] as const

export interface OfflineCompression {
  /** True when the build must run COMPRESS_COMMAND after collectstatic. */
  needed: boolean
  /** Why, for plans and generated-file comments ("COMPRESS_OFFLINE = True in brochure/settings.py:45"). */
  reason?: string
  notes: Finding[]
}

function truthy(value: JsonValue | undefined): boolean {
  if (value === undefined || value === null) return false
  if (typeof value === 'string') return ['true', '1', 'yes', 'on', 't', 'y'].includes(value.trim().toLowerCase())
  if (Array.isArray(value)) return value.length > 0
  if (typeof value === 'object') return Object.keys(value).length > 0
  return Boolean(value)
}

function where(fact: SettingFact): string {
  return `${fact.at.file}:${fact.at.line}`
}

export function offlineCompression(project: ProjectModel): OfflineCompression {
  const installed = project.summary.installedApps.some((app) => app === 'compressor' || app.startsWith('compressor.'))
  const offline = project.facts.COMPRESS_OFFLINE
  if (!installed || !offline) return { needed: false, notes: [] }
  const enabled = project.facts.COMPRESS_ENABLED
  if (enabled?.value.kind === 'literal' && !truthy(enabled.value.value)) return { needed: false, notes: [] }

  const value = offline.value
  if (value.kind === 'literal') {
    return truthy(value.value)
      ? { needed: true, reason: `COMPRESS_OFFLINE = ${JSON.stringify(value.value)} in ${where(offline)}`, notes: [] }
      : { needed: false, notes: [] }
  }
  if (value.kind === 'env' && value.expression === undefined) {
    // Read from the environment: the deploy sets no such variable, so the default is what runs.
    if (truthy(value.default))
      return {
        needed: true,
        reason: `COMPRESS_OFFLINE from ${value.variable}, default on, in ${where(offline)}`,
        notes: [],
      }
    return {
      needed: false,
      notes: [
        {
          level: 'notice',
          code: 'compress-offline-from-environment',
          message: `COMPRESS_OFFLINE is read from ${value.variable} (default off), so the build does not run manage.py compress. If you turn it on in production, every {% compress %} page fails with OfflineGenerationError: set COMPRESS_OFFLINE = True in the settings instead, so the build compresses.`,
          file: offline.at.file,
          line: offline.at.line,
        },
      ],
    }
  }
  return {
    needed: false,
    notes: [
      {
        level: 'warning',
        code: 'compress-offline-unknown',
        message: `COMPRESS_OFFLINE is computed (${value.kind === 'env' ? value.expression : value.kind === 'expression' ? value.source : ''}), so the deploy cannot tell whether to run manage.py compress at build time and does not. If it is on in production, every {% compress %} page fails with OfflineGenerationError: write COMPRESS_OFFLINE = True (or False) as a literal.`,
        file: offline.at.file,
        line: offline.at.line,
      },
    ],
  }
}

export interface CompileHookOptions {
  readFile: ReadFile
  /** The deployed directory, relative to the repository root ('' for the root). */
  deployRoot?: string
}

/**
 * herokuish (heroku-buildpack-python): the buildpack runs collectstatic itself, then the app's
 * `bin/post_compile` if there is one, in the build directory, with the app's config in the
 * environment; what it writes lands in the slug. That is where offline compression belongs.
 * A user's own bin/post_compile is never replaced: it must run compress itself.
 */
export function herokuishCompileHook(
  project: ProjectModel,
  options: CompileHookOptions,
): { files: GeneratedFile[]; notes: Finding[] } {
  const compression = offlineCompression(project)
  if (!compression.needed) return { files: [], notes: compression.notes }
  const deployRoot = deployRootOf(project, options.deployRoot)
  const hookPath = toRepoPath(deployRoot, 'bin/post_compile')
  const manage = toDeployPath(deployRoot, project.managePy, 'manage.py') || 'manage.py'
  const command = COMPRESS_COMMAND.map((word) => (word === 'manage.py' ? manage : word))
    .map(shellQuote)
    .join(' ')
  const own = options.readFile(hookPath)
  if (own !== undefined) {
    if (/\bcompress\b/.test(own)) return { files: [], notes: [] }
    return {
      files: [],
      notes: [
        {
          level: 'warning',
          code: 'post-compile-without-compress',
          message: `${compression.reason}, but your ${hookPath} (which the buildpack runs after collectstatic) does not run manage.py compress, and the deploy does not replace it: every {% compress %} page will fail with OfflineGenerationError. Add "${command}" to it.`,
          file: hookPath,
        },
      ],
    }
  }
  const content = [
    '#!/usr/bin/env bash',
    `# Generated by django-deploy-actions: ${compression.reason}.`,
    '# The Python buildpack runs this after collectstatic, in the build, so the compressed files and',
    "# their manifest land in the slug beside the collected static files (a release task's would not).",
    'set -euo pipefail',
    // The buildpack's collectstatic runs with PYTHONPATH defaulting to the build directory; the same here.
    `PYTHONPATH="\${PYTHONPATH:-.}" ${command}`,
    '',
  ].join('\n')
  return {
    files: [
      {
        path: 'bin/post_compile',
        content,
        executable: true,
        reason: `${compression.reason}: offline compression after the buildpack's collectstatic`,
      },
    ],
    notes: [],
  }
}
