/**
 * Reading the Knative Service that `gcloud run deploy|services describe --format json` prints
 * (Cloud Run admin API v1). The URL outputs come from here: a tag's URL is looked up by that tag
 * only (never "the first URL found", which returns another tag's URL: deploy-cloudrun#589).
 */
export interface KnativeService {
  metadata?: { name?: string; namespace?: string; annotations?: Record<string, string> }
  spec?: { traffic?: Array<{ latestRevision?: boolean; percent?: number; revisionName?: string; tag?: string }> }
  status?: {
    url?: string
    latestCreatedRevisionName?: string
    latestReadyRevisionName?: string
    traffic?: Array<{ revisionName?: string; percent?: number; latestRevision?: boolean; tag?: string; url?: string }>
    conditions?: Array<{ type?: string; status?: string; message?: string }>
  }
}

export interface ServiceView {
  projectNumber?: string
  latestCreatedRevisionName?: string
  latestReadyRevisionName?: string
  /** Every service URL, the deterministic one (SERVICE-NUMBER.REGION.run.app) first. */
  urls: string[]
  /** status.url */
  url?: string
  /** The deterministic URL when the service has one, else status.url. */
  preferredUrl?: string
  /** Traffic follows the latest revision (no --no-traffic pin). */
  followsLatest: boolean
  /** "100% → svc-00002-abc; tags: pr-1 → svc-00003-def" */
  trafficLine: string
  tagUrl(tag: string): string | undefined
  /**
   * The traffic target holding `tag`, from status.traffic or, while a route change is still
   * rolling out (or failed), spec.traffic: gcloud edits spec, so a tag there is still there to remove.
   */
  tagged(tag: string): { revisionName?: string } | undefined
}

const DETERMINISTIC = /^https:\/\/[a-z0-9-]+-\d+\.[a-z0-9-]+\.run\.app\/?$/

export function readService(json: KnativeService): ServiceView {
  const status = json.status ?? {}
  const annotated = urlsAnnotation(json.metadata?.annotations?.['run.googleapis.com/urls'])
  const urls = [...new Set([...annotated, ...(status.url ? [status.url] : [])])].sort(
    (a, b) => Number(DETERMINISTIC.test(b)) - Number(DETERMINISTIC.test(a)),
  )
  const traffic = status.traffic ?? []
  const serving = traffic
    .filter((target) => (target.percent ?? 0) > 0)
    .map(
      (target) =>
        `${target.percent}% → ${target.revisionName ?? 'an unnamed revision'}${target.latestRevision ? ' (latest)' : ''}`,
    )
  const tags = traffic
    .filter((target) => target.tag)
    .map((target) => `${target.tag} → ${target.revisionName ?? 'an unnamed revision'}`)
  return {
    projectNumber: json.metadata?.namespace && /^\d+$/.test(json.metadata.namespace) ? json.metadata.namespace : undefined,
    latestCreatedRevisionName: status.latestCreatedRevisionName,
    latestReadyRevisionName: status.latestReadyRevisionName,
    urls,
    url: status.url,
    preferredUrl: urls.find((url) => DETERMINISTIC.test(url)) ?? status.url,
    followsLatest: (json.spec?.traffic ?? []).some((target) => target.latestRevision && (target.percent ?? 0) > 0),
    trafficLine: `${serving.join(', ') || 'no traffic'}${tags.length ? `; tags: ${tags.join(', ')}` : ''}`,
    tagUrl: (tag) => traffic.find((target) => target.tag === tag)?.url,
    tagged: (tag) => {
      const target =
        traffic.find((candidate) => candidate.tag === tag) ?? json.spec?.traffic?.find((candidate) => candidate.tag === tag)
      return (
        target && { revisionName: target.revisionName ?? (target.latestRevision ? status.latestReadyRevisionName : undefined) }
      )
    },
  }
}

/**
 * One row of `gcloud run services update-traffic --format json`: a traffic target with its tags.
 * gcloud's JSON has `revisionName` (and `latestRevision` for the target that follows the latest),
 * not the `displayRevisionId` of its table output.
 */
export interface TrafficPair {
  key?: string
  revisionName?: string
  latestRevision?: boolean
  displayPercent?: string
  specPercent?: string
  tags?: Array<{ tag?: string; url?: string }>
}

/** What serves after an update-traffic, and the tags left: "100% → svc-00002-abc; tags: pr-3 → svc-00003-def". */
export function trafficListingLine(pairs: TrafficPair[]): string {
  const serving = pairs
    .filter((pair) => Number(pair.specPercent ?? 0) > 0)
    .map((pair) => `${pair.displayPercent ?? `${pair.specPercent}%`} → ${revisionOf(pair)}`)
  const tags = pairs.flatMap((pair) =>
    (pair.tags ?? []).filter((tag) => tag.tag).map((tag) => `${tag.tag} → ${revisionOf(pair)}`),
  )
  return `${serving.join(', ') || 'no traffic'}${tags.length ? `; tags: ${tags.join(', ')}` : ''}`
}

/** The revision a traffic row names, in words when gcloud gives no name (never "?" or "undefined"). */
function revisionOf(pair: TrafficPair): string {
  if (pair.latestRevision) return pair.revisionName ? `the latest revision (${pair.revisionName})` : 'the latest revision'
  return pair.revisionName ?? (pair.key && pair.key !== 'LATEST' ? pair.key : 'an unnamed revision')
}

/** The run.googleapis.com/urls annotation: a JSON array held in a string. */
function urlsAnnotation(raw: string | undefined): string[] {
  if (!raw) return []
  try {
    const parsed: unknown = JSON.parse(raw)
    return Array.isArray(parsed) ? parsed.filter((url): url is string => typeof url === 'string') : []
  } catch {
    return []
  }
}
