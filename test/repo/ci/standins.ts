/**
 * The local stand-ins, started outside vitest so a workflow job can run each action with
 * `uses: ./action-x` against them, exactly as GitHub runs it (.github/workflows/ci.yml, job
 * "actions"). It reuses the test bed as the e2e tests do: vitest's global setup for the run
 * directory and the private PostgreSQL cluster, startDokkuStandin (real sshd + the Dokku stand-in),
 * startNetlifyStandin (the Netlify API checked against @netlify/open-api). Nothing here accepts
 * anything: it is the same code the e2e tests trust.
 *
 *   node --import ./test/repo/ci/hooks.mjs test/repo/ci/standins.ts start --dir DIR [--github-output FILE]
 *   node --import ./test/repo/ci/hooks.mjs test/repo/ci/standins.ts stop --dir DIR
 *
 * `start` runs the stand-ins in a detached process (`serve`), waits until they answer, and writes
 * how to reach them to DIR/standins.json and, as step outputs, to FILE ($GITHUB_OUTPUT).
 * `stop` ends that process, which stops sshd, the apps it deployed and PostgreSQL, and deletes
 * what they wrote.
 */
import { spawn, spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync, appendFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

export const NETLIFY_TOKEN = 'ci-netlify-token-not-a-secret'
export const NETLIFY_SITE = 'ci-example-site'
export const GCLOUD_PROJECT = 'ci-project'
export const GCLOUD_REGION = 'europe-west1'

/** What `start` reports: every value a workflow step needs to point an action at a stand-in. */
export interface StandinsInfo {
  pid: number
  dokku: { host: string; port: number; user: string; knownHosts: string; fingerprint: string; privateKey: string }
  netlify: { apiUrl: string; token: string; siteName: string }
  /** The gcloud stand-in: its directory goes first on PATH, its cloud lives in `state`. */
  gcloud: { path: string; state: string; config: string; project: string; region: string; credentialsJson: string }
}

interface Provided {
  testRunDir: string
  postgres: unknown
}

declare global {
  var __djangoDeployProvided: Provided | undefined
}

function argument(args: string[], name: string): string | undefined {
  const at = args.indexOf(name)
  return at === -1 ? undefined : args[at + 1]
}

async function serve(dir: string): Promise<void> {
  // vitest's global setup, driven by hand: it creates the run directory and starts PostgreSQL.
  // The Dokku stand-in deploys onto that cluster, so a TEST_POSTGRES=off from the caller does not apply.
  delete process.env.TEST_POSTGRES
  const provided: Partial<Provided> = {}
  const { default: setup } = await import('../../support/global-setup.js')
  const teardown = await setup({
    provide: (key: string, value: unknown) => void ((provided as Record<string, unknown>)[key] = value),
  } as never)
  globalThis.__djangoDeployProvided = provided as Provided

  const { startDokkuStandin } = await import('../../standins/dokku/standin.js')
  const { startNetlifyStandin } = await import('../../standins/netlify/server.js')
  const { createGcloudStandin } = await import('../../standins/gcloud/index.js')
  const closers: Array<() => Promise<void> | void> = []
  const shutdown = async (code: number) => {
    for (const close of closers.reverse()) {
      try {
        await close()
      } catch (error) {
        console.error(`stand-ins: stopping failed: ${(error as Error).message}`)
      }
    }
    await teardown()
    process.exit(code)
  }
  process.once('SIGTERM', () => void shutdown(0))
  process.once('SIGINT', () => void shutdown(0))

  try {
    const dokku = await startDokkuStandin()
    closers.push(() => dokku.close())
    // The deploy key, as a user makes one: ssh-keygen, then `dokku ssh-keys:add` (authorize).
    const keyFile = path.join(dir, 'deploy_key')
    rmSync(keyFile, { force: true })
    rmSync(`${keyFile}.pub`, { force: true })
    const keygen = spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'ci-deploy-key', '-f', keyFile], {
      encoding: 'utf8',
    })
    if (keygen.status !== 0) throw new Error(`ssh-keygen failed: ${keygen.stderr}`)
    await dokku.authorize(readFileSync(`${keyFile}.pub`, 'utf8'), 'github-actions-ci')

    const netlify = await startNetlifyStandin()
    closers.push(() => netlify.close())
    netlify.state.addToken(NETLIFY_TOKEN)
    netlify.state.addSite(NETLIFY_SITE)

    // The gcloud stand-in is a program on PATH with its "cloud" in a directory; its builds and
    // revisions are real containers, removed when the stand-ins stop.
    const gcloud = createGcloudStandin(path.join(dir, 'gcloud'), { project: GCLOUD_PROJECT })
    closers.push(() => gcloud.dispose())
    gcloud.addRepository(GCLOUD_REGION, 'cloud-run-source-deploy')
    const info: StandinsInfo = {
      pid: process.pid,
      dokku: {
        host: dokku.host,
        port: dokku.port,
        user: dokku.user,
        knownHosts: dokku.knownHosts.ed25519,
        fingerprint: dokku.fingerprints.ed25519,
        privateKey: readFileSync(keyFile, 'utf8'),
      },
      netlify: { apiUrl: netlify.url, token: NETLIFY_TOKEN, siteName: NETLIFY_SITE },
      gcloud: {
        path: gcloud.binDir,
        state: gcloud.stateDir,
        config: gcloud.configDir,
        project: gcloud.project,
        region: GCLOUD_REGION,
        credentialsJson: gcloud.serviceAccountKey(),
      },
    }
    writeFileSync(path.join(dir, 'standins.json'), JSON.stringify(info, null, 2), { mode: 0o600 })
    console.log(`stand-ins: ready (Dokku ${dokku.user}@${dokku.host}:${dokku.port}, Netlify ${netlify.url})`)
  } catch (error) {
    console.error(`stand-ins: could not start: ${(error as Error).stack ?? error}`)
    await shutdown(1)
  }
}

/** Multi-line-safe `name<<DELIM` records, as GitHub reads $GITHUB_OUTPUT. */
export function outputRecords(info: StandinsInfo): string {
  const values: Record<string, string> = {
    'dokku-host': info.dokku.host,
    'dokku-port': String(info.dokku.port),
    'dokku-user': info.dokku.user,
    'dokku-known-hosts': info.dokku.knownHosts,
    'dokku-fingerprint': info.dokku.fingerprint,
    'dokku-private-key': info.dokku.privateKey,
    'netlify-api-url': info.netlify.apiUrl,
    'netlify-token': info.netlify.token,
    'netlify-site-name': info.netlify.siteName,
    'gcloud-path': info.gcloud.path,
    'gcloud-state': info.gcloud.state,
    'gcloud-config': info.gcloud.config,
    'gcloud-project': info.gcloud.project,
    'gcloud-region': info.gcloud.region,
    'gcloud-credentials-json': info.gcloud.credentialsJson,
  }
  return Object.entries(values)
    .map(([name, value]) => {
      const delimiter = `EOF_${name.replaceAll('-', '_').toUpperCase()}_${process.pid}`
      return `${name}<<${delimiter}\n${value.replace(/\n$/, '')}\n${delimiter}\n`
    })
    .join('')
}

async function start(dir: string, githubOutput: string | undefined): Promise<void> {
  mkdirSync(dir, { recursive: true })
  const ready = path.join(dir, 'standins.json')
  rmSync(ready, { force: true })
  const logFile = path.join(dir, 'standins.log')
  const log = openSync(logFile, 'w')
  const child = spawn(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), 'serve', '--dir', dir], {
    detached: true,
    stdio: ['ignore', log, log],
  })
  writeFileSync(path.join(dir, 'serve.pid'), String(child.pid))
  let exited: number | null | undefined
  child.once('exit', (code) => (exited = code))
  const deadline = Date.now() + 180_000
  while (!existsSync(ready)) {
    if (exited !== undefined || Date.now() > deadline) {
      process.stderr.write(readFileSync(logFile, 'utf8'))
      throw new Error(
        exited !== undefined
          ? `the stand-ins exited (code ${exited}) before they were ready; their log is above`
          : 'the stand-ins were not ready within 3 minutes; their log is above',
      )
    }
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
  child.unref()
  const info = JSON.parse(readFileSync(ready, 'utf8')) as StandinsInfo
  if (githubOutput) appendFileSync(githubOutput, outputRecords(info))
  console.log(
    `stand-ins running (pid ${info.pid}): Dokku ${info.dokku.user}@${info.dokku.host}:${info.dokku.port} (${info.dokku.fingerprint}), Netlify API ${info.netlify.apiUrl}, gcloud ${info.gcloud.path} (project ${info.gcloud.project})`,
  )
}

async function stop(dir: string): Promise<void> {
  const pidFile = path.join(dir, 'serve.pid')
  if (!existsSync(pidFile)) {
    console.log('stand-ins: not running')
    return
  }
  const pid = Number(readFileSync(pidFile, 'utf8'))
  const alive = () => {
    try {
      process.kill(pid, 0)
      return true
    } catch {
      return false
    }
  }
  if (alive()) process.kill(pid, 'SIGTERM')
  const deadline = Date.now() + 60_000
  while (alive() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100))
  if (alive()) {
    process.kill(pid, 'SIGKILL')
    console.error(`stand-ins: pid ${pid} did not stop within a minute; killed`)
  }
  rmSync(pidFile, { force: true })
  rmSync(path.join(dir, 'standins.json'), { force: true })
  rmSync(path.join(dir, 'deploy_key'), { force: true })
  rmSync(path.join(dir, 'deploy_key.pub'), { force: true })
  rmSync(path.join(dir, 'gcloud'), { recursive: true, force: true })
  console.log('stand-ins: stopped')
}

if (import.meta.main) {
  const [command, ...rest] = process.argv.slice(2)
  const dir = path.resolve(argument(rest, '--dir') ?? path.join(process.env.RUNNER_TEMP ?? '/tmp', 'django-deploy-standins'))
  if (command === 'serve') await serve(dir)
  else if (command === 'start') await start(dir, argument(rest, '--github-output'))
  else if (command === 'stop') await stop(dir)
  else {
    console.error(
      'usage: node --import ./test/repo/ci/hooks.mjs test/repo/ci/standins.ts start|stop --dir DIR [--github-output FILE]',
    )
    process.exit(2)
  }
}
