import { resolve } from 'node:path'
import * as commands from './commands.js'
import type { Context } from './context.js'
import { GcloudFailure, parseCommandLine } from './parse.js'
import * as run from './run.js'
import { loadState, recordCall, saveState } from './state.js'

/**
 * Entry point of the `gcloud` stand-in (bin/gcloud runs this file). Parses the command line the
 * way gcloud does, runs the modelled command against the state in GCLOUD_STANDIN_STATE, prints
 * what gcloud prints, records the call and exits with gcloud's exit code.
 */
const HANDLERS: Record<string, (ctx: Context) => void | Promise<void>> = {
  version: commands.version,
  'config get-value': commands.configGetValue,
  'auth activate-service-account': commands.activateServiceAccount,
  'auth print-identity-token': commands.printIdentityToken,
  'projects describe': commands.projectsDescribe,
  'builds submit': commands.buildsSubmit,
  'builds describe': commands.buildsDescribe,
  'builds log': commands.buildsLog,
  'artifacts docker images describe': commands.imagesDescribe,
  'artifacts repositories describe': commands.repositoriesDescribe,
  'artifacts repositories create': commands.repositoriesCreate,
  'run deploy': run.deploy,
  'run services describe': run.servicesDescribe,
  'run services update-traffic': run.updateTraffic,
  'run revisions describe': run.revisionsDescribe,
  'run jobs deploy': run.jobsDeploy,
  'run jobs execute': run.jobsExecute,
  'run jobs describe': run.jobsDescribe,
  'run jobs executions describe': run.executionsDescribe,
}

async function main(argv: string[]): Promise<number> {
  const stateDir = process.env.GCLOUD_STANDIN_STATE
  if (!stateDir) {
    process.stderr.write(
      'gcloud stand-in: GCLOUD_STANDIN_STATE is not set (the directory holding the stand-in cloud; see test/standins/gcloud/README.md)\n',
    )
    return 3
  }
  const state = loadState(stateDir)
  const ctx: Omit<Context, 'parsed'> = {
    state,
    env: process.env,
    cwd: process.cwd(),
    stdout: [],
    stderr: [],
    read: {},
    stateDir: resolve(stateDir),
    live: (text) => void process.stdout.write(text),
  }
  let exitCode = 0
  try {
    const parsed = parseCommandLine(argv)
    if (parsed.flags.get('--help') === true) throw new GcloudFailure('gcloud stand-in: --help is not modelled\n', 3)
    const handler = HANDLERS[parsed.name]
    if (!handler) throw new GcloudFailure(`gcloud stand-in: gcloud ${parsed.name} exists but is not modelled\n`, 3)
    await handler({ ...ctx, parsed })
  } catch (error) {
    if (!(error instanceof GcloudFailure)) throw error
    ctx.stderr.push(error.stderr)
    exitCode = error.exitCode
  } finally {
    // The cloud keeps what happened even when the command fails (a failed revision still exists).
    saveState(stateDir, state)
  }
  // gcloud prints a resource only when the command succeeds.
  if (exitCode === 0) process.stdout.write(ctx.stdout.join(''))
  process.stderr.write(ctx.stderr.join(''))
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([key]) => /^(CLOUDSDK_|GOOGLE_)/.test(key)) as Array<[string, string]>,
  )
  recordCall(stateDir, { argv, exitCode, cwd: ctx.cwd, env, ...(Object.keys(ctx.read).length ? { read: ctx.read } : {}) })
  return exitCode
}

process.exitCode = await main(process.argv.slice(2))
