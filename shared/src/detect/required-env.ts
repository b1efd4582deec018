import { ActionError } from '../errors.js'
import type { RequiredEnvVar } from './model.js'

/**
 * The settings' required environment variables against what a deploy provides.
 *
 * Detection lists every variable the settings chain reads at import with nothing to fall back on
 * (`env("X")` without default=, `os.environ["X"]`, `int(os.getenv("X"))`, ...). Unset, the import
 * raises and the release phase or the first request fails, after the remote work has started.
 * This check runs while the plan is built, so it fails before any remote command.
 */
export interface ProvidedEnv {
  /** Names the deploy sets: the user's inputs and what the action sets itself (SECRET_KEY, PORT...). */
  names: Iterable<string>
  /** Where to put missing variables, as the fix names it: "the config input", "the env-vars or secrets input". */
  where: string
  /** The action input the error is about (kebab-case), when there is one. */
  input?: string
  /** A one-line example for the hint, e.g. "config: |\n  REDIS_URL=...". Optional. */
  example?: string
}

/** The required variables nobody provides, in file/line order, one entry per variable (its first read). */
export function missingRequiredEnv(
  required: readonly RequiredEnvVar[] | undefined,
  provided: Iterable<string>,
): RequiredEnvVar[] {
  const have = new Set(provided)
  const seen = new Set<string>()
  const missing: RequiredEnvVar[] = []
  for (const read of required ?? []) {
    if (have.has(read.variable) || seen.has(read.variable)) continue
    seen.add(read.variable)
    missing.push(read)
  }
  return missing
}

/** Throws an ActionError naming each missing variable, where it is read, and which input to set it in. */
export function checkRequiredEnv(required: readonly RequiredEnvVar[] | undefined, provided: ProvidedEnv): void {
  const missing = missingRequiredEnv(required, provided.names)
  if (missing.length === 0) return
  const names = missing.map((read) => read.variable)
  const where = missing.map((read) => `${read.variable} (${read.file}:${read.line}, ${read.how})`).join('; ')
  const first = missing[0]!
  throw new ActionError(
    `The settings need ${names.length === 1 ? 'an environment variable' : 'environment variables'} this deploy does not set: ${where}. Unset, importing the settings raises.`,
    {
      ...(provided.input ? { input: provided.input } : {}),
      hint:
        `Add ${names.join(', ')} to ${provided.where}${provided.example ? ` (${provided.example})` : ''}, ` +
        'or give the read a default in the settings (e.g. env("NAME", default="...")).',
      location: { file: first.file, line: first.line },
    },
  )
}
