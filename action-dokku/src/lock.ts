import { TimeoutError } from '@django-deploy/shared/errors'
import type { Logger } from '@django-deploy/shared/runtime'
import type { Dokku } from './dokku/client.js'

/**
 * Wait while another deploy holds the app's deploy lock (`apps:locked` exits 0), within the run's
 * deadline. Dokku would otherwise refuse the push ("… has a deploy lock in place. Exiting...").
 */
export async function waitForDeployLock(
  dokku: Dokku,
  app: string,
  options: { deadline: number; now: () => number; sleep: (ms: number) => Promise<void>; log: Logger; pollMs?: number },
): Promise<number> {
  const started = options.now()
  let announced = false
  for (;;) {
    const locked = await dokku.run(['apps:locked', app])
    if (locked.exitCode !== 0) return options.now() - started
    if (!announced) {
      options.log.info(`${app} has a deploy lock (another deploy is running); waiting for it to finish...`)
      announced = true
    }
    if (options.now() >= options.deadline) {
      throw new TimeoutError(
        `Waiting for the deploy lock on ${app}`,
        Math.round((options.now() - started) / 1000),
        `If no deploy is running, the lock is stale: remove it with 'dokku apps:unlock ${app}' on the server, or raise the timeout input.`,
      )
    }
    await options.sleep(Math.min(options.pollMs ?? 3000, Math.max(0, options.deadline - options.now())))
  }
}
