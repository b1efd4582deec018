import { ActionError } from '@django-deploy/shared/errors'
import type { EventContext } from '@django-deploy/shared/github/context'
import { commitUrl } from '@django-deploy/shared/github/context'
import type { Outputs } from '@django-deploy/shared/github/outputs'
import type { DeploySummary } from '@django-deploy/shared/github/summary'
import { renderPlan, type Plan } from '@django-deploy/shared/plan'
import type { CommandRunner } from '@django-deploy/shared/runtime/command'
import type { Logger } from '@django-deploy/shared/runtime/log'
import { desiredConfig, hostsOf, MANAGED_KEY } from './app-config.js'
import type { PushOutcome } from './deliver/outcome.js'
import { buildArtifact, deployedCommit, fetchCommit, gitDirOf, pushArtifact, type GitContext } from './deliver/push.js'
import { Dokku, DokkuCommandError } from './dokku/client.js'
import { checkUrl } from './http-check.js'
import type { DokkuInputs } from './inputs.js'
import { waitForDeployLock } from './lock.js'
import { MEDIA_CONTAINER_PATH } from './names.js'
import { Phases } from './phases.js'
import { chooseTarget, planRun, planSteps, type RunPlan, type Step, type Target } from './planner.js'
import { prepareProject, type PreparedProject } from './project.js'
import { appUrls, applyConfig, enableLetsencrypt, runSimpleStep, type ProvisionContext } from './provision.js'
import { parseReport, readRemoteState, readVersion, type DokkuVersion, type RemoteState } from './remote-state.js'
import type { SshConnectOptions, SshSession } from './ssh/connection.js'
import { startGitBridge } from './ssh/git-bridge.js'
import { displayTarget } from './target.js'

/**
 * One run of action-dokku: decide the target app (review apps), prepare the deploy commit, read
 * the server's state over one SSH connection, plan, print the plan, and (unless dry-run) provision,
 * push, and check. Every side effect comes in through `deps`.
 */
export type OutputName = 'url' | 'urls' | 'app' | 'deployed-sha'

export interface Deps {
  log: Logger
  runner: CommandRunner
  connect: (options: SshConnectOptions) => Promise<SshSession>
  /** The step's environment: GITHUB_WORKSPACE, RUNNER_TEMP, DJANGO_SETTINGS_MODULE... */
  env: Record<string, string | undefined>
  context?: EventContext
  outputs: Outputs<OutputName>
  writeSummary: (summary: DeploySummary) => Promise<unknown>
  fetch: typeof fetch
  now: () => number
  sleep: (ms: number) => Promise<void>
  /** Remembered for the post step (which unlocks a cancelled deploy). */
  saveState: (name: string, value: string) => void
  /** How git starts the transport shim: [program, ...args]. */
  gitShim: string[]
  /** Aborted when the workflow is cancelled: the SSH connection (and with it the push) is closed. */
  signal?: AbortSignal
}

export interface RunResult {
  target: Target
  plan: RunPlan
  outcome: 'deployed' | 'up-to-date' | 'planned' | 'destroyed'
  urls: string[]
  created: string[]
  present: string[]
  push?: PushOutcome
  /** Bytes git sent for the push (the pack). */
  pushedBytes?: number
  deployCommit?: string
  phases: Array<{ name: string; ms: number }>
}

export const DEPLOY_STATE = 'dokku-deploying-app'

export async function run(inputs: DokkuInputs, deps: Deps): Promise<RunResult> {
  const { log } = deps
  const phases = new Phases(deps.now)
  const deadline = deps.now() + inputs.timeoutMs
  const pullRequest = deps.context?.pullRequest ? { number: deps.context.pullRequest.number, action: deps.context.action } : undefined
  const target = chooseTarget(inputs, pullRequest)
  if (target.review) log.info(`Pull request #${target.review.pullRequest}: ${target.mode === 'destroy' ? 'removing' : 'deploying'} review app ${target.app}.`)

  const repoRoot = deps.env.GITHUB_WORKSPACE || process.cwd()
  const prepared = target.mode === 'deploy' ? await phases.time('Detect project', () => prepareProject(inputs, repoRoot, deps.runner, deps.env)) : undefined
  for (const note of prepared?.notes ?? []) {
    if (note.level === 'warning') log.warning(note.message, note.file ? { file: note.file, line: note.line } : undefined)
    else log.info(note.message)
  }

  let session: SshSession | undefined
  try {
    session = await phases.time('Connect', () =>
      deps.connect({ target: inputs.target, key: inputs.key, hostKeys: inputs.hostKeys, readyTimeoutMs: Math.min(30_000, Math.max(1000, deadline - deps.now())), log }),
    )
  } catch (error) {
    if (!inputs.dryRun || !(error instanceof ActionError) || error.input === 'ssh-host-key') throw error
    log.warning(`Dry run without the server's state (${error.message}); the plan below assumes nothing exists yet.`)
  }
  const onAbort = () => session?.close()
  deps.signal?.addEventListener('abort', onAbort, { once: true })
  try {
    const dokku = session ? new Dokku(session) : undefined
    let version: DokkuVersion | undefined
    let state: RemoteState | undefined
    if (dokku) {
      await phases.time('Read server state', async () => {
        version = await readVersion(dokku)
        log.info(`Connected to ${displayTarget(inputs.target)} (${version.raw}, host key ${session?.hostKey.fingerprint}).`)
        state = await readRemoteState(dokku, version, {
          app: target.app,
          postgresService: inputs.postgres || target.mode === 'destroy' ? target.postgresService : undefined,
          checkLetsencrypt: inputs.letsencrypt && !target.review && target.mode === 'deploy',
          checkBuilder: prepared?.explicitBuilder !== undefined,
        })
      })
      for (const key of ['SECRET_KEY', 'DJANGO_SECRET_KEY', 'DATABASE_URL']) {
        const value = state?.app.config[key]
        if (value) log.setSecret(value)
      }
    }

    const configKeys = prepared ? plannedConfigKeys(inputs, prepared) : []
    const plan = planRun({ inputs, target, state, configKeys, storageChown: prepared?.storageChown ?? 'herokuish', builder: prepared?.explicitBuilder })
    for (const note of plan.notes) log.info(note)
    const sharedPlan = toSharedPlan(plan, inputs, prepared, state)
    await log.group(inputs.dryRun ? 'Plan (dry run: nothing is changed)' : 'Plan', async () => log.info(renderPlan(sharedPlan)))

    if (inputs.dryRun || !dokku || !version) {
      deps.outputs.set('app', target.app)
      const result: RunResult = { target, plan, outcome: 'planned', urls: [], created: [], present: presentOf(plan), phases: phases.list }
      await deps.writeSummary(summaryOf(result, inputs, deps, sharedPlan, 'planned'))
      return result
    }

    const context: ProvisionContext = { dokku, log, target, version }
    if (target.mode === 'destroy') return await destroy(context, plan, inputs, deps, phases, sharedPlan)
    return await deploy(context, plan, inputs, deps, phases, sharedPlan, { state: state as RemoteState, prepared: prepared as PreparedProject, repoRoot, deadline, session: session as SshSession })
  } finally {
    deps.signal?.removeEventListener('abort', onAbort)
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

interface DeployContext {
  state: RemoteState
  prepared: PreparedProject
  repoRoot: string
  deadline: number
  session: SshSession
}

async function deploy(context: ProvisionContext, plan: RunPlan, inputs: DokkuInputs, deps: Deps, phases: Phases, sharedPlan: Plan, run: DeployContext): Promise<RunResult> {
  const { dokku, log, target } = context
  const { state, prepared } = run
  const created: string[] = []
  const present = presentOf(plan)
  const step = (kind: Step['kind']) => plan.steps.find((candidate) => candidate.kind === kind)
  let environmentChanged = false

  await phases.time('Provision', async () => {
    for (const current of plan.steps) {
      if (!['create-app', 'postgres-create', 'postgres-link', 'storage', 'builder', 'domains'].includes(current.kind) || current.skip) continue
      log.info(`→ ${current.title}`)
      await runSimpleStep(context, current)
      if (current.resource) created.push(current.resource)
      if (current.kind !== 'create-app' && current.kind !== 'domains') environmentChanged = true
    }
  })

  // A new app's deploy branch follows the server's global setting (git:report knows it).
  let deployBranch = inputs.branch
  if (!deployBranch) {
    const report = state.app.exists ? state.app : await readBranches(dokku, target.app)
    deployBranch = report.deployBranch || report.globalDeployBranch || 'master'
  }

  const urlsBefore = await appUrls(dokku, target.app)
  const wantHttps = (inputs.letsencrypt && !target.review) || state.app.letsencryptActive || urlsBefore.some((url) => url.startsWith('https://'))
  const desired = desiredConfig({
    userConfig: inputs.config,
    overlayModule: prepared.overlayModule,
    project: prepared.project,
    hosts: hostsOf(urlsBefore, target.review ? [] : inputs.domains),
    https: wantHttps,
    mediaRoot: inputs.storage ? MEDIA_CONTAINER_PATH : undefined,
    current: state.app.config,
  })
  for (const key of desired.generated) log.setSecret(desired.values[key] ?? '')
  const change = await phases.time('Provision', () => applyConfig(context, desired.values, state.app.config, inputs.config.map(({ key }) => key)))
  const changedKeys = [...Object.keys(change.set), ...change.unset].filter((key) => key !== MANAGED_KEY)
  if (changedKeys.length > 0) {
    environmentChanged = true
    log.info(`→ Config: ${Object.keys(change.set).filter((key) => key !== MANAGED_KEY).map((key) => (desired.generated.includes(key) ? `${key} (generated)` : key)).join(', ') || '-'} set${change.unset.length ? `; ${change.unset.join(', ')} unset` : ''} (values masked)`)
    created.push(`config ${changedKeys.join(', ')}`)
  } else {
    present.push('config (unchanged)')
  }

  // --- code delivery ---
  const bridge = await startGitBridge({
    session: run.session,
    allow: (command) => command === `git-receive-pack '/${target.app}'` || command === `git-upload-pack '/${target.app}'`,
    shim: deps.gitShim,
    tempDir: deps.env.RUNNER_TEMP,
  })
  const host = inputs.target.host.includes(':') ? `[${inputs.target.host}]` : inputs.target.host
  const git: GitContext = { runner: deps.runner, log, bridge, remoteUrl: `ssh://${inputs.target.user}@${host}:${inputs.target.port}/${target.app}` }
  let outcome: PushOutcome
  let deployCommit: string
  let baseCommit: string | null
  try {
    const built = await phases.time('Build deploy commit', async () => {
      const gitDir = await gitDirOf(deps.runner, run.repoRoot)
      const remoteSha = state.app.exists ? await deployedCommit(git, deployBranch) : undefined
      const fetched = remoteSha && gitDir ? await fetchCommit(git, gitDir, remoteSha) : undefined
      if (remoteSha && !fetched?.fetched && !inputs.force) {
        log.warning(`The app runs commit ${remoteSha.slice(0, 7)} which could not be fetched; the push will be refused unless force is true.`)
      }
      const artifact = await buildArtifact({ repoRoot: run.repoRoot, workingDirectory: inputs.workingDirectory, files: prepared.files, runner: deps.runner, parent: fetched?.fetched ? remoteSha : undefined })
      for (const warning of artifact.warnings) log.warning(warning)
      return { artifact, restore: fetched?.restore ?? (() => undefined) }
    })
    deployCommit = built.artifact.commit
    baseCommit = built.artifact.baseCommit
    log.info(`→ Deploy commit ${deployCommit.slice(0, 7)} (${built.artifact.stats.files} files${built.artifact.unchanged ? ', identical to what the app runs' : ''}${built.artifact.files.length ? `; generated: ${built.artifact.files.join(', ')}` : ''}) → ${deployBranch}`)

    try {
      outcome = await phases.time('Push and remote build', async () => {
        for (;;) {
          await waitForDeployLock(dokku, target.app, { deadline: run.deadline, now: deps.now, sleep: deps.sleep, log })
          deps.saveState(DEPLOY_STATE, target.app)
          const pushed = await log.group(`git push → ${target.app} (${deployBranch})`, () =>
            pushArtifact(git, { artifact: built.artifact, branch: deployBranch, force: inputs.force, timeoutMs: Math.max(1000, run.deadline - deps.now()), onLine: (line) => log.info(line) }),
          )
          // A cancelled push leaves a build (and its lock) on the server: keep the state for the post step.
          if (!deps.signal?.aborted) deps.saveState(DEPLOY_STATE, '')
          if (pushed.status !== 'locked') return pushed
          log.info('Another deploy took the lock first; waiting again.')
        }
      })
    } finally {
      built.restore()
    }
  } finally {
    await bridge.close()
  }
  const pushedBytes = bridge.traffic.filter((entry) => entry.command.startsWith('git-receive-pack')).reduce((sum, entry) => sum + entry.sent, 0)
  failOnPush(outcome, target, deployBranch, deps.signal)

  if (outcome.status === 'up-to-date') {
    log.info(`Everything up-to-date: ${target.app} already runs this code; nothing was rebuilt.`)
    if (environmentChanged) {
      log.info(`→ Restart ${target.app}: its environment changed`)
      await phases.time('Restart', () => dokku.must(['ps:restart', target.app]))
    }
  }

  const letsencrypt = step('letsencrypt')
  if (letsencrypt && !letsencrypt.skip) {
    log.info(`→ ${letsencrypt.title}`)
    await phases.time('Let’s Encrypt', () => enableLetsencrypt(context, inputs.letsencryptEmail))
    created.push("Let's Encrypt certificate")
  }

  await phases.time('Post-deploy', async () => {
    for (const command of plan.steps.filter((candidate) => candidate.kind === 'post-deploy')) {
      const args = ['run', '--no-tty', target.app, 'python', prepared.managePath, ...(command.command ?? [])]
      const result = await log.group(`manage.py ${(command.command ?? []).join(' ')}`, () => dokku.run(args, { onStdout: (chunk) => log.info(chunk.trimEnd()), onStderr: (chunk) => log.info(chunk.trimEnd()) }))
      if (result.exitCode !== 0) {
        throw new ActionError(`The deploy succeeded, but the post-deploy command 'manage.py ${(command.command ?? []).join(' ')}' failed with exit code ${result.exitCode}.`, {
          input: 'post-deploy',
          hint: `Its output is above. Run it by hand with: dokku run ${target.app} python ${prepared.managePath} ${(command.command ?? []).join(' ')}`,
        })
      }
    }
  })

  const urls = outcome.urls.length > 0 ? outcome.urls : await appUrls(dokku, target.app)
  const primary = urls.find((url) => url.startsWith('https://')) ?? urls[0]
  if (inputs.httpCheck && primary) {
    const checkTarget = new URL(inputs.httpCheck, primary).toString()
    const checked = await phases.time('HTTP check', () => checkUrl(checkTarget, { fetch: deps.fetch, withinMs: Math.min(60_000, Math.max(5000, run.deadline - deps.now())), now: deps.now, sleep: deps.sleep }))
    log.info(`→ ${checkTarget} answered ${checked.status}`)
  }

  const deployedSha = baseCommit ?? deployCommit
  deps.outputs.setAll({ url: primary, urls: JSON.stringify(urls), app: target.app, 'deployed-sha': deployedSha })
  const result: RunResult = { target, plan, outcome: outcome.status === 'up-to-date' ? 'up-to-date' : 'deployed', urls, created, present, push: outcome, pushedBytes, deployCommit, phases: phases.list }
  await deps.writeSummary(summaryOf(result, inputs, deps, sharedPlan, 'deployed', deployedSha))
  return result
}

async function readBranches(dokku: Dokku, app: string): Promise<{ deployBranch: string; globalDeployBranch: string }> {
  const report = parseReport((await dokku.must(['git:report', app])).stdout)
  return { deployBranch: report['git deploy branch'] ?? '', globalDeployBranch: report['git global deploy branch'] ?? '' }
}

function failOnPush(outcome: PushOutcome, target: Target, branch: string, signal?: AbortSignal): void {
  const quoted = outcome.quoted.map((line) => `  ${line}`).join('\n')
  if (signal?.aborted) throw new ActionError('The workflow was cancelled during the push; the post step unlocks the app.')
  switch (outcome.status) {
    case 'deployed':
    case 'up-to-date':
      return
    case 'not-deployed':
      throw new ActionError(`Dokku did not deploy ${target.app}:\n${quoted}`, {
        input: 'branch',
        hint: `The push went to ${branch}, which is not the app's deploy branch. Leave branch unset to use the app's own (dokku git:report ${target.app}), or set it to the branch Dokku names above.`,
      })
    case 'rejected': {
      const reason = outcome.reason ?? ''
      if (/fetch first|non-fast-forward/.test(reason)) {
        throw new ActionError(`Dokku refused the push to ${branch} (${reason}): the app's code changed since this run read it.`, { input: 'force', hint: 'Re-run the job, or set force: true to replace what the app runs.' })
      }
      if (/shallow update not allowed/.test(reason)) {
        throw new ActionError(`Dokku refused the push: ${reason}.`, { hint: 'This happens when the deploy commit is chained onto a commit the server lacks; re-run with force: true.' })
      }
      const releaseFailed = outcome.quoted.some((line) => /Execution of (release|predeploy) task failed/.test(line))
      throw new ActionError(`Dokku rejected the deploy of ${target.app} (${reason || 'pre-receive hook declined'}):\n${quoted}`, {
        hint: releaseFailed
          ? `The release task failed, so the previous release keeps serving. Dokku hides the task's output without a terminal; see it with: dokku run ${target.app} python manage.py migrate --noinput`
          : `The build log is above. The previous release (if any) keeps serving. Inspect with: dokku logs ${target.app} --num 100`,
      })
    }
    case 'locked':
      throw new ActionError(`${target.app} stayed locked by another deploy.`)
    case 'failed':
      throw new ActionError(`git push to ${target.app} failed:\n${quoted || '  (no output)'}`, { hint: 'The SSH connection or the server dropped the push; re-run the job. The build log is above.' })
  }
}

async function destroy(context: ProvisionContext, plan: RunPlan, inputs: DokkuInputs, deps: Deps, phases: Phases, sharedPlan: Plan): Promise<RunResult> {
  const { dokku, log, target } = context
  const created: string[] = []
  await phases.time('Destroy', async () => {
    for (const step of plan.steps) {
      if (step.skip) continue
      log.info(`→ ${step.title}`)
      const result =
        step.kind === 'destroy-app' ? await dokku.run(['apps:destroy', target.app], { globalFlags: ['--force'] }) : await dokku.run(step.args, { allowFlags: ['--force'] })
      if (result.exitCode !== 0) throw new DokkuCommandError(step.args, result)
      created.push(step.resource ?? step.title)
    }
  })
  deps.outputs.set('app', target.app)
  const result: RunResult = { target, plan, outcome: 'destroyed', urls: [], created, present: presentOf(plan), phases: phases.list }
  await deps.writeSummary(summaryOf(result, inputs, deps, sharedPlan, 'destroyed'))
  return result
}

function presentOf(plan: RunPlan): string[] {
  return plan.steps.filter((step) => step.skip && step.resource).map((step) => `${step.resource} (${step.skip})`)
}

function toSharedPlan(plan: RunPlan, inputs: DokkuInputs, prepared: PreparedProject | undefined, state: RemoteState | undefined): Plan {
  const summary: Array<[string, string]> = [
    ['Server', `${inputs.target.user}@${displayTarget(inputs.target)}${state ? ` (${state.version.raw})` : ''}`],
    ['App', `${plan.target.app}${plan.target.review ? ` (review app of ${plan.target.baseApp}, PR #${plan.target.review.pullRequest})` : ''}${state ? (state.app.exists ? ', exists' : ', new') : ''}`],
  ]
  if (prepared) {
    summary.push(['Project', `${prepared.project.managePy} · settings ${prepared.project.settings.module}${prepared.overlayModule ? ` → ${prepared.overlayModule}` : ''}`])
    summary.push(['Builder', `${prepared.builder}${prepared.explicitBuilder ? ' (chosen)' : ' (detected)'}`])
  }
  return { action: 'action-dokku', summary, files: prepared?.files ?? [], steps: planSteps(plan) }
}

function summaryOf(result: RunResult, inputs: DokkuInputs, deps: Deps, plan: Plan, kind: 'deployed' | 'planned' | 'destroyed', sha?: string): DeploySummary {
  const context = deps.context
  const commit = sha ?? context?.sha
  const warnings: string[] = []
  if (inputs.hostKeys.insecure && inputs.hostKeys.pins.length === 0) warnings.push('The server host key was not verified (insecure-skip-host-key-check); pin it with ssh-host-key.')
  return {
    action: 'action-dokku',
    outcome: kind === 'destroyed' ? 'skipped' : kind,
    target: { kind: 'app', name: result.target.app },
    url: result.urls.find((url) => url.startsWith('https://')) ?? result.urls[0],
    destination: `Dokku server ${displayTarget(inputs.target)}`,
    commit: commit ? { sha: commit, url: context ? commitUrl(context, commit) : undefined } : undefined,
    environment: result.target.review ? `review app for PR #${result.target.review.pullRequest}` : undefined,
    facts: [
      ['Result', result.outcome === 'up-to-date' ? 'Everything up-to-date: the app already runs this code (nothing rebuilt)' : result.outcome],
      ...(result.pushedBytes !== undefined ? ([['Pushed', `${result.pushedBytes} bytes`]] as Array<[string, string]>) : []),
    ],
    created: result.created,
    alreadyPresent: result.present,
    phases: result.phases,
    warnings,
    reason: kind === 'destroyed' ? `the pull request's review app ${result.target.app} and its database were removed` : undefined,
    plan,
    runUrl: context?.runUrl,
  }
}

