/**
 * PEP 503 / PEP 508 helpers shared by every dependency format.
 */

/** PEP 503 normalised project name: "Django_Environ" → "django-environ". */
export function normalizeName(name: string): string {
  return name.toLowerCase().replace(/[-_.]+/g, '-')
}

export interface Requirement {
  /** PEP 503 normalised. */
  name: string
  /** Version specifier without spaces (">=4.2,<5"), "@ <url>" for direct references, "" when none. */
  spec: string
}

const NAME = /^([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)\s*(\[[^\]]*\])?\s*(.*)$/s

/**
 * A PEP 508 requirement string ("django-environ[cache] >=0.11 ; python_version >= '3.10'") →
 * name and specifier; extras and environment markers are dropped. Undefined for anything that is
 * not a named requirement (a path, a bare URL).
 */
export function parseRequirement(text: string): Requirement | undefined {
  const match = NAME.exec(text.trim())
  if (!match) return undefined
  let rest = (match[3] ?? '').trim()
  if (rest.startsWith('@')) {
    // A direct reference: the URL runs to the first whitespace; a marker may follow after " ;".
    const url = rest.slice(1).trim().split(/\s+/)[0] ?? ''
    return { name: normalizeName(match[1] as string), spec: `@ ${url}` }
  }
  const marker = rest.indexOf(';')
  if (marker !== -1) rest = rest.slice(0, marker)
  rest = rest.replace(/\s+/g, '')
  if (rest.startsWith('(') && rest.endsWith(')')) rest = rest.slice(1, -1)
  if (rest !== '' && !/^[<>=!~]/.test(rest)) return undefined
  return { name: normalizeName(match[1] as string), spec: rest }
}

/** Combine two specifiers for the same package (every one of them applies). */
export function mergeSpecs(existing: string | undefined, added: string): string {
  if (existing === undefined || existing === '') return added
  if (added === '' || existing === added) return existing
  return `${existing},${added}`
}
