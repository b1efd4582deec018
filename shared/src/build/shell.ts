/**
 * Quoting for the few values we put on Dockerfile RUN lines and in Procfiles. Values we generate
 * are plain (module names, paths, the throwaway build key), so most need no quotes; anything else
 * is single-quoted for POSIX sh, which is what both `RUN` (shell form) and Dokku use.
 */
export function shellQuote(value: string): string {
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(value)) return value
  return `'${value.replaceAll("'", `'"'"'`)}'`
}

/** `NAME=value` assignments for a command prefix, in the order given. */
export function shellAssignments(env: Record<string, string>): string {
  return Object.entries(env)
    .map(([name, value]) => `${name}=${shellQuote(value)}`)
    .join(' ')
}
