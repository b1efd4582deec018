import { ActionError } from '@django-deploy/shared/errors'
import type { Logger } from '@django-deploy/shared/runtime'
import { diffConfig, type ConfigChange } from './app-config.js'
import { DokkuCommandError, type Dokku } from './dokku/client.js'
import { dokkuErrors, lines } from './dokku/output.js'
import { MEDIA_CONTAINER_PATH } from './names.js'
import type { Step, Target } from './plan.js'
import { atLeast, type DokkuVersion } from './remote-state.js'

/**
 * Carrying out the provisioning steps of a plan, each one guarded by the state read before (the
 * planner marked what is already there). Commands that could restart the app get --no-restart:
 * the deploy (or one ps:restart) brings everything into effect at once.
 */
export interface ProvisionContext {
  dokku: Dokku
  log: Logger
  target: Target
  version: DokkuVersion
}

/**
 * Dokku rewrites an app's environment file whole (config:import, config:set, postgres:link all
 * read it, change it and write it back), so two writers at once lose one's keys: they take turns.
 */
export type EnvironmentTurn = <T>(write: () => Promise<T>) => Promise<T>

function turns(): EnvironmentTurn {
  let last: Promise<unknown> = Promise.resolve()
  return (write) => {
    const next = last.then(write, write)
    last = next.catch(() => undefined)
    return next
  }
}

/**
 * The provisioning steps that run (not skipped), each as soon as what it needs is there, as
 * channels of the one connection: the app, the database service and the storage directory at
 * once; the link when both the app and the service exist; the mount when the app and the
 * directory do; the builder and the domains when the app does.
 *
 * `afterApp` (the app's config, when it needs nothing of the domains) starts as soon as the app
 * exists, with the turn it must take for its write: the config and the link are the app's two
 * environment writers, and whichever is ready first writes first (they set different keys:
 * inputs refuse DATABASE_URL in config together with postgres).
 */
export async function provision(
  context: ProvisionContext,
  steps: readonly Step[],
  onStart: (step: Step) => void,
  afterApp?: (turn: EnvironmentTurn) => Promise<void>,
): Promise<Step[]> {
  const todo = steps.filter(
    (step) =>
      !step.skip && ['create-app', 'postgres-create', 'postgres-link', 'storage', 'builder', 'domains'].includes(step.kind),
  )
  const done: Step[] = []
  const turn = turns()
  const of = (kind: Step['kind']) => todo.find((step) => step.kind === kind)
  const start = async <T>(step: Step | undefined, work: (step: Step) => Promise<T>): Promise<T | undefined> => {
    if (!step) return undefined
    onStart(step)
    const result = await work(step)
    done.push(step)
    return result
  }
  const app = start(of('create-app'), (step) => runStep(context, step))
  const service = start(of('postgres-create'), (step) => runStep(context, step))
  const directory = start(of('storage'), (step) => ensureStorage(context, step))
  const settled = await Promise.allSettled([
    app,
    service,
    directory,
    app.then(() => afterApp?.(turn)),
    Promise.all([app, service]).then(() => start(of('postgres-link'), (step) => turn(() => runStep(context, step)))),
    Promise.all([app, directory]).then(([, path]) => (path === undefined ? undefined : mountStorage(context, path))),
    ...todo
      .filter((step) => step.kind === 'builder' || step.kind === 'domains')
      .map((step) => app.then(() => start(step, (current) => runStep(context, current)))),
  ])
  // Every command has ended (none is left running behind a failure); the first failure is the one reported.
  const failed = settled.find((result) => result.status === 'rejected')
  if (failed) throw failed.reason
  return todo.filter((step) => done.includes(step))
}

async function runStep(context: ProvisionContext, step: Step): Promise<void> {
  const { dokku } = context
  switch (step.kind) {
    case 'postgres-create':
      await dokku.must(step.args, {
        hint: 'Creating the service pulls the postgres image on the server; check the server has network access and disk space.',
      })
      return
    case 'postgres-link': {
      const result = await dokku.run(step.args)
      // Linked in the meantime (a parallel run): the state is what we wanted.
      if (result.exitCode !== 0 && !dokkuErrors(result.stderr).some((line) => line.startsWith('Already linked as')))
        throw new DokkuCommandError(step.args, result)
      return
    }
    default:
      await dokku.must(step.args)
  }
}

/** storage:ensure-directory prints where it created the directory; that path is what gets mounted. */
async function ensureStorage(context: ProvisionContext, step: Step): Promise<string> {
  const ensured = await context.dokku.must(step.args)
  return (
    /^-----> Ensuring (\/\S+) exists$/m.exec(lines(ensured.stdout).join('\n'))?.[1] ??
    `/var/lib/dokku/data/storage/${context.target.storageDirectory}`
  )
}

async function mountStorage(context: ProvisionContext, path: string): Promise<void> {
  const args = ['storage:mount', context.target.app, `${path}:${MEDIA_CONTAINER_PATH}`]
  const mounted = await context.dokku.run(args)
  if (mounted.exitCode !== 0 && !dokkuErrors(mounted.stderr).includes('Mount path already exists.'))
    throw new DokkuCommandError(args, mounted)
}

/** The app's URLs as Dokku computes them (`urls APP`): one per line. */
export async function appUrls(dokku: Dokku, app: string): Promise<string[]> {
  const result = await dokku.must(['urls', app])
  return lines(result.stdout)
    .filter((line) => /^https?:\/\//.test(line.trim()))
    .map((line) => line.trim())
}

/**
 * Send only the changed keys. Dokku 0.37+ reads them as JSON on stdin (`config:import -`): nothing
 * secret on any command line (the server's process list shows command lines). Older versions get
 * `config:set --encoded`, base64 values: no quoting problem, newlines intact.
 */
export async function applyConfig(
  context: ProvisionContext,
  desired: Record<string, string>,
  current: Record<string, string>,
  userKeys: readonly string[],
): Promise<ConfigChange> {
  const change = diffConfig(desired, current, userKeys)
  const { dokku, target } = context
  const keys = Object.keys(change.set)
  if (keys.length > 0) {
    if (atLeast(context.version, 37)) {
      await dokku.must(['config:import', '--format', 'json', '--no-restart', target.app, '-'], {
        stdin: JSON.stringify(change.set),
      })
    } else {
      const pairs = keys.map((key) => `${key}=${Buffer.from(change.set[key] ?? '', 'utf8').toString('base64')}`)
      await dokku.must(['config:set', '--encoded', '--no-restart', target.app, ...pairs])
    }
  }
  if (change.unset.length > 0) await dokku.must(['config:unset', '--no-restart', target.app, ...change.unset])
  return change
}

/** letsencrypt:enable (after the deploy: the ACME challenge needs the app's domain routed). */
export async function enableLetsencrypt(context: ProvisionContext, email: string | undefined): Promise<void> {
  if (email) await context.dokku.must(['letsencrypt:set', context.target.app, 'email', email])
  const result = await context.dokku.run(['letsencrypt:enable', context.target.app])
  if (result.exitCode !== 0) {
    throw new ActionError(
      `Let's Encrypt could not issue a certificate for ${context.target.app}: ${dokkuErrors(result.stderr).join(' / ') || 'see the log'}.`,
      {
        input: 'letsencrypt',
        hint: "The domains must point at the server and port 80 must be reachable; set letsencrypt-email (or 'dokku letsencrypt:set --global email you@example.com').",
      },
    )
  }
}
