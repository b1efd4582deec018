import { checkRequiredEnv } from '@django-deploy/shared/detect'
import { ActionError } from '@django-deploy/shared/errors'
import { decideRun } from '@django-deploy/shared/github'
import { reportedRun } from '@django-deploy/shared/github'
import { renderPlan, type Plan } from '@django-deploy/shared/plan'
import { desiredConfig, MANAGED_KEY } from './app-config.js'
import { remoteBranches } from './deliver/remote-refs.js'
import { deploy } from './deploy.js'
import { removePreview } from './remove-preview.js'
import { Dokku } from './dokku/client.js'
import { requireKey, type DokkuInputs } from './inputs.js'
import type { DeployKey } from './ssh/private-key.js'
import { MEDIA_CONTAINER_PATH } from './names.js'
import { Phases } from '@django-deploy/shared/runtime'
import { chooseTarget, planRun, type Target } from './plan.js'
import { startPrefetch, type Prefetch } from './prefetch.js'
import { prepareProject, type PreparedProject } from './project.js'
import type { ProvisionContext } from './provision.js'
import { readRemoteState, type RemoteState } from './remote-state.js'
import { failedSummary, reportResult, skippedSummary, toSharedPlan } from './report.js'
import type { SshSession } from './ssh/connection.js'
import { displayTarget } from './target.js'

import type { Deps, PlannedRun, RunResult } from './types.js'

export type { Deps, OutputName, RunResult } from './types.js'
export { ACTION, DEPLOY_STATE, OUTPUT_NAMES } from './types.js'

/**
 * One run of action-dokku: decide the target app (review apps), prepare the deploy commit, read
 * the server's state over one SSH connection, plan, print the plan, and (unless dry-run) provision,
 * push, and check. Every side effect comes in through `deps`.
 */
export async function run(inputs: DokkuInputs, deps: Deps): Promise<RunResult> {
  const { log } = deps
  const phases = new Phases(deps.now)
  const pullRequest = deps.context?.pullRequest
    ? { number: deps.context.pullRequest.number, action: deps.context.action }
    : undefined
  const target = chooseTarget(inputs, pullRequest)
  // A fork's pull request gets no secrets: without the key there is nothing to deploy with.
  const decision = decideRun(deps.context, {
    hasCredentials: inputs.key !== undefined,
    previewOf: () => `review app ${target.app}`,
    skipHint: 'Deploy from a workflow that has the secret (push to a branch, or workflow_run).',
  })
  if (decision.kind === 'skip') {
    log.notice(decision.notice)
    await deps.writeSummary(skippedSummary(inputs, deps, target, decision.operation, decision.reason))
    return { target, plan: { target, steps: [], notes: [] }, outcome: 'skipped', urls: [], created: [], present: [], phases: [] }
  }
  const key = requireKey(inputs)
  let sharedPlan: Plan | undefined
  return reportedRun(
    {
      writeSummary: deps.writeSummary,
      failed: (reason) => failedSummary(inputs, deps, target, reason, phases.list, sharedPlan),
    },
    () =>
      deployOrRemove(inputs, deps, { target, key, phases }, (plan) => {
        sharedPlan = plan
      }),
  )
}

async function deployOrRemove(
  inputs: DokkuInputs,
  deps: Deps,
  run: { target: Target; key: DeployKey; phases: Phases },
  planned: (plan: Plan) => void,
): Promise<RunResult> {
  const { log } = deps
  const { target, key, phases } = run
  const deadline = deps.now() + inputs.timeoutMs
  if (target.review)
    log.info(
      `Pull request #${target.review.pullRequest}: ${target.mode === 'remove-preview' ? 'removing' : 'deploying'} review app ${target.app}.`,
    )

  const repoRoot = deps.env.GITHUB_WORKSPACE || process.cwd()
  // Reading the project's settings (a Python process) and reading the server's state do not depend
  // on each other, so they overlap. Finding manage.py (milliseconds) comes first: the server hears
  // nothing from a run whose project is missing or ambiguous. An unreadable settings file fails
  // after the read-only state queries and before any change.
  let located: () => void = () => undefined
  const locating = new Promise<void>((resolve) => (located = resolve))
  const preparing =
    target.mode === 'deploy'
      ? prepareProject(inputs, repoRoot, deps.runner, deps.env, () => located())
      : Promise.resolve(undefined)
  preparing.catch(() => undefined) // awaited below; an early rejection must not go unhandled meanwhile
  if (target.mode === 'deploy') await phases.time('Find the project', () => Promise.race([locating, preparing]))

  let session: SshSession | undefined
  try {
    session = await phases.time('Connect', () =>
      deps.connect({
        target: inputs.target,
        key,
        hostKeys: inputs.hostKeys,
        readyTimeoutMs: Math.min(30_000, Math.max(1000, deadline - deps.now())),
        log,
      }),
    )
  } catch (error) {
    if (!inputs.dryRun || !(error instanceof ActionError) || error.input === 'ssh-host-key') throw error
    log.warning(`Dry run without the server's state (${error.message}); the plan below assumes nothing exists yet.`)
  }
  const onAbort = () => session?.close()
  deps.signal?.addEventListener('abort', onAbort, { once: true })
  let prefetch: Prefetch | undefined
  try {
    const dokku = session ? new Dokku(session) : undefined
    // The git transport is opened before the state is read, so the commit the app runs can be
    // fetched while the rest of the state is still being read.
    if (session && target.mode === 'deploy' && !inputs.dryRun)
      prefetch = await startPrefetch(session, target, inputs, deps, repoRoot)
    let state: RemoteState | undefined
    if (dokku) {
      state = await phases.time('Read server state', () =>
        readRemoteState(dokku, {
          app: target.app,
          postgresService: inputs.postgres || target.mode === 'remove-preview' ? target.postgresService : undefined,
          checkLetsencrypt: inputs.letsencrypt && !target.review && target.mode === 'deploy',
          checkBuilder: target.mode === 'deploy' && inputs.builder !== 'auto',
          listBranches:
            target.mode === 'deploy' && session
              ? (app) => remoteBranches(session as SshSession, app).then((branches) => prefetch?.early(branches) ?? branches)
              : undefined,
        }),
      )
      log.info(`Connected to ${displayTarget(inputs.target)} (${state.version.raw}, host key ${session?.hostKey.fingerprint}).`)
      for (const key of ['SECRET_KEY', 'DJANGO_SECRET_KEY', 'DATABASE_URL']) {
        const value = state.app.config[key]
        if (value) log.setSecret(value)
      }
    }
    const prepared = await phases.time('Detect project (after connecting)', () => preparing)
    for (const note of prepared?.notes ?? []) {
      if (note.level === 'warning') log.warning(note.message, note.file ? { file: note.file, line: note.line } : undefined)
      else log.info(note.message)
    }
    const version = state?.version

    const configKeys = prepared ? plannedConfigKeys(inputs, prepared) : []
    // Variables the settings need at import: from config, what this run sets, or already on the app.
    if (prepared && state && target.mode === 'deploy')
      checkRequiredEnv(prepared.project.requiredEnv, {
        names: [...configKeys, ...Object.keys(state.app.config), ...(inputs.postgres ? ['DATABASE_URL'] : []), 'PORT'],
        where: 'the config input',
        input: 'config',
        example: 'config: | with one NAME=value per line',
      })
    const plan = planRun({
      inputs,
      target,
      state,
      configKeys,
      storageChown: prepared?.storageChown ?? 'herokuish',
      builder: prepared?.explicitBuilder,
      builderReason: prepared?.builderReason,
    })
    for (const note of plan.notes) log.info(note)
    const sharedPlan = toSharedPlan(plan, inputs, prepared, state)
    planned(sharedPlan)
    await log.group(inputs.dryRun ? 'Plan (dry run: nothing is changed)' : 'Plan', async () => log.info(renderPlan(sharedPlan)))

    if (inputs.dryRun || !dokku || !version) {
      deps.outputs.set('app', target.app)
      return await reportResult({ plan, sharedPlan, inputs, deps, phases }, { outcome: 'planned', urls: [], created: [] })
    }

    const context: ProvisionContext = { dokku, log, target, version }
    const ready: PlannedRun = { context, plan, sharedPlan, inputs, deps, phases }
    if (target.mode === 'remove-preview') return await removePreview(ready)
    return await deploy(ready, {
      state: state as RemoteState,
      prepared: prepared as PreparedProject,
      repoRoot,
      deadline,
      prefetch: prefetch as Prefetch,
    })
  } finally {
    deps.signal?.removeEventListener('abort', onAbort)
    await prefetch?.close()
    session?.close()
  }
}

function plannedConfigKeys(inputs: DokkuInputs, prepared: PreparedProject): string[] {
  const sample = desiredConfig({
    userConfig: inputs.config,
    overlayModule: prepared.overlayModule,
    project: prepared.project,
    hosts: ['example.com'],
    https: inputs.letsencrypt,
    mediaRoot: inputs.storage ? MEDIA_CONTAINER_PATH : undefined,
    current: {},
    generateSecret: () => 'x',
  })
  return Object.keys(sample.values).filter((key) => key !== MANAGED_KEY)
}
