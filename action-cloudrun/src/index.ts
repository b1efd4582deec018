import { runAction } from '@django-deploy/shared/github'
import { SecretRegistry } from '@django-deploy/shared/github'
import { actionsInputSource } from '@django-deploy/shared/inputs'
import { coreLogger } from '@django-deploy/shared/runtime'
import { actionDeps } from './deps.js'
import { readInputs } from './inputs.js'
import { run } from './main.js'
import { ACTION } from './types.js'

const secrets = new SecretRegistry()
const log = secrets.logger(coreLogger)

void runAction(
  ACTION,
  // Secrets (and env-vars values whose name says secret) are masked and go to the registry's leak checks.
  () =>
    run(
      readInputs(actionsInputSource, (value) => log.setSecret(value)),
      actionDeps(log, secrets),
    ),
  { secrets },
)
