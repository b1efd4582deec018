import { describe, expect, it } from 'vitest'
import { renderSummary } from '@django-deploy/shared/github'
import { createBed, REGION, type Bed } from './cloudrun-support.js'

/**
 * action-cloudrun on a closed pull request, against the gcloud stand-in: the preview tag goes, and
 * nothing else happens (no build, no migration, no deploy, production traffic as it was). The
 * workspace is a directory that does not exist: the remove job needs no checkout.
 */
const WHERE = `--region ${REGION} --project demo-proj`
// Someone signed in at a shell, for calling the stand-in directly.
const SIGNED_IN = { CLOUDSDK_CORE_ACCOUNT: 'deployer@demo-proj.iam.gserviceaccount.com' }
const PRODUCTION = 'https://blog-123456789012.europe-west1.run.app'
const NO_CHECKOUT = { GITHUB_WORKSPACE: '/nonexistent/workspace' }

/** A service deployed from main, with previews for pull requests 3 and 7. */
async function withPreviews(): Promise<{
  bed: Bed
  production: string
  previews: Record<number, { url: string; revision: string }>
}> {
  const bed = await createBed()
  bed.gcloud.addRepository(REGION, 'cloud-run-source-deploy')
  const main = await bed.deploy()
  expect(main.error).toBeUndefined()
  const previews: Record<number, { url: string; revision: string }> = {}
  for (const pullRequest of [3, 7]) {
    const preview = await bed.deploy({}, { pullRequest })
    expect(preview.error).toBeUndefined()
    previews[pullRequest] = { url: preview.outputs.url as string, revision: preview.outputs.revision as string }
    expect(await bed.gcloud.fetch(previews[pullRequest].url)).toMatchObject({
      status: 200,
      revision: previews[pullRequest].revision,
    })
  }
  return { bed, production: main.outputs.revision as string, previews }
}

describe('action-cloudrun: a closed pull request removes its preview tag', () => {
  it('removes pr-N and nothing else: no build, migration or deploy; production and other previews untouched', async () => {
    const { bed, production, previews } = await withPreviews()
    const before = bed.gcloud.service('blog', REGION)
    const attempt = await bed.deploy({}, { pullRequest: 7, action: 'closed', env: NO_CHECKOUT })
    expect(attempt.error).toBeUndefined()
    expect(attempt.commands).toEqual([
      'gcloud version --format json',
      'gcloud auth activate-service-account --key-file <work>/key.json',
      `gcloud run services describe blog ${WHERE} --format json`,
      `gcloud run services update-traffic blog --remove-tags pr-7 ${WHERE} --format json`,
    ])
    // The tag's URL stops answering; the other preview and production answer as before.
    expect(await bed.gcloud.fetch(previews[7]?.url as string)).toMatchObject({ status: 404 })
    expect(await bed.gcloud.fetch(previews[3]?.url as string)).toMatchObject({ status: 200, revision: previews[3]?.revision })
    expect(await bed.gcloud.fetch(PRODUCTION)).toMatchObject({ status: 200, revision: production })
    const after = bed.gcloud.service('blog', REGION)
    expect(after?.traffic).toEqual(before?.traffic.filter((target) => target.tag !== 'pr-7'))
    expect(after?.latestReadyRevisionName).toBe(before?.latestReadyRevisionName)
    // The revision itself stays, without traffic.
    expect(bed.gcloud.state().revisions[`demo-proj/${REGION}/${previews[7]?.revision}`]).toBeDefined()

    expect(attempt.result).toMatchObject({
      outcome: 'removed',
      removal: { tag: 'pr-7', removed: true, revision: previews[7]?.revision },
    })
    expect(attempt.outputs).toEqual({})
    const summary = attempt.summaries.at(-1)
    expect(summary).toMatchObject({ outcome: 'removed', target: { kind: 'service', name: 'blog (tag pr-7)' } })
    expect(summary?.facts).toContainEqual(['Revision', `${previews[7]?.revision} (kept, without traffic)`])
    expect(summary?.facts).toContainEqual(['Traffic', `100% → ${production}; tags: pr-3 → ${previews[3]?.revision}`])
    // No placeholder reaches the log: the traffic line names revisions as gcloud's JSON does.
    expect(attempt.log.text()).toContain(`Traffic: 100% → ${production}; tags: pr-3 → ${previews[3]?.revision}.`)
    expect(attempt.log.text()).not.toMatch(/→ \?|\bundefined\b/)
    expect(renderSummary(summary as NonNullable<typeof summary>)).toContain(
      "## Removed blog (tag pr-7): pull request #7 closed; the tag's URL no longer answers",
    )
  })

  it('closed again: the tag is already gone, so nothing changes and the run succeeds with a notice', async () => {
    const { bed } = await withPreviews()
    const first = await bed.deploy({}, { pullRequest: 7, action: 'closed', env: NO_CHECKOUT })
    expect(first.error).toBeUndefined()
    const before = bed.gcloud.service('blog', REGION)
    const again = await bed.deploy({}, { pullRequest: 7, action: 'closed', env: NO_CHECKOUT })
    expect(again.error).toBeUndefined()
    expect(again.commands).toEqual([
      'gcloud version --format json',
      'gcloud auth activate-service-account --key-file <work>/key.json',
      `gcloud run services describe blog ${WHERE} --format json`,
    ])
    expect(bed.gcloud.service('blog', REGION)).toEqual(before)
    expect(again.log.entries).toContainEqual(
      expect.objectContaining({
        level: 'notice',
        message: expect.stringContaining('Nothing to remove: service blog has no tag pr-7'),
      }),
    )
    expect(again.result).toMatchObject({ outcome: 'removed', removal: { tag: 'pr-7', removed: false } })
    expect(again.outputs).toEqual({})
    expect(again.summaries.at(-1)).toMatchObject({
      outcome: 'removed',
      reason: 'pull request #7 closed; the tag was already gone (nothing changed)',
    })
  })

  it('closed before the service exists: success with a notice, nothing created', async () => {
    const bed = await createBed()
    const attempt = await bed.deploy({}, { pullRequest: 5, action: 'closed', env: NO_CHECKOUT })
    expect(attempt.error).toBeUndefined()
    expect(attempt.commands).toEqual([
      'gcloud version --format json',
      'gcloud auth activate-service-account --key-file <work>/key.json',
      `gcloud run services describe blog ${WHERE} --format json`,
    ])
    expect(bed.gcloud.state().services).toEqual({})
    expect(attempt.log.entries).toContainEqual(
      expect.objectContaining({
        level: 'notice',
        message: expect.stringContaining('Nothing to remove: service blog does not exist in europe-west1 (project demo-proj)'),
      }),
    )
    expect(attempt.result).toMatchObject({ outcome: 'removed', removal: { tag: 'pr-5', removed: false } })
    expect(attempt.summaries.at(-1)).toMatchObject({
      outcome: 'removed',
      reason: expect.stringContaining('service blog does not exist'),
    })
  })

  it('dry-run: prints the describe and update-traffic commands and runs no gcloud at all', async () => {
    const { bed } = await withPreviews()
    const before = bed.gcloud.service('blog', REGION)
    const attempt = await bed.deploy(
      { 'dry-run': 'true', 'project-id': 'demo-proj' },
      { pullRequest: 7, action: 'closed', env: NO_CHECKOUT },
    )
    expect(attempt.error).toBeUndefined()
    expect(attempt.commands).toEqual([])
    expect(attempt.result?.outcome).toBe('planned')
    expect(attempt.result?.plan.steps.map((step) => step.detail)).toEqual([
      'gcloud version --format json',
      'gcloud auth activate-service-account --key-file <RUNNER_TEMP>/…/key.json',
      `gcloud run services describe blog ${WHERE} --format json`,
      `gcloud run services update-traffic blog --remove-tags pr-7 ${WHERE} --format json`,
    ])
    expect(bed.gcloud.service('blog', REGION)).toEqual(before)
    expect(attempt.outputs).toEqual({})
    expect(renderSummary(attempt.summaries.at(-1) as NonNullable<ReturnType<typeof attempt.summaries.at>>)).toContain(
      '## Dry run: would remove blog (tag pr-7): pull request #7 closed; nothing is built, migrated or deployed (nothing was changed)',
    )
  })

  it('an explicit tag: the closed run removes that tag (the one its previews were deployed under)', async () => {
    const bed = await createBed()
    bed.gcloud.addRepository(REGION, 'cloud-run-source-deploy')
    expect((await bed.deploy()).error).toBeUndefined()
    const preview = await bed.deploy({ tag: 'feature-x' }, { pullRequest: 8, event: 'pull_request_target' })
    expect(preview.error).toBeUndefined()
    expect(await bed.gcloud.fetch(preview.outputs.url as string)).toMatchObject({ status: 200 })
    const attempt = await bed.deploy(
      { tag: 'feature-x' },
      { pullRequest: 8, action: 'closed', event: 'pull_request_target', env: NO_CHECKOUT },
    )
    expect(attempt.error).toBeUndefined()
    expect(attempt.commands.at(-1)).toBe(`gcloud run services update-traffic blog --remove-tags feature-x ${WHERE} --format json`)
    expect(await bed.gcloud.fetch(preview.outputs.url as string)).toMatchObject({ status: 404 })
  })
})

describe('gcloud stand-in: update-traffic --remove-tags as gcloud does it', () => {
  it('a tag the service does not have: exit 0, traffic unchanged (gcloud skips unknown tags without a word)', async () => {
    const { bed } = await withPreviews()
    const before = bed.gcloud.service('blog', REGION)?.traffic
    const result = await bed.gcloud.exec(
      [
        'run',
        'services',
        'update-traffic',
        'blog',
        '--remove-tags',
        'pr-404',
        '--region',
        REGION,
        '--project',
        'demo-proj',
        '--format',
        'json',
      ],
      SIGNED_IN,
    )
    expect(result.exitCode, result.stderr).toBe(0)
    expect(bed.gcloud.service('blog', REGION)?.traffic).toEqual(before)
    expect(JSON.parse(result.stdout)).toHaveLength(before?.length ?? -1)
  })

  it('no traffic or tag flag, and a missing service: gcloud’s own messages', async () => {
    const bed = await createBed()
    const none = await bed.gcloud.exec(
      ['run', 'services', 'update-traffic', 'blog', '--region', REGION, '--project', 'demo-proj'],
      SIGNED_IN,
    )
    expect(none).toMatchObject({
      exitCode: 1,
      stderr: 'ERROR: (gcloud.run.services.update-traffic) No traffic configuration change requested.\n',
    })
    const missing = await bed.gcloud.exec(
      ['run', 'services', 'update-traffic', 'nope', '--remove-tags', 'pr-1', '--region', REGION, '--project', 'demo-proj'],
      SIGNED_IN,
    )
    expect(missing).toMatchObject({
      exitCode: 1,
      stderr: 'ERROR: (gcloud.run.services.update-traffic) Service [nope] could not be found.\n',
    })
  })
})
