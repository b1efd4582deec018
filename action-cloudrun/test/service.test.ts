import { describe, expect, it } from 'vitest'
import { readService, trafficListingLine, type KnativeService } from '../src/service.js'

/** `gcloud run services describe --format json` of a service with production traffic and two previews (Knative v1 shape). */
function described(
  overrides: { traffic?: NonNullable<KnativeService['status']>['traffic']; spec?: KnativeService['spec']; urls?: string } = {},
): KnativeService {
  return {
    metadata: {
      name: 'blog',
      namespace: '123456789012',
      annotations: {
        'run.googleapis.com/urls':
          overrides.urls ?? '["https://blog-123456789012.europe-west1.run.app","https://blog-abcdef123g-ew.a.run.app"]',
      },
    },
    spec: overrides.spec ?? {
      traffic: [
        { latestRevision: true, percent: 100 },
        { revisionName: 'blog-00003-abc', tag: 'pr-3' },
        { revisionName: 'blog-00004-def', tag: 'pr-7' },
      ],
    },
    status: {
      url: 'https://blog-abcdef123g-ew.a.run.app',
      latestCreatedRevisionName: 'blog-00004-def',
      latestReadyRevisionName: 'blog-00004-def',
      traffic: overrides.traffic ?? [
        { revisionName: 'blog-00002-xyz', percent: 100, latestRevision: true },
        { revisionName: 'blog-00003-abc', percent: 0, tag: 'pr-3', url: 'https://pr-3---blog-abcdef123g-ew.a.run.app' },
        { revisionName: 'blog-00004-def', percent: 0, tag: 'pr-7', url: 'https://pr-7---blog-abcdef123g-ew.a.run.app' },
      ],
      conditions: [{ type: 'Ready', status: 'True' }],
    },
  }
}

describe('readService', () => {
  it('a tag’s URL is that tag’s, never another tag’s (deploy-cloudrun#589)', () => {
    const service = readService(described())
    expect(service.tagUrl('pr-7')).toBe('https://pr-7---blog-abcdef123g-ew.a.run.app')
    expect(service.tagUrl('pr-3')).toBe('https://pr-3---blog-abcdef123g-ew.a.run.app')
    // A tag that is not on the service has no URL, rather than the first one found.
    expect(service.tagUrl('pr-9')).toBeUndefined()
    expect(service.tagUrl('pr')).toBeUndefined()
  })

  it('lists every URL, the deterministic one first, and prefers it', () => {
    const service = readService(
      described({ urls: '["https://blog-abcdef123g-ew.a.run.app","https://blog-123456789012.europe-west1.run.app"]' }),
    )
    expect(service.urls).toEqual(['https://blog-123456789012.europe-west1.run.app', 'https://blog-abcdef123g-ew.a.run.app'])
    expect(service.url).toBe('https://blog-abcdef123g-ew.a.run.app')
    expect(service.preferredUrl).toBe('https://blog-123456789012.europe-west1.run.app')
  })

  it('falls back to status.url when the annotation is missing or not JSON', () => {
    for (const urls of ['', 'not json', '{"a":1}']) {
      const service = readService(described({ urls }))
      expect(service.urls).toEqual(['https://blog-abcdef123g-ew.a.run.app'])
      expect(service.preferredUrl).toBe('https://blog-abcdef123g-ew.a.run.app')
    }
  })

  it('reads the project number, revisions and the traffic', () => {
    const service = readService(described())
    expect(service).toMatchObject({
      projectNumber: '123456789012',
      latestCreatedRevisionName: 'blog-00004-def',
      latestReadyRevisionName: 'blog-00004-def',
      followsLatest: true,
    })
    expect(service.trafficLine).toBe('100% → blog-00002-xyz (latest); tags: pr-3 → blog-00003-abc, pr-7 → blog-00004-def')
  })

  it('sees traffic pinned by an earlier --no-traffic deploy', () => {
    const pinned = readService(
      described({
        spec: {
          traffic: [
            { revisionName: 'blog-00002-xyz', percent: 100 },
            { latestRevision: true, percent: 0 },
          ],
        },
        traffic: [
          { revisionName: 'blog-00002-xyz', percent: 100 },
          {
            revisionName: 'blog-00004-def',
            percent: 0,
            tag: 'candidate',
            url: 'https://candidate---blog-abcdef123g-ew.a.run.app',
          },
        ],
      }),
    )
    expect(pinned.followsLatest).toBe(false)
    expect(pinned.trafficLine).toBe('100% → blog-00002-xyz; tags: candidate → blog-00004-def')
  })

  it('copes with an empty answer', () => {
    expect(readService({})).toMatchObject({ urls: [], projectNumber: undefined, followsLatest: false, trafficLine: 'no traffic' })
    expect(readService({ metadata: { namespace: 'demo-proj' } }).projectNumber).toBeUndefined()
  })

  it('tagged: the target holding a tag, from status, else from spec (a route change still rolling out)', () => {
    expect(readService(described()).tagged('pr-7')).toEqual({ revisionName: 'blog-00004-def' })
    expect(readService(described()).tagged('pr-9')).toBeUndefined()
    // Not in status yet, but in spec: gcloud edits spec, so the tag is there to remove.
    const specOnly = readService(described({ traffic: [{ revisionName: 'blog-00002-xyz', percent: 100, latestRevision: true }] }))
    expect(specOnly.tagged('pr-3')).toEqual({ revisionName: 'blog-00003-abc' })
    expect(specOnly.tagUrl('pr-3')).toBeUndefined()
    // A tag on LATEST names the revision LATEST currently is.
    const onLatest = readService(
      described({ spec: { traffic: [{ latestRevision: true, percent: 100, tag: 'current' }] }, traffic: [] }),
    )
    expect(onLatest.tagged('current')).toEqual({ revisionName: 'blog-00004-def' })
  })
})

describe('trafficListingLine', () => {
  it('what serves and the tags left, from `update-traffic --format json` (revisionName, as gcloud prints it)', () => {
    expect(
      trafficListingLine([
        {
          key: 'LATEST',
          revisionName: 'blog-00002-xyz',
          latestRevision: true,
          displayPercent: '100%',
          specPercent: '100',
          tags: [],
        },
        {
          key: 'blog-00003-abc',
          revisionName: 'blog-00003-abc',
          displayPercent: '0%',
          specPercent: '0',
          tags: [{ tag: 'pr-3', url: 'https://pr-3---blog-abcdef123g-ew.a.run.app' }],
        },
      ]),
    ).toBe('100% → the latest revision (blog-00002-xyz); tags: pr-3 → blog-00003-abc')
    expect(trafficListingLine([])).toBe('no traffic')
  })

  it('never prints "?" or "undefined" when gcloud names no revision', () => {
    const line = trafficListingLine([
      { key: 'LATEST', latestRevision: true, specPercent: '100', tags: [] },
      { specPercent: '0', tags: [{ tag: 'pr-1' }] },
    ])
    expect(line).toBe('100% → the latest revision; tags: pr-1 → an unnamed revision')
    expect(line).not.toMatch(/\?|undefined/)
  })
})
