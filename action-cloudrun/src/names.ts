/**
 * Cloud Run's naming rules and the URLs that follow from names, in one place: inputs.ts validates
 * with them and the planner predicts URLs with them.
 *
 * Services and jobs: lowercase letters, digits and dashes, starting with a letter, not ending with
 * a dash, at most 49 characters (the API's limit; gcloud itself only checks 63). Revision tags:
 * lowercase letters, digits and dashes, starting with a letter; `TAG---SERVICE` must fit a
 * 63-character DNS label.
 */
export const SERVICE_NAME = /^[a-z](?:[a-z0-9-]{0,47}[a-z0-9])?$/
export const MAX_SERVICE_NAME = 49
/** The migration job is named after the service; `-migrate` must still fit the 63-character resource limit. */
export const MIGRATE_JOB_SUFFIX = '-migrate'

export function serviceNameProblem(name: string): string | undefined {
  if (name.length > MAX_SERVICE_NAME) return `is ${name.length} characters long; Cloud Run allows at most ${MAX_SERVICE_NAME}.`
  if (/[A-Z]/.test(name)) return 'has uppercase letters; Cloud Run service names are lowercase.'
  if (!/^[a-z]/.test(name)) return 'must start with a lowercase letter.'
  if (name.endsWith('-')) return 'must not end with a dash.'
  if (!SERVICE_NAME.test(name)) return 'may contain only lowercase letters, digits and dashes.'
  return undefined
}

/** A name suggestion: "My_App" → "my-app". */
export function suggestServiceName(name: string): string {
  const cleaned = name
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^[^a-z]+/, '')
    .slice(0, MAX_SERVICE_NAME)
    .replace(/-+$/, '')
  return cleaned || 'my-service'
}

export function tagProblem(tag: string, service: string): string | undefined {
  if (!/^[a-z][a-z0-9-]*$/.test(tag) || tag.endsWith('-'))
    return 'must start with a lowercase letter and contain only lowercase letters, digits and dashes (not ending with one).'
  if (`${tag}---${service}`.length > 63) return `is too long: "${tag}---${service}" must fit in 63 characters (a DNS label).`
  return undefined
}

export const REGION = /^[a-z]+-[a-z]+\d+$/

/** Cloud SQL connection names: PROJECT:REGION:INSTANCE (PROJECT may be domain:project). */
export const CLOUDSQL_INSTANCE = /^[a-z][a-z0-9.-]*(:[a-z][a-z0-9-]*)?:[a-z]+-[a-z]+\d+:[a-z][a-z0-9-]*$/

/** Project IDs: 6–30 characters, lowercase letters, digits, dashes, starting with a letter (domain-scoped ones have a "domain:" prefix). */
export const PROJECT_ID = /^(?:[a-z][a-z0-9.-]*:)?[a-z][a-z0-9-]{4,28}[a-z0-9]$/

/** The deterministic service URL, known before the service exists (https://cloud.google.com/run/docs/triggering/https-request). */
export function predictedServiceUrl(service: string, projectNumber: string, region: string): string {
  return `https://${service}-${projectNumber}.${region}.run.app`
}

/** A tag's URL on the same host as a service URL: https://TAG---HOST. */
export function tagUrlFor(serviceUrl: string, tag: string): string {
  return serviceUrl.replace(/^https:\/\//, `https://${tag}---`)
}

export function hostOf(url: string): string {
  return new URL(url).host
}
