// What test/support reads through vitest's inject() (the run directory, the PostgreSQL cluster),
// provided by the stand-in launcher (standins.ts) instead of vitest's global setup.
export function inject(key) {
  const provided = globalThis.__djangoDeployProvided
  if (!provided) throw new Error('the stand-in launcher has not run its global setup yet')
  return provided[key]
}
