import { offlineCompression } from '@django-deploy/shared/build'
import type { ProjectModel } from '@django-deploy/shared/detect'
import type { PullRequestInfo } from '@django-deploy/shared/github'
import type { Plan, PlanStep } from '@django-deploy/shared/plan'
import path from 'node:path'
import { OVERLAY_MODULE, staticOverlay } from './generate/django.js'
import type { GenerationPlan } from './generate/index.js'
import type { Inputs } from './inputs.js'
import type { Digest } from './netlify/digest.js'
import { plannedUploadMode, ZIP_UPLOAD_THRESHOLD } from './netlify/upload-mode.js'
import type { TargetDecision } from './target.js'

/**
 * The dry-run plan: what a real run with these inputs would do, step by step, with every command
 * and every request (secrets as ***). Nothing is built or sent to produce it; the settings are
 * loaded as the build loads them (in a scratch folder), so the content source and the generator
 * it names are the ones the run will use.
 */
export interface PlanInput {
  inputs: Inputs
  mode: Inputs['mode']
  project?: ProjectModel
  /** The project loaded with the build's settings: the content source and generator the run will use. */
  generation?: GenerationPlan
  decision?: TargetDecision
  digest?: Digest
  pullRequest?: PullRequestInfo
  site?: { id?: string; name?: string }
  /** The checkout (GITHUB_WORKSPACE): the overlay names the project's folder in it. */
  repoRoot: string
}

export function buildPlan({ inputs, mode, project, generation, decision, digest, pullRequest, site, repoRoot }: PlanInput): Plan {
  const summary: Array<[string, string]> = [
    ['Mode', mode],
    ['Provider', inputs.provider],
  ]
  const steps: PlanStep[] = []
  const files: Plan['files'] = []
  if (project) {
    summary.push(
      ['Project', project.managePy],
      ['Settings', `${project.settings.module} (${project.settings.reason})`],
      ['Generator', generation ? `${generation.generator} (${generation.reason})` : inputs.generator],
      [
        'Content',
        generation?.content ??
          (inputs.databaseUrl
            ? 'the database at database-url (not migrated)'
            : `the repository's SQLite database copied (a new one when it has none), migrated${inputs.fixtures.length ? `, with fixtures ${inputs.fixtures.join(', ')}` : ''}`),
      ],
    )
    files.push({
      path: `${OVERLAY_MODULE}.py (outside the checkout, on PYTHONPATH)`,
      content: staticOverlay(project, path.join(repoRoot, project.appDir)),
      reason: `production settings overlay for ${project.settings.module}`,
    })
    const manage = `python3 ${project.managePy}`
    if (!inputs.databaseUrl)
      steps.push({ kind: 'command', title: 'Create the content database', detail: `${manage} migrate --noinput` })
    if (inputs.fixtures.length)
      steps.push({ kind: 'command', title: 'Load fixtures', detail: `${manage} loaddata ${inputs.fixtures.join(' ')}` })
    if (inputs.generator === 'command')
      steps.push({
        kind: 'command',
        title: 'Run build-command',
        detail: `bash -eo pipefail -c ${JSON.stringify(inputs.buildCommand)}`,
      })
    else {
      steps.push({ kind: 'command', title: 'Collect static files', detail: `${manage} collectstatic --noinput` })
      const compression = offlineCompression(project)
      if (compression.needed)
        steps.push({
          kind: 'command',
          title: `Compress {% compress %} blocks offline (${compression.reason})`,
          detail: `${manage} compress --force`,
        })
      steps.push({
        kind: 'command',
        title: `Generate the site into ${inputs.outputDir}`,
        detail: generatorDetail(generation?.generator ?? inputs.generator, inputs.extraPaths),
      })
    }
    steps.push({
      kind: 'check',
      title: `Check every link and asset${inputs.failOnBrokenLinks ? ' (fail on broken links)' : ''}, in-place gzip, error pages, 404.html, forms that post; a 5xx or no HTML page always fails`,
    })
  }
  if (decision) {
    const siteRef = site?.id ? `/sites/${site.id}` : `/sites?name=${site?.name ?? ''}&filter=all (then POST /sites when missing)`
    summary.push(
      ['Netlify site', site?.id ?? site?.name ?? '?'],
      [
        'Target',
        `${decision.target.kind === 'alias' ? `alias ${decision.target.alias}` : decision.target.kind} (${decision.reason})`,
      ],
    )
    if (pullRequest) summary.push(['Pull request', `#${pullRequest.number}`])
    summary.push(['Upload mode', plannedUploadMode(decision.target, digest?.files.size)])
    steps.push({
      kind: 'http',
      title: 'Find the Netlify site',
      detail: `GET https://api.netlify.com/api/v1${siteRef}  (Authorization: Bearer ***)`,
    })
    const body = `{files: {…${digest ? `${digest.files.size} paths` : 'every file'}}, draft: ${decision.target.kind === 'draft'}${decision.target.kind === 'alias' ? `, branch: "${decision.target.alias}"` : ''}, async: ${digest ? digest.files.size > 100 : '>100 files'}}`
    steps.push({
      kind: 'http',
      title: 'Create the deploy with the SHA1 of every file',
      detail: `POST /api/v1/sites/{site_id}/deploys?title=…  ${body}`,
    })
    steps.push({
      kind: 'http',
      title: `Upload only the files Netlify does not have yet${digest ? ` (at most ${digest.files.size})` : ''}`,
      detail: 'PUT /api/v1/deploys/{deploy_id}/files/{path}  (16 at a time, retried on 429/5xx)',
    })
    if (decision.target.kind === 'production' && (digest === undefined || digest.files.size > ZIP_UPLOAD_THRESHOLD))
      steps.push({
        kind: 'http',
        title: `Instead, when Netlify needs more than ${ZIP_UPLOAD_THRESHOLD} files: cancel that deploy and send the whole site as one zip`,
        detail:
          'POST /api/v1/deploys/{deploy_id}/cancel, then POST /api/v1/sites/{site_id}/deploys?title=…  (Content-Type: application/zip)',
      })
    steps.push({
      kind: 'http',
      title: 'Wait until the deploy is ready',
      detail: 'GET /api/v1/sites/{site_id}/deploys/{deploy_id}',
    })
    if (inputs.githubDeployment)
      steps.push({
        kind: 'http',
        title: `GitHub Deployment '${decision.environment}'${decision.preview ? ' (transient)' : ''}`,
        detail: 'POST /repos/{owner}/{repo}/deployments, then statuses in_progress → success',
      })
    if (inputs.prComment && pullRequest)
      steps.push({
        kind: 'http',
        title: `Sticky comment on pull request #${pullRequest.number}`,
        detail: 'GET …/issues/{n}/comments (all pages), then PATCH the comment or POST one',
      })
  } else {
    steps.push({
      kind: 'file',
      title: `Leave the site in ${inputs.outputDir}`,
      detail: `python3 -m http.server -d ${inputs.outputDir}`,
    })
  }
  return { action: 'action-static', summary, files, steps }
}

export interface RetirePlanInput {
  inputs: Inputs
  /** The alias target and GitHub environment of the closed pull request's preview. */
  decision: TargetDecision & { target: { kind: 'alias'; alias: string } }
  pullRequest: PullRequestInfo
  site: { id?: string; name?: string }
}

/**
 * The dry-run plan when a pull request closes. Which deploys would be deleted is only known by
 * asking Netlify, so the plan lists the requests and the rule that picks them.
 */
export function buildRemovalPlan({ inputs, decision, pullRequest, site }: RetirePlanInput): Plan {
  const alias = decision.target.alias
  const summary: Array<[string, string]> = [
    ['Event', `pull request #${pullRequest.number} closed${pullRequest.merged ? ' (merged)' : ''}`],
    ['Netlify site', site.id ?? site.name ?? '?'],
    ['Preview', `alias ${alias} (${decision.reason})`],
    ['Build', 'none (nothing is checked out, installed or run)'],
  ]
  const siteRef = site.id ? `/sites/${site.id}` : `/sites?name=${site.name ?? ''}&filter=all  (never created when missing)`
  const steps: PlanStep[] = [
    {
      kind: 'http',
      title: 'Find the Netlify site and its published production deploy',
      detail: `GET https://api.netlify.com/api/v1${siteRef}  (Authorization: Bearer ***)`,
    },
    {
      kind: 'http',
      title: `List the deploys of alias ${alias}, every page`,
      detail: `GET /api/v1/sites/{site_id}/deploys?branch=${alias}&page=1&per_page=100, then page=2… until a page has fewer than 100`,
    },
    {
      kind: 'http',
      title: `Delete each deploy whose branch is ${alias}, oldest first, except the published production deploy and production-context deploys`,
      detail: 'DELETE /api/v1/sites/{site_id}/deploys/{deploy_id}  (404: already gone)',
      condition: 'once per deploy found; none found: nothing to remove',
    },
  ]
  if (inputs.githubDeployment) {
    steps.push({
      kind: 'http',
      title: `Mark the GitHub deployments of '${decision.environment}' inactive`,
      detail: `GET /repos/{owner}/{repo}/deployments?environment=${decision.environment} (all pages), then POST …/deployments/{id}/statuses {state: inactive} for each one not inactive yet`,
    })
  }
  if (inputs.prComment) {
    steps.push({
      kind: 'http',
      title: `Update the preview comment on pull request #${pullRequest.number}: the preview was removed`,
      detail: 'GET …/issues/{n}/comments (all pages), then PATCH the comment (or POST one)',
    })
  }
  return { action: 'action-static', summary, files: [], steps }
}

const CRAWL =
  "gunicorn (or runserver --insecure) on 127.0.0.1 and a crawl of /, the URLconf's parameterless patterns (admin left out), /robots.txt, /sitemap.xml"

function generatorDetail(generator: Inputs['generator'], extraPaths: string[]): string {
  const extra = extraPaths.length ? `, ${extraPaths.join(', ')}` : ''
  switch (generator) {
    case 'auto':
      return `django-bakery or django-distill when installed, else: ${CRAWL}${extra}`
    case 'crawl':
      return `${CRAWL}${extra}`
    default:
      return `generator ${generator}`
  }
}
