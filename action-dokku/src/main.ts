import { ActionError, TimeoutError } from '@django-deploy/shared/errors'
import type { EventContext } from '@django-deploy/shared/github/context'
import { commitUrl } from '@django-deploy/shared/github/context'
import type { Outputs } from '@django-deploy/shared/github/outputs'
import type { DeploySummary } from '@django-deploy/shared/github/summary'
import { renderPlan, type Plan } from '@django-deploy/shared/plan'
import type { CommandRunner } from '@django-deploy/shared/runtime/command'
import type { Logger } from '@django-deploy/shared/runtime/log'
import { desiredConfig, hostsOf, MANAGED_KEY } from './app-config.js'
import type { PushOutcome } from './deliver/outcome.js'
import { buildArtifact, fetchCommit, gitDirOf, pushArtifact, type FetchResult, type GitContext } from './deliver/push.js'
import { remoteBranches } from './deliver/remote-refs.js'
import { Dokku, DokkuCommandError } from './dokku/client.js'
import { checkUrl } from './http-check.js'
import type { DokkuInputs } from './inputs.js'
import { waitForDeployLock } from './lock.js'
import { MEDIA_CONTAINER_PATH } from './names.js'
import { Phases } from './phases.js'
import { chooseTarget, planRun, planSteps, type RunPlan, type Step, type Target } from './planner.js'
import { prepareProject, type PreparedProject } from './project.js'
import { appUrls, applyConfig, enableLetsencrypt, provision, type ProvisionContext } from './provision.js'
import { parseReport, readRemoteState, type RemoteState } from './remote-state.js'
import type { SshConnectOptions, SshSession } from './ssh/connection.js'
import { startGitBridge, type GitBridge } from './ssh/git-bridge.js'
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
  // Reading the project (a Python process) and talking to the server do not depend on each other.
  const preparing = target.mode === 'deploy' ? prepareProject(inputs, repoRoot, deps.runner, deps.env) : Promise.resolve(undefined)
  preparing.catch(() => undefined) // awaited below; an early rejection must not go unhandled meanwhile

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
  let prefetch: Prefetch | undefined
  try {
    const dokku = session ? new Dokku(session) : undefined
    // The git transport is opened before the state is read, so the commit the app runs can be
    // fetched while the rest of the state is still being read.
    if (session && target.mode === 'deploy' && !inputs.dryRun) prefetch = await startPrefetch(session, target, inputs, deps, repoRoot)
    let state: RemoteState | undefined
    if (dokku) {
      state = await phases.time('Read server state', () =>
        readRemoteState(dokku, {
          app: target.app,
          postgresService: inputs.postgres || target.mode === 'destroy' ? target.postgresService : undefined,
          checkLetsencrypt: inputs.letsencrypt && !target.review && target.mode === 'deploy',
          checkBuilder: target.mode === 'deploy' && inputs.builder !== 'auto',
          listBranches: target.mode === 'deploy' && session ? (app) => remoteBranches(session as SshSession, app).then((branches) => prefetch?.early(branches) ?? branches) : undefined,
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
    return await deploy(context, plan, inputs, deps, phases, sharedPlan, { state: state as RemoteState, prepared: prepared as PreparedProject, repoRoot, deadline, prefetch: prefetch as Prefetch })
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

interface DeployContext {
  state: RemoteState
  prepared: PreparedProject
  repoRoot: string
  deadline: number
  prefetch: Prefetch
}

/**
 * The git side of a deploy, started early: the bridge, the repository's git directory, and the
 * fetch of the commit the app runs (as soon as the branch listing names it).
 */
interface Prefetch {
  git: GitContext
  bridge: GitBridge
  gitDir: Promise<string | undefined>
  /** Called with the app's branches while the state is read: fetch now when the deploy branch is clear. */
  early(branches: Map<string, string>): Map<string, string>
  fetch(sha: string): Promise<FetchResult | undefined>
  close(): Promise<void>
}

async function startPrefetch(session: SshSession, target: Target, inputs: DokkuInputs, deps: Deps, repoRoot: string): Promise<Prefetch> {
  const bridge = await startGitBridge({
    session,
    allow: (command) => command === `git-receive-pack '/${target.app}'` || command === `git-upload-pack '/${target.app}'`,
    tempDir: deps.env.RUNNER_TEMP,
  })
  const host = inputs.target.host.includes(':') ? `[${inputs.target.host}]` : inputs.target.host
  const git: GitContext = { runner: deps.runner, log: deps.log, bridge, remoteUrl: `ssh://${inputs.target.user}@${host}:${inputs.target.port}/${target.app}` }
  const gitDir = gitDirOf(deps.runner, repoRoot)
  const fetches = new Map<string, Promise<FetchResult | undefined>>()
  const fetch = (sha: string) => {
    let pending = fetches.get(sha)
    if (!pending) {
      pending = gitDir.then((dir) => (dir ? fetchCommit(git, dir, sha) : undefined))
      pending.catch(() => undefined)
      fetches.set(sha, pending)
    }
    return pending
  }
  return {
    git,
    bridge,
    gitDir,
    fetch,
    early(branches) {
      // With one branch (the usual case) or a branch input, the commit to chain onto is already known.
      const sha = inputs.branch ? branches.get(inputs.branch) : branches.size === 1 ? [...branches.values()][0] : undefined
      if (sha) void fetch(sha)
      return branches
    },
    async close() {
      for (const pending of fetches.values()) (await pending.catch(() => undefined))?.restore()
      await bridge.close()
    },
  }
}

async function deploy(context: ProvisionContext, plan: RunPlan, inputs: DokkuInputs, deps: Deps, phases: Phases, sharedPlan: Plan, run: DeployContext): Promise<RunResult> {
  const { dokku, log, target } = context
  const { state, prepared } = run
  const created: string[] = []
  const present = presentOf(plan)
  const step = (kind: Step['kind']) => plan.steps.find((candidate) => candidate.kind === kind)
  let environmentChanged = false

  // The deploy commit is local work (and a fetch): it is assembled while the server provisions.
  const { git, bridge } = run.prefetch
  // A new app's deploy branch follows the server's global setting, which git:report shows once the app exists.
  const existingBranch = inputs.branch || state.app.deployBranch || state.app.globalDeployBranch || (state.app.exists ? 'master' : undefined)
  const delivery = (async () => {
    const remoteSha = existingBranch ? state.app.branches.get(existingBranch) : undefined
    const fetched = remoteSha ? await run.prefetch.fetch(remoteSha) : undefined
    if (remoteSha && !fetched?.fetched && !inputs.force) log.warning(`The app runs commit ${remoteSha.slice(0, 7)} which could not be fetched; the push will be refused unless force is true.`)
    const artifact = await buildArtifact({ repoRoot: run.repoRoot, workingDirectory: inputs.workingDirectory, files: prepared.files, runner: deps.runner, parent: fetched?.fetched ? remoteSha : undefined })
    return { artifact }
  })()
  delivery.catch(() => undefined) // awaited below

  let outcome: PushOutcome
  let deployCommit: string
  let baseCommit: string | null
  let deployBranch = existingBranch
  try {
    await phases.time('Provision', async () => {
      const done = await provision(context, plan.steps, (current) => log.info(`→ ${current.title}`))
      for (const current of done) {
        if (current.resource) created.push(current.resource)
        if (current.kind !== 'create-app' && current.kind !== 'domains') environmentChanged = true
      }
      const domainsAdded = step('domains')?.skip === undefined && step('domains') !== undefined
      const [branches, urlsBefore] = await Promise.all([
        deployBranch ? undefined : readBranches(dokku, target.app),
        state.app.exists && !domainsAdded ? state.app.urls : appUrls(dokku, target.app),
      ])
      if (branches) deployBranch = branches.deployBranch || branches.globalDeployBranch || 'master'

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
      const change = await applyConfig(context, desired.values, state.app.config, inputs.config.map(({ key }) => key))
      const changedKeys = [...Object.keys(change.set), ...change.unset].filter((key) => key !== MANAGED_KEY)
      if (changedKeys.length > 0) {
        environmentChanged = true
        log.info(`→ Config: ${Object.keys(change.set).filter((key) => key !== MANAGED_KEY).map((key) => (desired.generated.includes(key) ? `${key} (generated)` : key)).join(', ') || '-'} set${change.unset.length ? `; ${change.unset.join(', ')} unset` : ''} (values masked)`)
        created.push(`config ${changedKeys.join(', ')}`)
      } else {
        present.push('config (unchanged)')
      }
    })

    const built = await phases.time('Build deploy commit', () => delivery)
    for (const warning of built.artifact.warnings) log.warning(warning)
    deployCommit = built.artifact.commit
    baseCommit = built.artifact.baseCommit
    const branch = deployBranch as string
    log.info(`→ Deploy commit ${deployCommit.slice(0, 7)} (${built.artifact.stats.files} files${built.artifact.unchanged ? ', identical to what the app runs' : ''}${built.artifact.files.length ? `; generated: ${built.artifact.files.join(', ')}` : ''}) → ${branch}`)

    outcome = await phases.time('Push and remote build', async () => {
      // The state read moments ago says whether a lock was there; a lock taken since makes the push
      // fail with Dokku's "deploy lock" message, and then we wait like for any other lock.
      let checkLock = state.app.locked
      for (;;) {
        if (checkLock) await waitForDeployLock(dokku, target.app, { deadline: run.deadline, now: deps.now, sleep: deps.sleep, log })
        deps.saveState(DEPLOY_STATE, target.app)
        const pushed = await log.group(`git push → ${target.app} (${branch})`, () =>
          pushArtifact(git, { artifact: built.artifact, branch, force: inputs.force, timeoutMs: Math.max(1000, run.deadline - deps.now()), onLine: (line) => log.info(line) }),
        )
        // A cancelled push leaves a build (and its lock) on the server: keep the state for the post step.
        if (!deps.signal?.aborted) deps.saveState(DEPLOY_STATE, '')
        if (pushed.status !== 'locked') return pushed
        log.info('Another deploy holds the lock; waiting for it.')
        checkLock = true
      }
    })
  } finally {
    // The shallow file is put back once git is done with the fetched commit (prefetch.close, after the push).
    await delivery.catch(() => undefined)
  }
  const pushedBytes = bridge.traffic.filter((entry) => entry.command.startsWith('git-receive-pack')).reduce((sum, entry) => sum + entry.sent, 0)
  const branch = deployBranch as string
  failOnPush(outcome, target, branch, deps.signal)

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
      const signal = AbortSignal.timeout(Math.max(1000, run.deadline - deps.now()))
      const result = await log.group(`manage.py ${(command.command ?? []).join(' ')}`, () => dokku.run(args, { signal, onStdout: (chunk) => log.info(chunk.trimEnd()), onStderr: (chunk) => log.info(chunk.trimEnd()) }))
      if (signal.aborted) throw new TimeoutError(`The post-deploy command 'manage.py ${(command.command ?? []).join(' ')}'`, Math.round(inputs.timeoutMs / 1000), 'Raise the timeout input, or run long tasks outside the deploy.')
      if (result.exitCode !== 0) {
        throw new ActionError(`The deploy succeeded, but the post-deploy command 'manage.py ${(command.command ?? []).join(' ')}' failed with exit code ${result.exitCode}.`, {
          input: 'post-deploy',
          hint: `Its output is above. Run it by hand with: dokku run ${target.app} python ${prepared.managePath} ${(command.command ?? []).join(' ')}`,
        })
      }
    }
  })

  // The URLs: as the deploy printed them; as read at the start when nothing changed them; else asked
  // again (a certificate issued after the deploy turns them into https:// URLs).
  const domainsAdded = step('domains') !== undefined && step('domains')?.skip === undefined
  const certificateIssued = letsencrypt !== undefined && letsencrypt.skip === undefined
  const urls = certificateIssued ? await appUrls(dokku, target.app) : outcome.urls.length > 0 ? outcome.urls : state.app.exists && !domainsAdded ? state.app.urls : await appUrls(dokku, target.app)
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

