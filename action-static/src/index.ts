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
  // The Netlify and GitHub tokens are masked as they are read.
  () =>
    run(
      readInputs(actionsInputSource, (value) => log.setSecret(value)),
      actionDeps(log, secrets),
    ),
  { secrets },
)
