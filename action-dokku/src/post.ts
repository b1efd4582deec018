import './esm-globals.js'
import * as core from '@actions/core'
import { errorMessage } from '@django-deploy/shared/errors'
import { SecretRegistry } from '@django-deploy/shared/github'
import { actionsInputSource } from '@django-deploy/shared/inputs'
import { coreLogger } from '@django-deploy/shared/runtime'
import { releaseCancelledDeploy } from './cancel.js'
import { readInputs, requireKey } from './inputs.js'
import { DEPLOY_STATE } from './types.js'
import { connectSsh } from './ssh/connection.js'

// The post step (action.yml: post-if: cancelled()). Never fails the job: it is cleanup after a cancel.
async function post(): Promise<void> {
  const app = core.getState(DEPLOY_STATE)
  if (!app) {
    core.info('No push was in flight when the job was cancelled: nothing to unlock.')
    return
  }
  const log = new SecretRegistry().logger(coreLogger)
  try {
    const inputs = readInputs(actionsInputSource, (value) => log.setSecret(value))
    const session = await connectSsh({
      target: inputs.target,
      key: requireKey(inputs),
      hostKeys: inputs.hostKeys,
      readyTimeoutMs: 30_000,
      log,
    })
    try {
      await releaseCancelledDeploy(session, app, log)
    } finally {
      session.close()
    }
  } catch (error) {
    core.warning(
      `Could not release the deploy of ${app} after the cancel: ${errorMessage(error)}. If the app stays locked, run 'dokku apps:unlock ${app}' on the server.`,
    )
  }
}

void post()
