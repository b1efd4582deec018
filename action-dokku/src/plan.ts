import { ActionError } from '@django-deploy/shared/errors'
import type { PlanStep } from '@django-deploy/shared/plan'
import { commandLine } from './dokku/command.js'
import type { DokkuInputs } from './inputs.js'
import { MEDIA_CONTAINER_PATH, postgresServiceName, reviewAppName, storageDirectoryName } from './names.js'
import type { RemoteState } from './remote-state.js'

/**
 * Inputs + what the server has → the exact list of Dokku commands a run sends. Pure: it reads
 * nothing and changes nothing, so the first deploy, a second identical run, review apps and every
 * refusal are unit-tested here, and a dry run prints exactly what a real run would do.
 *
 * Steps whose state is already right are kept in the list with `skip` set, so the plan (and the
 * job summary) shows what was already present as well as what is created.
 */
/** What the run does to its app: deploy it, or remove a closed pull request's review app. */
export type Mode = 'deploy' | 'remove-preview'

export interface Target {
  mode: Mode
  /** The app this run deploys or destroys: the `app` input, or its review app. */
  app: string
  /** The `app` input (the production app a review app belongs to). */
  baseApp: string
  review?: { pullRequest: number }
  postgresService: string
  storageDirectory: string
}

export type StepKind =
  | 'create-app'
  | 'postgres-create'
  | 'postgres-link'
  | 'storage'
  | 'builder'
  | 'domains'
  | 'config'
  | 'push'
  | 'restart'
  | 'letsencrypt'
  | 'post-deploy'
  | 'destroy-app'
  | 'postgres-destroy'

export interface Step {
  kind: StepKind
  title: string
  /** Dokku arguments (for display and, for simple steps, execution). */
  args: string[]
  /** Why the step is not needed ("already exists"); undefined = it runs. */
  skip?: string
  /** Extra words for the resource lists of the summary ("app blog"). */
  resource?: string
  /** For post-deploy steps: the words after `python manage.py`. */
  command?: string[]
  /** For domains: the ones to add. */
  domains?: string[]
}

export interface RunPlan {
  target: Target
  steps: Step[]
  /** Notes worth a log line (review apps skip domains, a database that comes from elsewhere...). */
  notes: string[]
}

export interface PullRequestEvent {
  number: number
  /** The payload's action: 'opened', 'synchronize', 'closed', ... */
  action?: string
}

/** Which app this run is about, from the review-app input and the event. */
export function chooseTarget(inputs: Pick<DokkuInputs, 'app' | 'reviewApp'>, pullRequest: PullRequestEvent | undefined): Target {
  const base = inputs.app
  const target = (app: string, mode: Mode, review?: { pullRequest: number }): Target => ({
    mode,
    app,
    baseApp: base,
    review,
    postgresService: postgresServiceName(app),
    storageDirectory: storageDirectoryName(app),
  })
  if (inputs.reviewApp === 'false') return target(base, 'deploy')
  if (inputs.reviewApp === 'destroy') {
    if (!pullRequest) {
      throw new ActionError("review-app: destroy needs a pull request event: it removes the pull request's review app.", {
        input: 'review-app',
        hint: 'Run it on pull_request (types: [closed]); to remove an app by hand run dokku apps:destroy on the server.',
      })
    }
    return target(reviewAppName(base, pullRequest.number), 'remove-preview', { pullRequest: pullRequest.number })
  }
  if (!pullRequest) return target(base, 'deploy')
  const name = reviewAppName(base, pullRequest.number)
  // `auto` follows the pull request's life: deployed while open, removed (with its database) when closed.
  return target(name, pullRequest.action === 'closed' ? 'remove-preview' : 'deploy', { pullRequest: pullRequest.number })
}

export interface PlanOptions {
  inputs: DokkuInputs
  target: Target
  /** undefined in a dry run without a connection: every step is planned "if missing". */
  state?: RemoteState
  /** Config keys that will be set (names only, values are secret). */
  configKeys: string[]
  /** The chown flag for storage:ensure-directory (herokuish 32767, Dockerfile images uid 1000). */
  storageChown: 'herokuish' | 'heroku'
  /** The builder to select explicitly, if any. */
  builder?: 'herokuish' | 'dockerfile'
  /** Why the builder carries additions or was switched (project.ts), shown in the plan and dry run. */
  builderReason?: string
}

export function planRun(options: PlanOptions): RunPlan {
  const { inputs, target, state } = options
  return target.mode === 'remove-preview' ? planPreviewRemoval(target, state) : planDeploy(options, inputs, target, state)
}

function planPreviewRemoval(target: Target, state: RemoteState | undefined): RunPlan {
  const app = state?.app
  const postgres = state?.postgres
  const steps: Step[] = [
    {
      kind: 'destroy-app',
      title: `Destroy app ${target.app}`,
      args: ['apps:destroy', target.app],
      skip: app && !app.exists ? 'not on the server' : undefined,
      resource: `app ${target.app}`,
    },
    {
      kind: 'postgres-destroy',
      title: `Destroy its Postgres service ${target.postgresService} (database and data)`,
      args: ['postgres:destroy', target.postgresService, '--force'],
      skip:
        postgres?.plugin === 'missing'
          ? 'the postgres plugin is not installed'
          : postgres && !postgres.exists
            ? 'not on the server'
            : undefined,
      resource: `Postgres service ${target.postgresService}`,
    },
  ]
  return { target, steps, notes: [] }
}

function planDeploy(options: PlanOptions, inputs: DokkuInputs, target: Target, state: RemoteState | undefined): RunPlan {
  const app = state?.app
  const exists = app?.exists === true
  const notes: string[] = []
  const steps: Step[] = []

  // create-app guards the production app; a review app exists only because this action makes it.
  if (state && !exists && !inputs.createApp && !target.review) {
    throw new ActionError(`The app ${target.app} does not exist on the server, and create-app is false.`, {
      input: 'create-app',
      hint: `Create it on the server (dokku apps:create ${target.app}) or set create-app: true.`,
    })
  }
  steps.push({
    kind: 'create-app',
    title: `Create app ${target.app}`,
    args: ['apps:create', target.app],
    skip: exists ? 'already exists' : undefined,
    resource: `app ${target.app}`,
  })

  const databaseUrl = app?.config.DATABASE_URL
  if (inputs.postgres) {
    const postgres = state?.postgres
    if (postgres?.plugin === 'missing') {
      throw new ActionError(
        `postgres is true, but the dokku-postgres plugin is not installed on ${inputs.target.host}: Dokku answered that postgres:exists is not a command.`,
        {
          input: 'postgres',
          hint: 'Plugins can only be installed as root on the server, not through the deploy key: run  sudo dokku plugin:install https://github.com/dokku/dokku-postgres.git postgres  once on the server, then re-run.',
        },
      )
    }
    const otherDatabase = exists && databaseUrl !== undefined && postgres?.linked !== true
    if (otherDatabase)
      notes.push(
        `The app already has a DATABASE_URL that does not come from the service ${target.postgresService}; it is kept and no service is created.`,
      )
    steps.push({
      kind: 'postgres-create',
      title: `Create Postgres service ${target.postgresService}`,
      args: ['postgres:create', target.postgresService],
      skip: postgres?.exists ? 'already exists' : otherDatabase ? 'the app has its own DATABASE_URL' : undefined,
      resource: `Postgres service ${target.postgresService}`,
    })
    steps.push({
      kind: 'postgres-link',
      title: `Link ${target.postgresService} to ${target.app} (sets DATABASE_URL)`,
      args: ['postgres:link', target.postgresService, target.app, '--no-restart'],
      skip: postgres?.linked ? 'already linked' : otherDatabase ? 'the app has its own DATABASE_URL' : undefined,
      resource: `link ${target.postgresService} → ${target.app}`,
    })
  }

  if (inputs.storage) {
    const mounted = app?.mounts.some((mount) => mount.container === MEDIA_CONTAINER_PATH)
    steps.push({
      kind: 'storage',
      title: `Persistent storage ${target.storageDirectory} mounted at ${MEDIA_CONTAINER_PATH} (MEDIA_ROOT)`,
      args: ['storage:ensure-directory', '--chown', options.storageChown, target.storageDirectory],
      skip: mounted ? 'already mounted' : undefined,
      resource: `storage ${target.storageDirectory} at ${MEDIA_CONTAINER_PATH}`,
    })
  }

  if (options.builder) {
    steps.push({
      kind: 'builder',
      title: `Select the ${options.builder} builder`,
      args: ['builder:set', target.app, 'selected', options.builder],
      skip: app?.builderSelected === options.builder ? 'already selected' : undefined,
    })
  }
  if (options.builderReason) notes.push(`Builder: ${options.builderReason}.`)

  const wantDomains = target.review ? [] : inputs.domains
  if (target.review && inputs.domains.length > 0)
    notes.push(
      `Review app ${target.app} gets no custom domains (they belong to ${target.baseApp}); it keeps Dokku's default URL.`,
    )
  if (wantDomains.length > 0) {
    const add = wantDomains.filter((domain) => !app?.domains.includes(domain))
    steps.push({
      kind: 'domains',
      title: `Add domains ${wantDomains.join(', ')}`,
      args: ['domains:add', target.app, ...add],
      skip: add.length === 0 ? 'already added' : undefined,
      domains: add,
      resource: `domains ${wantDomains.join(', ')}`,
    })
  }

  steps.push({
    kind: 'config',
    title: `Set config ${options.configKeys.join(', ') || '(none)'} (values masked; only changed keys are sent)`,
    args: ['config:import', '--format', 'json', '--no-restart', target.app, '-'],
  })
  steps.push({
    kind: 'push',
    title: `Push the deploy commit to ${target.app} (git push, Dokku builds and releases)`,
    args: ['git-receive-pack', `'/${target.app}'`],
  })
  steps.push({
    kind: 'restart',
    title: 'Restart the app if only its environment changed (nothing new was pushed)',
    args: ['ps:restart', target.app],
  })

  if (inputs.letsencrypt) {
    if (target.review) {
      notes.push(`Review app ${target.app} gets no Let's Encrypt certificate (it has no custom domain).`)
    } else {
      if (state?.letsencryptPlugin === 'missing') {
        throw new ActionError(
          `letsencrypt is true, but the dokku-letsencrypt plugin is not installed on ${inputs.target.host}.`,
          {
            input: 'letsencrypt',
            hint: 'Install it as root on the server: sudo dokku plugin:install https://github.com/dokku/dokku-letsencrypt.git, then re-run.',
          },
        )
      }
      steps.push({
        kind: 'letsencrypt',
        title: `Enable Let's Encrypt for ${wantDomains.join(', ')}`,
        args: ['letsencrypt:enable', target.app],
        skip: app?.letsencryptActive ? 'certificate already active' : undefined,
        resource: "Let's Encrypt certificate",
      })
    }
  }

  for (const words of inputs.postDeploy) {
    steps.push({
      kind: 'post-deploy',
      title: `Run manage.py ${words.join(' ')}`,
      args: ['run', '--no-tty', target.app, 'python', 'manage.py', ...words],
      command: words,
    })
  }
  return { target, steps, notes }
}

/** The plan's steps in shared/plan.ts form, for renderPlan and the summary. */
export function planSteps(plan: RunPlan): PlanStep[] {
  return plan.steps.map((step) => ({
    kind: step.kind === 'push' ? 'git' : 'ssh',
    title: step.title,
    detail:
      step.kind === 'push'
        ? `git push ssh://…/${plan.target.app} <deploy commit>:refs/heads/<deploy branch>`
        : `dokku ${commandLine(step.args, step.kind === 'postgres-destroy' ? { allowFlags: ['--force'] } : {})}`,
    condition: step.skip,
  }))
}
