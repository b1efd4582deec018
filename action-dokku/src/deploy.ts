import { ActionError, TimeoutError } from '@django-deploy/shared/errors'
import { desiredConfig, hostsOf, MANAGED_KEY } from './app-config.js'
import type { PushOutcome } from './deliver/outcome.js'
import { buildArtifact, pushArtifact } from './deliver/push.js'
import type { Dokku } from './dokku/client.js'
import { checkUrl } from './http-check.js'
import { waitForDeployLock } from './lock.js'
import { DEPLOY_STATE, type PlannedRun, type RunResult } from './types.js'
import { MEDIA_CONTAINER_PATH } from './names.js'
import type { Step, Target } from './plan.js'
import type { Prefetch } from './prefetch.js'
import type { PreparedProject } from './project.js'
import { appUrls, applyConfig, enableLetsencrypt, provision, type EnvironmentTurn } from './provision.js'
import { parseReport, type RemoteState } from './remote-state.js'
import { presentOf, reportResult } from './report.js'

/**
 * A deploy, once the plan stands: provision (while the deploy commit is assembled), push (waiting
 * for a held deploy lock), judge Dokku's answer, restart when only the environment changed, Let's
 * Encrypt, post-deploy commands, URLs, HTTP check, outputs and summary.
 */

export interface DeployContext {
  state: RemoteState
  prepared: PreparedProject
  repoRoot: string
  deadline: number
  prefetch: Prefetch
}

export async function deploy(planned: PlannedRun, run: DeployContext): Promise<RunResult> {
  const { context, plan, inputs, deps, phases } = planned
  const { dokku, log, target } = context
  const { state, prepared } = run
  const created: string[] = []
  const present = presentOf(plan)
  const step = (kind: Step['kind']) => plan.steps.find((candidate) => candidate.kind === kind)
  let environmentChanged = false

  // The deploy commit is local work (and a fetch): it is assembled while the server provisions.
  const { git, bridge } = run.prefetch
  // A new app's deploy branch follows the server's global setting, which git:report shows once the app exists.
  const existingBranch =
    inputs.branch || state.app.deployBranch || state.app.globalDeployBranch || (state.app.exists ? 'master' : undefined)
  const delivery = (async () => {
    const remoteSha = existingBranch ? state.app.branches.get(existingBranch) : undefined
    const fetched = remoteSha ? await run.prefetch.fetch(remoteSha) : undefined
    if (remoteSha && !fetched?.fetched && !inputs.force)
      log.warning(
        `The app runs commit ${remoteSha.slice(0, 7)} which could not be fetched; the push will be refused unless force is true.`,
      )
    const artifact = await buildArtifact({
      repoRoot: run.repoRoot,
      workingDirectory: inputs.workingDirectory,
      files: prepared.files,
      runner: deps.runner,
      parent: fetched?.fetched ? remoteSha : undefined,
    })
    return { artifact }
  })()
  delivery.catch(() => undefined) // awaited below

  let outcome: PushOutcome
  let deployCommit: string
  let baseCommit: string | null
  let deployBranch = existingBranch
  try {
    // The config needs the app's URLs, which domains:add changes: only without it can the config
    // go as soon as the app exists.
    const domainsAdded = step('domains')?.skip === undefined && step('domains') !== undefined
    // Its write takes its turn with postgres:link, the app's other environment writer (provision.ts).
    const configure = async (turn: EnvironmentTurn = (write) => write()) => {
      const [branches, urlsBefore] = await Promise.all([
        deployBranch ? undefined : readBranches(dokku, target.app),
        state.app.exists && !domainsAdded ? state.app.urls : appUrls(dokku, target.app),
      ])
      if (branches) deployBranch = branches.deployBranch || branches.globalDeployBranch || 'master'

      const wantHttps =
        (inputs.letsencrypt && !target.review) ||
        state.app.letsencryptActive ||
        urlsBefore.some((url) => url.startsWith('https://'))
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
      const change = await turn(() =>
        applyConfig(
          context,
          desired.values,
          state.app.config,
          inputs.config.map(({ key }) => key),
        ),
      )
      const changedKeys = [...Object.keys(change.set), ...change.unset].filter((key) => key !== MANAGED_KEY)
      if (changedKeys.length > 0) {
        environmentChanged = true
        log.info(
          `→ Config: ${
            Object.keys(change.set)
              .filter((key) => key !== MANAGED_KEY)
              .map((key) => (desired.generated.includes(key) ? `${key} (generated)` : key))
              .join(', ') || '-'
          } set${change.unset.length ? `; ${change.unset.join(', ')} unset` : ''} (values masked)`,
        )
        created.push(`config ${changedKeys.join(', ')}`)
      } else {
        present.push('config (unchanged)')
      }
    }
    await phases.time('Provision', async () => {
      const done = await provision(
        context,
        plan.steps,
        (current) => log.info(`→ ${current.title}`),
        domainsAdded ? undefined : configure,
      )
      for (const current of done) {
        if (current.resource) created.push(current.resource)
        if (current.kind !== 'create-app' && current.kind !== 'domains') environmentChanged = true
      }
      if (domainsAdded) await configure()
    })

    const built = await phases.time('Build deploy commit', () => delivery)
    for (const warning of built.artifact.warnings) log.warning(warning)
    deployCommit = built.artifact.commit
    baseCommit = built.artifact.baseCommit
    const branch = deployBranch as string
    log.info(
      `→ Deploy commit ${deployCommit.slice(0, 7)} (${built.artifact.stats.files} files${built.artifact.unchanged ? ', identical to what the app runs' : ''}${built.artifact.files.length ? `; generated: ${built.artifact.files.join(', ')}` : ''}) → ${branch}`,
    )

    outcome = await phases.time('Push and remote build', async () => {
      // The state read moments ago says whether a lock was there; a lock taken since makes the push
      // fail with Dokku's "deploy lock" message, and then we wait like for any other lock.
      let checkLock = state.app.locked
      for (;;) {
        if (checkLock)
          await waitForDeployLock(dokku, target.app, { deadline: run.deadline, now: deps.now, sleep: deps.sleep, log })
        deps.saveState(DEPLOY_STATE, target.app)
        const pushed = await log.group(`git push → ${target.app} (${branch})`, () =>
          pushArtifact(git, {
            artifact: built.artifact,
            branch,
            force: inputs.force,
            timeoutMs: Math.max(1000, run.deadline - deps.now()),
            onLine: (line) => log.info(line),
          }),
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
  const pushedBytes = bridge.traffic
    .filter((entry) => entry.command.startsWith('git-receive-pack'))
    .reduce((sum, entry) => sum + entry.sent, 0)
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
      const result = await log.group(`manage.py ${(command.command ?? []).join(' ')}`, () =>
        dokku.run(args, {
          signal,
          onStdout: (chunk) => log.info(chunk.trimEnd()),
          onStderr: (chunk) => log.info(chunk.trimEnd()),
        }),
      )
      if (signal.aborted)
        throw new TimeoutError(
          `The post-deploy command 'manage.py ${(command.command ?? []).join(' ')}'`,
          Math.round(inputs.timeoutMs / 1000),
          'Raise the timeout input, or run long tasks outside the deploy.',
        )
      if (result.exitCode !== 0) {
        throw new ActionError(
          `The deploy succeeded, but the post-deploy command 'manage.py ${(command.command ?? []).join(' ')}' failed with exit code ${result.exitCode}.`,
          {
            input: 'post-deploy',
            hint: `Its output is above. Run it by hand with: dokku run ${target.app} python ${prepared.managePath} ${(command.command ?? []).join(' ')}`,
          },
        )
      }
    }
  })

  // The URLs: as the deploy printed them; as read at the start when nothing changed them; else asked
  // again (a certificate issued after the deploy turns them into https:// URLs).
  const domainsAdded = step('domains') !== undefined && step('domains')?.skip === undefined
  const certificateIssued = letsencrypt !== undefined && letsencrypt.skip === undefined
  const urls = certificateIssued
    ? await appUrls(dokku, target.app)
    : outcome.urls.length > 0
      ? outcome.urls
      : state.app.exists && !domainsAdded
        ? state.app.urls
        : await appUrls(dokku, target.app)
  const primary = urls.find((url) => url.startsWith('https://')) ?? urls[0]
  if (inputs.httpCheck && primary) {
    const checkTarget = new URL(inputs.httpCheck, primary).toString()
    const checked = await phases.time('HTTP check', () =>
      checkUrl(checkTarget, {
        fetch: deps.fetch,
        withinMs: Math.min(60_000, Math.max(5000, run.deadline - deps.now())),
        now: deps.now,
        sleep: deps.sleep,
        progress: (message) => log.info(message),
      }),
    )
    log.info(`→ ${checkTarget} answered ${checked.status}`)
  }

  const deployedSha = baseCommit ?? deployCommit
  deps.outputs.setAll({ url: primary, urls: JSON.stringify(urls), app: target.app, 'deployed-sha': deployedSha })
  return reportResult(
    planned,
    {
      outcome: outcome.status === 'up-to-date' ? 'up-to-date' : 'deployed',
      urls,
      created,
      present,
      push: outcome,
      pushedBytes,
      deployCommit,
    },
    deployedSha,
  )
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
        throw new ActionError(`Dokku refused the push to ${branch} (${reason}): the app's code changed since this run read it.`, {
          input: 'force',
          hint: 'Re-run the job, or set force: true to replace what the app runs.',
        })
      }
      if (/shallow update not allowed/.test(reason)) {
        throw new ActionError(`Dokku refused the push: ${reason}.`, {
          hint: 'This happens when the deploy commit is chained onto a commit the server lacks; re-run with force: true.',
        })
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
      throw new ActionError(`git push to ${target.app} failed:\n${quoted || '  (no output)'}`, {
        hint: 'The SSH connection or the server dropped the push; re-run the job. The build log is above.',
      })
  }
}
