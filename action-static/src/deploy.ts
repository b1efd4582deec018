import { mkdtemp, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { findingsToReport } from '@django-deploy/shared/deploy'
import { ActionError, errorMessage } from '@django-deploy/shared/errors'
import { checkRequiredEnv, detectProject, type ProjectModel } from '@django-deploy/shared/detect'
import { buildEnvironment, overlayEnvironment } from '@django-deploy/shared/settings'
import type { GitHubClient } from '@django-deploy/shared/github'
import { withPullRequest, type EventContext, type PullRequestInfo } from '@django-deploy/shared/github'
import { GitHubDeployment } from '@django-deploy/shared/github'
import type { Outputs } from '@django-deploy/shared/github'
import { renderPreviewComment, upsertStickyComment } from '@django-deploy/shared/github'
import { reportedRun } from '@django-deploy/shared/github'
import { writeSummary, type DeploySummary } from '@django-deploy/shared/github'
import { findPullRequestForWorkflowRun } from '@django-deploy/shared/github'
import { renderPlan } from '@django-deploy/shared/plan'
import { Phases } from '@django-deploy/shared/runtime'
import { checkOutput } from './generate/checks.js'
import { generate, planGeneration, type GenerateResult } from './generate/index.js'
import { requireNetlifyCredentials, type Inputs } from './inputs.js'
import { netlifyForRun } from './netlify/api.js'
import { deploySite, resolveSite, type DeployResult } from './netlify/deploy.js'
import { digestDirectory } from './netlify/digest.js'
import type { NetlifySite } from './netlify/types.js'
import { buildPlan } from './plan.js'
import { findingsOf } from './report.js'
import { stripUntrustedRules } from './untrusted.js'
import { refuseShrinkingProduction } from './shrink.js'
import { decideTarget, type TargetDecision } from './target.js'
import { ACTION, type Deps, type OutputName, type RunResult } from './types.js'

/**
 * A build (and deploy) run of action-static: detect the project, render the site into output-dir,
 * check it, and deploy it to Netlify (production, a pull request's alias, or a draft) with its
 * reports (summary, outputs, PR comment, GitHub Deployment). main.ts decides that this run builds:
 * `mode` is the mode after the event policy (a fork's pull request builds only), `forkNotice` why.
 */
export async function deploy(
  inputs: Inputs,
  deps: Deps,
  policy: { mode: Inputs['mode']; forkNotice?: string },
): Promise<RunResult> {
  const { log } = deps
  for (const warning of inputs.warnings) log.warning(warning)
  if (inputs.aliasInput)
    log.notice(
      `alias '${inputs.aliasInput}' becomes '${inputs.alias}': Netlify aliases are lower-case letters, digits and hyphens, at most 37 characters.`,
    )
  const started = deps.now()
  const deadline = started + inputs.timeoutMs
  const repoRoot = deps.workspace
  const outputDir = path.resolve(repoRoot, inputs.outputDir)
  let context = deps.context
  const phaseTimes = new Phases(deps.now)
  const phases = phaseTimes.list
  const timed = <T>(name: string, fn: () => Promise<T>): Promise<T> => phaseTimes.time(name, fn)
  const { mode, forkNotice } = policy
  let site: { site: NetlifySite; created: boolean } | undefined
  let generated: GenerateResult | undefined
  let deployed: DeployResult | undefined
  let deployment: GitHubDeployment | undefined
  let deployedPages: number | undefined
  const warnings: string[] = [...inputs.warnings]
  if (forkNotice) warnings.push(forkNotice)
  const summarise = (summary: DeploySummary): Promise<boolean> =>
    writeSummary(summary, deps.secrets, deps.summary, deps.env as NodeJS.ProcessEnv)

  return reportedRun(
    {
      writeSummary: summarise,
      // A Deployment left in progress would show as deploying forever; the outputs help debugging.
      beforeSummary: async (error) => {
        if (deployment)
          await deployment
            .fail({ logUrl: context?.runUrl, description: errorMessage(error).slice(0, 120) })
            .catch(() => undefined)
        setOutputs(deps.outputs, inputs, generated, deployed, deployedPages)
      },
      failed: (reason) => ({
        action: ACTION,
        outcome: 'failed',
        target: { kind: 'site', name: siteLabel(inputs, site?.site) },
        reason,
        facts: facts(generated, deployed),
        phases,
        warnings,
        runUrl: context?.runUrl,
        commit: commit(context),
      }),
    },
    async (): Promise<RunResult> => {
      const deploying = inputs.provider === 'netlify' && mode !== 'build'
      const credentials = deploying ? requireNetlifyCredentials(inputs) : undefined

      // GitHub: without a token reporting cannot happen, and that is an error, never a silent skip.
      let github: GitHubClient | undefined
      const workflowRunOfPr = context?.workflowRun !== undefined && /^pull_request/.test(context.workflowRun.event)
      if (deploying && context && (inputs.prComment || inputs.githubDeployment || workflowRunOfPr) && !inputs.dryRun)
        github = deps.github(inputs.githubToken)

      let pullRequest: PullRequestInfo | undefined
      if (deploying && context?.workflowRun && workflowRunOfPr) {
        if (context.workflowRun.conclusion && context.workflowRun.conclusion !== 'success') {
          return skip(
            `the build run ${context.workflowRun.name || context.workflowRun.id} did not succeed (${context.workflowRun.conclusion}), so there is nothing to deploy.`,
          )
        }
        if (github) {
          const found = await findPullRequestForWorkflowRun(github, context, 'github-token')
          if (!found.found) return skip(found.message)
          pullRequest = found.pullRequest
          context = withPullRequest(context, pullRequest)
        }
      }
      const decision: TargetDecision | undefined = deploying ? decideTarget(inputs, context, pullRequest) : undefined

      const project = mode === 'deploy' ? undefined : await timed('Detect project', () => detect(inputs, deps, repoRoot))
      // Variables the settings need at import: the step's env: or what the generation sets itself.
      if (project)
        checkRequiredEnv(project.requiredEnv, {
          names: [
            ...Object.keys(deps.env).filter((name) => deps.env[name] !== undefined),
            ...Object.keys(buildEnvironment(project, 'settings')),
            ...Object.keys(
              overlayEnvironment({ settingsModule: 'settings', hosts: ['localhost'], https: false, secretKey: 'x', project }),
            ),
          ],
          where: "the step's env: (the action runs Django with it)",
          example: 'env: with NAME: ${{ vars.NAME }} or a secret',
        })
      // The dry run loads the settings as the build will (in a scratch folder), so its plan names
      // the content source and the generator the run will use, not the possibilities.
      const planSettings = async (loaded: NonNullable<typeof project>) => {
        const workDir = await mkdtemp(path.join(deps.env.RUNNER_TEMP || tmpdir(), 'action-static-plan-'))
        try {
          return await planGeneration({
            project: loaded,
            repoRoot,
            workDir,
            python: deps.python,
            runner: deps.runner,
            log,
            generator: inputs.generator,
            baseUrl: inputs.baseUrl,
            databaseUrl: inputs.databaseUrl,
            fixtures: inputs.fixtures,
            timeoutMs: Math.max(1000, deadline - deps.now()),
          })
        } finally {
          await rm(workDir, { recursive: true, force: true })
        }
      }
      if (inputs.dryRun) {
        const digest = mode === 'deploy' ? await digestDirectory(outputDir).catch(() => undefined) : undefined
        const generation = project ? await timed('Load settings', () => planSettings(project)) : undefined
        const plan = buildPlan({
          inputs,
          repoRoot,
          mode,
          project,
          generation,
          decision,
          digest,
          pullRequest: context?.pullRequest,
          site: credentials?.site,
        })
        log.info(renderPlan(plan))
        deps.outputs.set('output-dir', inputs.outputDir)
        await summarise({
          action: ACTION,
          outcome: 'planned',
          target: { kind: 'site', name: siteLabel(inputs) },
          destination: destinationLabel(inputs, decision),
          plan,
          runUrl: context?.runUrl,
          reason: forkNotice,
        })
        return { mode, skipped: 'dry-run' }
      }

      let baseUrl = inputs.baseUrl
      const api = credentials ? netlifyForRun(credentials.token, { ...deps, log }, deadline) : undefined

      // Knowing the site first lets pages and sitemaps carry their real public URL.
      if (api && credentials && decision && mode === 'all' && !baseUrl && decision.target.kind !== 'draft') {
        site = await timed('Netlify site', () => resolveSite(api, credentials.site, log))
        baseUrl =
          decision.target.kind === 'production'
            ? (site.site.ssl_url ?? `https://${site.site.name}.netlify.app`)
            : `https://${decision.target.alias}--${site.site.name}.netlify.app`
        log.info(`base-url not set: building for ${baseUrl}.`)
      }

      if (project) {
        const workDir = await mkdtemp(path.join(deps.env.RUNNER_TEMP || tmpdir(), 'action-static-'))
        try {
          generated = await timed('Build', () =>
            generate({
              project,
              repoRoot,
              outputDir,
              workDir,
              python: deps.python,
              runner: deps.runner,
              log,
              generator: inputs.generator,
              buildCommand: inputs.buildCommand,
              baseUrl,
              databaseUrl: inputs.databaseUrl,
              fixtures: inputs.fixtures,
              extraPaths: inputs.extraPaths,
              timeoutMs: Math.max(1000, deadline - deps.now()),
              startServer: deps.startServer,
              phase: phaseTimes.partsOf('Build'),
            }),
          )
        } finally {
          await rm(workDir, { recursive: true, force: true })
        }
        const findings = findingsOf(generated)
        for (const notice of findings.notices) log.notice(notice)
        for (const warning of findings.warnings) log.warning(warning)
        warnings.push(...findings.warnings)
        // Errors when they fail the build; otherwise one warning, worded as in the summary and the PR comment.
        for (const line of [...findings.fatal, ...(inputs.failOnBrokenLinks ? findings.broken : [])]) log.error(line)
        if (findings.fatal.length)
          throw new ActionError(
            `The site in ${inputs.outputDir} would be broken on a static host:\n${findings.fatal.map((line) => `  - ${line}`).join('\n')}`,
          )
        if (findings.broken.length) {
          // The same list in the log, the summary and the PR comment: no "listed above" where nothing is above.
          const message = brokenLinksMessage(findings.broken)
          if (inputs.failOnBrokenLinks)
            throw new ActionError(message, {
              input: 'fail-on-broken-links',
              hint: 'Fix the links (or the pages they point to), add pages only reachable otherwise to extra-paths, or set fail-on-broken-links: false to deploy anyway.',
            })
          log.warning(message)
          warnings.push(message)
        }
        log.info(
          `Built ${generated.check.pages} pages, ${generated.check.files} files into ${inputs.outputDir} (${generated.generator}).`,
        )
      } else {
        const info = await stat(outputDir).catch(() => undefined)
        if (!info?.isDirectory())
          throw new ActionError(`'${inputs.outputDir}' does not exist, so there is nothing to deploy.`, {
            input: 'output-dir',
            hint: 'In mode deploy, download the build artifact into output-dir first (actions/download-artifact with path: <output-dir>).',
          })
        if (workflowRunOfPr) warnings.push(...(await stripUntrustedRules(outputDir, log)))
        // The build job checked the links; here only the count is wanted (outputs, comment).
        const checked = await checkOutput(outputDir)
        deployedPages = checked.pages
        // An empty directory is refused by the digest ("no files"); files without any page are refused here.
        if (checked.files > 0 && deployedPages === 0)
          throw new ActionError(`'${inputs.outputDir}' has no HTML pages, so there is nothing to deploy.`, {
            input: 'output-dir',
            hint: 'Download the build artifact (the whole output-dir of the build job) into output-dir first.',
          })
      }

      if (api && credentials && decision) {
        const digest = await timed('Hash files', () => digestDirectory(outputDir))
        site ??= await timed('Netlify site', () => resolveSite(api, credentials.site, log))
        if (decision.target.kind === 'production' && !inputs.allowFewerPages)
          await refuseShrinkingProduction(api, site.site, generated?.check.pages ?? deployedPages, log)
        if (github && context && inputs.githubDeployment) {
          deployment = await GitHubDeployment.start(
            {
              client: github,
              repo: context.repo,
              sha: context.sha,
              environment: decision.environment,
              preview: decision.preview,
              description: `Netlify ${decision.target.kind}`,
              tokenInput: 'github-token',
            },
            context.runUrl,
          )
        }
        const resolved = site
        deployed = await timed('Deploy to Netlify', () =>
          deploySite(
            {
              api,
              log,
              site: credentials.site,
              digest,
              target: decision.target,
              title: deployTitle(context),
              deadline,
              tempDir: deps.env.RUNNER_TEMP || tmpdir(),
              now: deps.now,
              sleep: deps.sleep,
            },
            resolved.site,
            resolved.created,
          ),
        )
        log.info(
          `Deployed ${deployed.files} files (${deployed.uploaded} uploaded, ${deployed.unchanged} unchanged) to ${deployed.url} (${decision.reason}).`,
        )
        if (deployment) {
          await deployment.succeed({
            environmentUrl: deployed.url,
            logUrl: deployed.logsUrl ?? context?.runUrl,
            description: `${deployed.files} files, ${deployed.uploaded} uploaded`,
          })
        }
        if (github && context?.pullRequest && inputs.prComment) {
          const comment = await upsertStickyComment({
            client: github,
            repo: context.repo,
            issueNumber: context.pullRequest.number,
            action: 'static',
            key: deployed.site.name,
            body: commentBody(deployed, generated?.check.pages ?? deployedPages, context, warnings),
            secrets: deps.secrets,
            tokenInput: 'github-token',
          })
          log.info(`Pull request comment ${comment.outcome}${comment.url ? `: ${comment.url}` : ''}.`)
        }
      }

      setOutputs(deps.outputs, inputs, generated, deployed, deployedPages)
      if (deployed) {
        await summarise({
          action: ACTION,
          outcome: 'deployed',
          target: { kind: 'site', name: deployed.site.name },
          url: deployed.url,
          environment: decision?.environment,
          commit: commit(context),
          facts: facts(generated, deployed),
          created: deployed.siteCreated ? [`Netlify site ${deployed.site.name}`] : [],
          alreadyPresent: deployed.siteCreated ? [] : [`Netlify site ${deployed.site.name}`],
          phases,
          warnings,
          runUrl: context?.runUrl,
        })
      } else {
        const reason =
          inputs.provider === 'directory'
            ? `provider is 'directory': the site is in ${inputs.outputDir}, nothing was deployed`
            : `mode is 'build': the site is in ${inputs.outputDir}, nothing was deployed`
        await summarise({
          action: ACTION,
          outcome: 'skipped',
          target: { kind: 'site', name: siteLabel(inputs) },
          reason,
          facts: facts(generated, undefined),
          phases,
          warnings,
          runUrl: context?.runUrl,
          commit: commit(context),
        })
      }
      return { mode, generated, deployed }

      async function skip(reason: string): Promise<RunResult> {
        log.notice(`Not deploying: ${reason}`)
        await summarise({
          action: ACTION,
          outcome: 'skipped',
          target: { kind: 'site', name: siteLabel(inputs) },
          reason,
          runUrl: context?.runUrl,
        })
        return { mode, skipped: reason }
      }
    },
  )
}

async function detect(inputs: Inputs, deps: Deps, repoRoot: string): Promise<ProjectModel> {
  const project = await detectProject(
    {
      repoRoot,
      workingDirectory: inputs.workingDirectory === '.' ? undefined : inputs.workingDirectory,
      settingsModule: inputs.settingsModule,
      environment: deps.env,
      python: deps.python,
    },
    deps.runner,
  )
  // The site is rendered with the production overlay, and a static site has no database at run time.
  for (const finding of project.findings.filter((candidate) => candidate.level === 'notice')) deps.log.debug(finding.message)
  for (const finding of findingsToReport(project.findings, { overlay: true, databaseProvided: true })) {
    const location = finding.file ? { file: finding.file, line: finding.line } : undefined
    if (finding.level === 'warning') deps.log.warning(finding.message, location)
  }
  deps.log.info(`Django project: ${project.managePy}, settings ${project.settings.module} (${project.settings.reason}).`)
  return project
}

function setOutputs(
  outputs: Outputs<OutputName>,
  inputs: Inputs,
  generated: GenerateResult | undefined,
  deployed: DeployResult | undefined,
  deployedPages: number | undefined,
): void {
  outputs.setAll({
    'output-dir': inputs.outputDir,
    pages: generated?.check.pages ?? deployedPages,
    files: deployed?.files ?? generated?.check.files,
    url: deployed?.url,
    'deploy-url': deployed?.deployUrl,
    'deploy-id': deployed?.deploy.id,
    'files-uploaded': deployed?.uploaded,
    'files-unchanged': deployed?.unchanged,
  })
}

function facts(generated: GenerateResult | undefined, deployed: DeployResult | undefined): Array<[string, string]> {
  const rows: Array<[string, string]> = []
  if (generated) {
    rows.push(
      ['Generator', `${generated.generator} (${generated.reason})`],
      ['Content', generated.content],
      ['Pages', String(generated.check.pages)],
      ['Files', String(generated.check.files)],
    )
    if (generated.redirects) rows.push(['Redirects', `${generated.redirects} in _redirects`])
    if (generated.crawl)
      rows.push([
        'Crawl',
        `${generated.crawl.fetched} requests to ${generated.server?.kind === 'in-process' ? 'the in-process renderer' : (generated.server?.kind ?? 'the app')}; ${generated.crawl.queryUrls.length} query-string URLs, ${findingsOf(generated).broken.length} broken links, ${seedsNotFound(generated.crawl.missingSeeds.map((seed) => seed.url))}, ${generated.crawl.offsite} off-site links`,
      ])
  }
  if (deployed) {
    rows.push(
      ['Permalink', deployed.deployUrl],
      ['Upload mode', deployed.uploadMode.label],
      ['Uploaded', `${deployed.uploaded} of ${deployed.files} files (${deployed.unchanged} unchanged)`],
      ['Deploy', deployed.deploy.id],
    )
    if (deployed.logsUrl) rows.push(['Netlify log', deployed.logsUrl])
  }
  return rows
}

function seedsNotFound(urls: string[]): string {
  return `${urls.length} seed${urls.length === 1 ? '' : 's'} not found (a seed, not linked from any page)${urls.length ? `: ${urls.join(' ')}` : ''}`
}

function brokenLinksMessage(broken: string[]): string {
  const shown = broken.slice(0, 10)
  if (broken.length > 10) shown.push(`and ${broken.length - 10} more`)
  return `${broken.length} broken link${broken.length === 1 ? '' : 's'}: ${shown.join('; ')}.`
}

function commentBody(deployed: DeployResult, pages: number | undefined, context: EventContext, warnings: string[]): string {
  const factsRows: Array<[string, string]> = [['Permalink', deployed.deployUrl]]
  if (pages !== undefined) factsRows.push(['Pages', String(pages)])
  factsRows.push(['Files', `${deployed.files} (${deployed.uploaded} uploaded, ${deployed.unchanged} unchanged)`])
  return renderPreviewComment({
    title: `Preview of ${deployed.site.name} is ready`,
    url: deployed.url,
    commit: { sha: context.sha, url: `${context.serverUrl}/${context.repository}/commit/${context.sha}` },
    facts: factsRows,
    notes: warnings.slice(0, 10),
    runUrl: context.runUrl,
  })
}

function commit(context: EventContext | undefined): DeploySummary['commit'] {
  return context?.sha ? { sha: context.sha, url: `${context.serverUrl}/${context.repository}/commit/${context.sha}` } : undefined
}

function deployTitle(context: EventContext | undefined): string | undefined {
  if (!context) return undefined
  const pr = context.pullRequest ? ` (PR #${context.pullRequest.number})` : ''
  return `${context.sha.slice(0, 7)}${pr} via GitHub Actions run ${context.runId}`
}

export function siteLabel(inputs: Inputs, site?: NetlifySite): string {
  return site?.name ?? inputs.netlifySiteName ?? inputs.netlifySiteId ?? inputs.outputDir
}

function destinationLabel(inputs: Inputs, decision: TargetDecision | undefined): string {
  if (!decision) return `directory ${inputs.outputDir}`
  return decision.target.kind === 'alias' ? `Netlify alias ${decision.target.alias}` : `Netlify ${decision.target.kind}`
}
