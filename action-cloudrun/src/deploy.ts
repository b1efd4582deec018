import { checkRequiredEnv } from '@django-deploy/shared/detect'
import { rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { ActionError } from '@django-deploy/shared/errors'
import { commitUrl } from '@django-deploy/shared/github'
import { reportedRun } from '@django-deploy/shared/github'
import { renderPlan, type Plan, type PlanStep } from '@django-deploy/shared/plan'
import type { Logger } from '@django-deploy/shared/runtime'
import { checkRevision } from './check.js'
import { GcloudError, gcloudMessage, type Gcloud } from './gcloud.js'
import type { CloudRunInputs } from './inputs.js'
import {
  buildArgs,
  CHECK_TAG,
  chooseTarget,
  deployArgs,
  describeExecutionArgs,
  describeRevisionArgs,
  describeServiceArgs,
  environment,
  envVarsFile,
  gcloudSetupSteps,
  imageRepository,
  migrateArgs,
  removeTagArgs,
  serverEnvironment,
  serviceUrls,
  updateTrafficArgs,
  type ServiceFacts,
  type Target,
} from './plan.js'
import { buildContext, prepareProject, sqliteProblem, type PreparedProject } from './project.js'
import { readService, type KnativeService } from './service.js'
import { makeWorkDir, openGcloud, phaseTimer } from './session.js'
import { summaryFacts } from './report.js'
import { ACTION, type Deps, type OutputName, type RunResult } from './types.js'

/**
 * A deploy run of action-cloudrun: prepare the project, authenticate, read the service, build the
 * image (or take the given one), migrate in a Cloud Run job, deploy by digest, check the new
 * revision, move traffic, report. Every side effect comes in through `deps`.
 */
export async function deploy(inputs: CloudRunInputs, deps: Deps): Promise<RunResult> {
  const { log } = deps
  const { time, list: phases } = phaseTimer(log, deps.now)
  const repoRoot = deps.env.GITHUB_WORKSPACE || process.cwd()
  const pullRequest = deps.context?.eventName.startsWith('pull_request') ? deps.context.pullRequest?.number : undefined
  const sha = deps.context?.sha || deps.env.GITHUB_SHA || 'latest'
  const warnings: string[] = []
  const report: Partial<Record<OutputName, string>> = {}
  let target: Target | undefined
  let plan: Plan | undefined
  return reportedRun(
    {
      writeSummary: deps.writeSummary,
      // What a user needs to debug the failure: the build's image and the revision's log.
      beforeSummary: () => {
        if (report['log-url']) deps.outputs.set('log-url', report['log-url'])
        if (report.image) deps.outputs.set('image', report.image)
      },
      failed: (reason) => ({
        action: ACTION,
        outcome: 'failed',
        target: { kind: 'service', name: inputs.service },
        reason,
        facts: summaryFacts(report, undefined, target),
        phases,
        warnings,
        plan,
        runUrl: deps.context?.runUrl,
      }),
    },
    async (): Promise<RunResult> => {
      const prepared = inputs.image
        ? undefined
        : await time('Detect project', () => prepareProject(inputs, repoRoot, deps.runner, deps.env))
      // Before any remote command: a SQLite project would deploy green and lose its data.
      const sqlite = prepared && sqliteProblem(inputs, prepared.project)
      if (sqlite) throw sqlite
      if (prepared && inputs.allowSqlite && sqliteProblem({ ...inputs, allowSqlite: false }, prepared.project))
        warnings.push(
          'allow-sqlite: true: the database is SQLite, so each instance keeps its own copy and data is lost on every deploy.',
        )
      for (const note of prepared?.notes ?? []) {
        if (note.level === 'notice') log.info(note.message)
        else {
          log.warning(note.message, note.file ? { file: note.file, line: note.line } : undefined)
          warnings.push(note.message)
        }
      }
      if (
        !inputs.secrets.some((secret) => secret.env === 'SECRET_KEY') &&
        !inputs.envVars.some((variable) => variable.key === 'SECRET_KEY')
      ) {
        warnings.push(
          "No SECRET_KEY was given, so the settings' own key is used. Store one in Secret Manager and pass `secrets: SECRET_KEY=<secret>:latest`.",
        )
      }

      // Variables the settings need at import: env-vars, secrets, or what this run sets (PORT is Cloud Run's).
      if (prepared)
        checkRequiredEnv(prepared.project.requiredEnv, {
          names: [
            ...Object.keys(deployEnvironment(inputs, prepared, ['https://example.run.app'], undefined)),
            ...inputs.secrets.map((secret) => secret.env),
            'PORT',
            'K_SERVICE',
            'K_REVISION',
            'K_CONFIGURATION',
          ],
          where: 'the env-vars input (or secrets)',
          input: 'env-vars',
          example: 'secret values belong in secrets',
        })
      plan = dryPlan(inputs, prepared, pullRequest, sha)
      log.info(renderPlan(plan))
      if (inputs.dryRun) {
        await deps.writeSummary({
          action: ACTION,
          outcome: 'planned',
          target: { kind: 'service', name: inputs.service },
          destination: `Cloud Run ${inputs.region}`,
          warnings,
          plan,
          runUrl: deps.context?.runUrl,
        })
        return { outcome: 'planned', urls: [], plan }
      }

      const workDir = await makeWorkDir(deps.env)
      try {
        const { gcloud, project } = await openGcloud(inputs, deps, workDir, time)

        const facts = await time('Read service', () => readFacts(gcloud, inputs, project, log))
        target = chooseTarget(inputs, facts, pullRequest)
        if (target.migrateSkipped) {
          log.info(`Migrations skipped: ${target.migrateSkipped}.`)
          warnings.push(`Migrations were not run: ${target.migrateSkipped}.`)
        }
        const urls = serviceUrls(inputs, facts)
        const env = deployEnvironment(inputs, prepared, urls, target.tag)
        const envFile = join(workDir, 'env.yaml')
        await writeFile(envFile, envVarsFile(env), { mode: 0o600 })

        const image = inputs.image
          ? await resolveImage(gcloud, inputs.image, project)
          : await time('Build image', () =>
              buildImage(gcloud, inputs, prepared as PreparedProject, project, sha, repoRoot, workDir, deps, report),
            )
        report.image = image

        if (target.migrate) {
          await time('Migrate', async () => {
            const result = await migrate(gcloud, inputs, facts, image, envFile, report)
            log.info(`Migrations ran in execution ${result}.`)
          })
        }

        const deployed = await time('Deploy revision', async () => {
          try {
            return readService(
              await gcloud.json<KnativeService>(deployArgs(inputs, facts, target as Target, image, envFile), {
                timeoutMs: inputs.timeoutMs,
              }),
            )
          } catch (error) {
            if (error instanceof GcloudError) {
              const logUrl = /Logs URL: (\S+)/.exec(error.stderr)?.[1]
              if (logUrl) report['log-url'] = logUrl
              throw new ActionError(`The new revision of ${inputs.service} did not start: ${error.gcloudMessage}`, {
                hint: facts.exists
                  ? 'The previous revision keeps serving. Read the revision log (log-url) for the traceback; a missing setting or a crash at import time is the usual cause.'
                  : 'Read the revision log (log-url) for the traceback.',
                cause: error,
              })
            }
            throw error
          }
        })
        const revision = deployed.latestCreatedRevisionName
        report.revision = revision

        if (!facts.projectNumber && deployed.projectNumber) {
          // Hosts could not be predicted (no permission to read the project): set them now that the URL is known.
          warnings.push(
            'The project number could not be read before the first deploy, so a second revision was needed to set ALLOWED_HOSTS. Grant the deployer resourcemanager.projects.get to avoid it.',
          )
          facts.projectNumber = deployed.projectNumber
          facts.urls = deployed.urls
          const fixed = deployEnvironment(inputs, prepared, serviceUrls(inputs, facts), target.tag)
          await writeFile(envFile, envVarsFile(fixed), { mode: 0o600 })
          const again = readService(
            await gcloud.json<KnativeService>(
              deployArgs(inputs, { ...facts, exists: true }, { ...target, noTraffic: false }, image, envFile),
              { timeoutMs: inputs.timeoutMs },
            ),
          )
          report.revision = again.latestCreatedRevisionName
        }

        // A new service is checked on its deterministic URL, even when tagged: that is the host
        // ALLOWED_HOSTS was given (a tag's URL is on the other domain, known only once the service
        // exists), and the first revision takes all traffic anyway.
        const checkUrl = target.tag && facts.exists ? deployed.tagUrl(target.tag) : deployed.preferredUrl
        if (target.check && checkUrl) {
          await time('Check revision', async () => {
            const check = await checkRevision(checkUrl, {
              probe: deps.probe,
              sleep: deps.sleep,
              now: deps.now,
              deadline: deps.now() + Math.min(inputs.timeoutMs, 180_000),
              token: inputs.allowUnauthenticated ? undefined : () => identityToken(gcloud, log),
              progress: (message) => log.info(message),
            })
            if (!check.ok) {
              const logUrl = await revisionLogUrl(gcloud, report.revision as string, facts)
              if (logUrl) report['log-url'] = logUrl
              // The safe rollout's own tag goes with the failed revision: its URL would keep serving it.
              let tagNote = ''
              if (target?.tag === CHECK_TAG && inputs.tag === undefined && target?.moveTraffic) {
                const removed = await gcloud.json(removeTagArgs(inputs, facts, CHECK_TAG), { timeoutMs: inputs.timeoutMs }).then(
                  () => true,
                  (error: unknown) => {
                    log.warning(`Could not remove the tag ${CHECK_TAG} from the failed revision: ${(error as Error).message}`)
                    return false
                  },
                )
                if (removed) log.info(`Removed the tag ${CHECK_TAG} that this safe rollout added to ${report.revision}.`)
                tagNote = removed
                  ? `The tag ${CHECK_TAG} this rollout added was removed. `
                  : `Remove the tag ${CHECK_TAG} by hand: gcloud run services update-traffic ${inputs.service} --remove-tags ${CHECK_TAG}. `
              }
              throw new ActionError(
                `The new revision ${report.revision} does not answer properly at ${checkUrl}: ${check.problem}.`,
                {
                  hint: `${target?.moveTraffic || target?.kind === 'preview' ? 'Traffic was not moved: the previous revision keeps serving. ' : ''}${tagNote}${check.hint}`,
                },
              )
            }
            log.info(`${checkUrl} answered ${check.status}.`)
          })
        }

        if (target.moveTraffic) {
          await time('Move traffic', () => gcloud.json(updateTrafficArgs(inputs, facts), { timeoutMs: inputs.timeoutMs }))
        }

        const final = readService(await gcloud.json<KnativeService>(describeServiceArgs(inputs, facts)))
        const url = target.kind === 'preview' && target.tag ? final.tagUrl(target.tag) : final.preferredUrl
        report.url = url
        report.urls = JSON.stringify(final.urls)
        deps.outputs.setAll({
          url,
          urls: report.urls,
          revision: report.revision,
          image: report.image,
          'migration-execution': report['migration-execution'],
        })
        await deps.writeSummary({
          action: ACTION,
          outcome: 'deployed',
          target: { kind: 'service', name: inputs.service },
          url,
          commit: deps.context ? { sha: deps.context.sha, url: commitUrl(deps.context) } : undefined,
          environment: target.kind === 'preview' ? `preview (tag ${target.tag}, no traffic)` : 'production',
          facts: summaryFacts(report, final.trafficLine, target),
          phases,
          warnings,
          plan,
          runUrl: deps.context?.runUrl,
        })
        return {
          outcome: 'deployed',
          target,
          url,
          urls: final.urls,
          revision: report.revision,
          image,
          migrationExecution: report['migration-execution'],
          plan,
        }
      } finally {
        await rm(workDir, { recursive: true, force: true })
      }
    },
  )
}

/** The environment of the service and its migration job (the `--env-vars-file`), for this project and these URLs. */
export function deployEnvironment(
  inputs: CloudRunInputs,
  prepared: PreparedProject | undefined,
  urls: string[],
  tag: string | undefined,
): Record<string, string> {
  return environment({
    inputs,
    project: prepared?.project,
    settingsModule: prepared?.settingsModule ?? inputs.settingsModule,
    // Only for the generated image: another image's CMD may read these variables differently, or not at all.
    server: prepared?.dockerfileGenerated ? serverEnvironment(inputs) : undefined,
    urls,
    tag,
  })
}

async function readFacts(gcloud: Gcloud, inputs: CloudRunInputs, project: string, log: Logger): Promise<ServiceFacts> {
  const facts: ServiceFacts = { project, region: inputs.region, exists: false, urls: [], trafficPinned: false }
  const result = await gcloud.exec(describeServiceArgs(inputs, facts))
  if (result.exitCode === 0) {
    const service = readService(JSON.parse(result.stdout) as KnativeService)
    facts.exists = true
    facts.urls = service.urls
    facts.projectNumber = service.projectNumber
    facts.trafficPinned = !service.followsLatest
    log.info(
      `Service ${inputs.service} exists (revision ${service.latestReadyRevisionName ?? 'none ready'}); ${service.trafficLine}.`,
    )
    return facts
  }
  if (!/Cannot find service/.test(result.stderr)) throw new GcloudError(describeServiceArgs(inputs, facts), result)
  log.info(`Service ${inputs.service} does not exist yet in ${project}/${inputs.region}: it will be created.`)
  const described = await gcloud.exec(['projects', 'describe', project, '--format', 'json'])
  if (described.exitCode === 0) facts.projectNumber = (JSON.parse(described.stdout) as { projectNumber?: string }).projectNumber
  else
    log.warning(
      `Could not read the number of project ${project} (${gcloudMessage(described.stderr).split('\n')[0]}); the service URL is set once it is known.`,
    )
  return facts
}

async function resolveImage(gcloud: Gcloud, image: string, project: string): Promise<string> {
  if (/@sha256:[0-9a-f]{64}$/.test(image) || !/-docker\.pkg\.dev\//.test(image)) return image
  const described = await gcloud.json<{ image_summary?: { fully_qualified_digest?: string } }>(
    ['artifacts', 'docker', 'images', 'describe', image, '--project', project, '--format', 'json'],
    {
      hint: 'Check the image name and tag, and that the deploying account can read the repository (roles/artifactregistry.reader).',
    },
  )
  return described.image_summary?.fully_qualified_digest ?? image
}

async function buildImage(
  gcloud: Gcloud,
  inputs: CloudRunInputs,
  prepared: PreparedProject,
  project: string,
  sha: string,
  repoRoot: string,
  workDir: string,
  deps: Deps,
  report: Partial<Record<OutputName, string>>,
): Promise<string> {
  const repository = [
    'artifacts',
    'repositories',
    'describe',
    inputs.repository,
    '--location',
    inputs.region,
    '--project',
    project,
    '--format',
    'json',
  ]
  const existing = await gcloud.exec(repository)
  if (existing.exitCode !== 0) {
    if (!/NOT_FOUND/.test(existing.stderr)) throw new GcloudError(repository, existing)
    deps.log.info(`Creating the Artifact Registry repository ${inputs.repository} in ${inputs.region}.`)
    await gcloud.run([
      'artifacts',
      'repositories',
      'create',
      inputs.repository,
      '--repository-format',
      'docker',
      '--location',
      inputs.region,
      '--project',
      project,
    ])
  }
  const context = join(workDir, 'context')
  const exported = await buildContext({
    repoRoot,
    subdirectory: inputs.workingDirectory,
    files: prepared.files,
    runner: deps.runner,
    destination: context,
    tempDir: workDir,
  })
  for (const warning of exported.warnings) deps.log.warning(warning)
  const tag = `${imageRepository(inputs, project)}:${sha}`
  const args = buildArgs(context, tag, project)
  const result = await gcloud.exec(args, { timeoutMs: inputs.timeoutMs })
  if (result.exitCode !== 0) {
    const buildId = /\/builds\/([0-9a-f-]{36})\]/.exec(result.stderr)?.[1]
    const logUrl = /Logs are available at \[ (\S+) \]/.exec(result.stderr)?.[1]
    if (logUrl) report['log-url'] = logUrl
    let tail = ''
    if (buildId) {
      const logResult = await gcloud.exec(['builds', 'log', buildId, '--project', project])
      tail = logResult.stdout.trimEnd().split('\n').slice(-25).join('\n')
      if (tail) deps.log.info(`Last lines of the build log:\n${tail}`)
    }
    throw new ActionError(
      `The image build failed: ${gcloudMessage(result.stderr).split('\n')[0]}${/BUILD FAILURE: (.*)/.exec(result.stderr)?.[1] ? ` (${/BUILD FAILURE: (.*)/.exec(result.stderr)?.[1]})` : ''}${tail ? `\nLast lines of the build log:\n${tail}` : ''}`,
      {
        hint: `Read the full build log${logUrl ? ` at ${logUrl}` : ''}. A dependency that does not install or collectstatic failing at build time are the usual causes; the generated Dockerfile is shown in the plan.`,
      },
    )
  }
  const build = JSON.parse(result.stdout) as { results?: { images?: Array<{ name?: string; digest?: string }> } }
  const digest = build.results?.images?.find((image) => image.name === tag)?.digest
  if (digest) return `${imageRepository(inputs, project)}@${digest}`
  // Kaniko builds (builds/use_kaniko) push without reporting the digest: ask the registry.
  return resolveImage(gcloud, tag, project)
}

async function migrate(
  gcloud: Gcloud,
  inputs: CloudRunInputs,
  facts: ServiceFacts,
  image: string,
  envFile: string,
  report: Partial<Record<OutputName, string>>,
): Promise<string> {
  const args = migrateArgs(inputs, facts, image, envFile)
  const result = await gcloud.exec(args, { timeoutMs: inputs.timeoutMs + 60_000 })
  const name =
    /completed execution \[([a-z0-9-]+)\]/.exec(result.stderr)?.[1] ?? /executions describe ([a-z0-9-]+)/.exec(result.stderr)?.[1]
  if (name) report['migration-execution'] = name
  let execution:
    { status?: { logUri?: string; conditions?: Array<{ type?: string; status?: string; message?: string }> } } | undefined
  if (name) {
    const described = await gcloud.exec(describeExecutionArgs(name, facts))
    if (described.exitCode === 0) execution = JSON.parse(described.stdout)
  }
  if (result.exitCode !== 0) {
    const logUri = execution?.status?.logUri
    if (logUri) report['log-url'] = logUri
    const reason = execution?.status?.conditions?.find(
      (condition) => condition.type === 'Completed' && condition.status === 'False',
    )?.message
    throw new ActionError(
      `Migrations failed${name ? ` (job execution ${name})` : ''}: ${reason ?? gcloudMessage(result.stderr).split('\n')[0]}`,
      {
        hint: `Nothing was deployed and traffic was not moved. Read the migration log${logUri ? ` at ${logUri}` : ''}; fix the migration or the DATABASE_URL/Cloud SQL settings and re-run.`,
      },
    )
  }
  if (!name)
    throw new ActionError('The migration job ran, but gcloud did not say which execution it was.', {
      hint: 'This is unexpected; please report it with the log.',
    })
  return name
}

/** The revision's log in the console (status.logUrl of `run revisions describe`). */
async function revisionLogUrl(gcloud: Gcloud, revision: string, facts: ServiceFacts): Promise<string | undefined> {
  const result = await gcloud.exec(describeRevisionArgs(revision, facts))
  if (result.exitCode !== 0) return undefined
  return (JSON.parse(result.stdout) as { status?: { logUrl?: string } }).status?.logUrl
}

async function identityToken(gcloud: Gcloud, log: Logger): Promise<string | undefined> {
  const result = await gcloud.exec(['auth', 'print-identity-token'])
  const token = result.exitCode === 0 ? result.stdout.trim() : ''
  if (!token) return undefined
  log.setSecret(token)
  return token
}

/** The plan shown before every run and as the whole of a dry run: files, then every gcloud command. */
export function dryPlan(
  inputs: CloudRunInputs,
  prepared: PreparedProject | undefined,
  pullRequest: number | undefined,
  sha: string,
): Plan {
  const project = inputs.projectId ?? '<project of the credentials>'
  const facts: ServiceFacts = { project, region: inputs.region, exists: true, urls: [], trafficPinned: false }
  const preview = pullRequest !== undefined
  const existing = chooseTarget(inputs, { exists: true, trafficPinned: false }, pullRequest)
  const image = inputs.image ?? `${imageRepository(inputs, project)}@<digest of :${sha}>`
  const steps: PlanStep[] = [
    ...gcloudSetupSteps(inputs),
    {
      kind: 'command',
      title: 'Read the service (does it exist, its URLs, the project number)',
      detail: `gcloud ${describeServiceArgs(inputs, facts).join(' ')}`,
    },
  ]
  if (!inputs.image) {
    steps.push(
      {
        kind: 'command',
        title: `Make sure the Artifact Registry repository ${inputs.repository} exists`,
        detail: `gcloud artifacts repositories describe ${inputs.repository} --location ${inputs.region} --project ${project} --format json`,
      },
      {
        kind: 'command',
        title: 'Build the image with Cloud Build',
        detail: `gcloud ${buildArgs('<RUNNER_TEMP>/…/context', `${imageRepository(inputs, project)}:${sha}`, project).join(' ')}`,
      },
    )
  }
  if (existing.migrate)
    steps.push({
      kind: 'command',
      title: 'Run migrations as a Cloud Run job, before any traffic moves',
      detail: `gcloud ${migrateArgs(inputs, facts, image, '<env.yaml>').join(' ')}`,
    })
  else steps.push({ kind: 'check', title: 'Migrations', condition: existing.migrateSkipped ?? 'migrate: false' })
  steps.push({
    kind: 'command',
    title: preview ? `Deploy a preview revision tagged ${existing.tag}, without traffic` : 'Deploy the new revision',
    detail: `gcloud ${deployArgs(inputs, facts, existing, image, '<env.yaml>').join(' ')}`,
    condition: preview
      ? undefined
      : existing.noTraffic
        ? 'without traffic until the check passes; a new service takes all traffic at once (gcloud refuses --no-traffic when creating one)'
        : undefined,
  })
  if (existing.check)
    steps.push({ kind: 'http', title: `Check that the new revision answers${existing.tag ? ` at its ${existing.tag} URL` : ''}` })
  if (existing.moveTraffic)
    steps.push({
      kind: 'command',
      title: 'Move all traffic to the new revision',
      detail: `gcloud ${updateTrafficArgs(inputs, facts).join(' ')}`,
      condition: 'only on an existing service',
    })
  return {
    action: ACTION,
    summary: [
      ['Service', `${inputs.service} (${inputs.region}, project ${project})`],
      [
        'Project',
        prepared
          ? `${prepared.project.managePy} (settings ${prepared.project.settings.module})`
          : 'prebuilt image; the repository is not read',
      ],
      [
        'Settings',
        prepared
          ? prepared.overlayModule
            ? `${prepared.overlayModule} (production overlay)`
            : `${prepared.settingsModule} (your settings as they are; settings-patch: none)`
          : (inputs.settingsModule ?? 'as in the image'),
      ],
      [
        'Image',
        inputs.image ??
          (prepared?.dockerfileGenerated ? 'built from a generated Dockerfile' : "built from the repository's Dockerfile"),
      ],
      [
        'Traffic',
        preview
          ? `none: preview tag ${existing.tag}`
          : inputs.safeRollout
            ? 'after the new revision answers (safe rollout)'
            : 'at once',
      ],
    ],
    files: prepared?.files ?? [],
    steps,
  }
}
