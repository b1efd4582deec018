import { InputError } from '@django-deploy/shared/errors'

/**
 * Netlify serves an alias at `https://<alias>--<site>.netlify.app`. A host name label is
 * lower-case letters, digits and hyphens; Netlify accepts other aliases and then answers 404 at
 * the URL (uppercase letters and slashes do that), and the CLI documents 37 characters at most.
 * So aliases are reduced to that form here, and one that ends up empty is an error.
 */
export const MAX_ALIAS_LENGTH = 37

export function sanitizeAlias(raw: string, input = 'alias'): string {
  const alias = raw
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    // "--" separates the alias from the site name in the URL, so it must not appear inside.
    .replace(/-{2,}/g, '-')
    .replace(/^-+/, '')
    .slice(0, MAX_ALIAS_LENGTH)
    .replace(/-+$/, '')
  if (alias === '') {
    throw new InputError(
      input,
      `'${raw}' has no letters or digits left to make a Netlify alias from.`,
      'Use letters, digits and hyphens, e.g. pr-12 or feature-login.',
    )
  }
  return alias
}
