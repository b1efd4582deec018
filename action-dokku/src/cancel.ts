import type { Logger } from '@django-deploy/shared/runtime'
import { Dokku, type Executor } from './dokku/client.js'
import { lines, notACommand } from './dokku/output.js'

/**
 * After a cancelled run: stop the build the push started and release the app's deploy lock.
 * `builds:cancel` (Dokku 0.38+) kills the build and removes the lock; older Dokku only has
 * `apps:unlock`, which removes the lock file (the build itself then runs to its end).
 */
export async function releaseCancelledDeploy(
  executor: Executor,
  app: string,
  log: Logger,
): Promise<'cancelled' | 'unlocked' | 'nothing'> {
  const dokku = new Dokku(executor)
  const cancelled = await dokku.run(['builds:cancel', app])
  if (cancelled.exitCode === 0) {
    for (const line of lines(cancelled.stdout)) log.info(line)
    return /not currently deploying|no longer running/.test(cancelled.stdout) ? 'nothing' : 'cancelled'
  }
  if (!notACommand(cancelled.stderr)) log.warning(`builds:cancel ${app} failed: ${cancelled.stderr.trim()}`)
  const unlocked = await dokku.run(['apps:unlock', app])
  if (unlocked.exitCode === 0) {
    log.info(`Deploy lock of ${app} removed (apps:unlock).`)
    return 'unlocked'
  }
  log.warning(`apps:unlock ${app} failed: ${unlocked.stderr.trim()}`)
  return 'nothing'
}
