/**
 * action-cloudrun cold-start benchmark (not a test: it prints numbers and says whether the goals
 * of issue #5 were met; nothing here fails a build).
 *
 *   npm run bench -- cloudrun [--runs N] [--explore]   (or: node --experimental-transform-types --import ./test/bench/ts-loader.mjs test/bench/cloudrun.bench.ts ...)
 *     --runs N     measured starts per command (default 9)
 *     --explore    also the same image with other gunicorn settings from the environment: the
 *                  image's own default (2 workers × 4 threads) and --preload
 *
 * The image action-cloudrun builds, started the way Cloud Run starts it, without Docker: the
 * example site as the action ships it (its generated Dockerfile, overlay, .dockerignore, made by
 * the action's own prepareProject), static files collected by the Dockerfile's own collectstatic
 * RUN line, then its CMD run through /bin/sh -c (as Docker runs a shell-form CMD) with the
 * runtime stage's ENV (/opt/venv/bin mapped onto Debian's python3 and gunicorn), the
 * `--env-vars-file` environment the action computes for a first deploy (main `deployEnvironment()`:
 * overlay variables, predicted host names, CLOUDRUN_SERVICE_URLS, gunicorn's shape for one vCPU),
 * DATABASE_URL and SECRET_KEY,
 * and what Cloud Run itself sets (PORT, K_SERVICE, K_REVISION, K_CONFIGURATION). The database is a
 * private PostgreSQL cluster (test/support/postgres.ts), migrated once beforehand by the migration
 * job's command, as the action's job does before any traffic moves.
 *
 * Measured: process start (just before spawn) → the first HTTP 200 for GET / with Cloud Run's
 * front-end headers (Host: the service host, X-Forwarded-Proto: https); also when the port first
 * accepts a connection (what Cloud Run's default TCP startup probe waits for). Compared, in the
 * same run, interleaved, same environment and database:
 *  - baseline: Wagtail's project-template CMD, `set -xe; python manage.py migrate --noinput;
 *    gunicorn <project>.wsgi:application` (migrations at every container start);
 *  - the generated CMD behind the same `migrate`, to separate what migrate-at-start costs from
 *    the gunicorn options.
 * The database is already migrated for every run: the baseline's best case (migrate has nothing
 * to apply), and the normal cold start of a scale-out instance. Each command runs once unmeasured
 * first (page cache warm for all), then --runs times in rotating order.
 */
import { spawn } from 'node:child_process'
import { chmodSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { cp, mkdir, writeFile } from 'node:fs/promises'
import { request } from 'node:http'
import { cpus, loadavg, tmpdir } from 'node:os'
import path from 'node:path'
import { performance } from 'node:perf_hooks'
import { gunicornTarget, MIGRATE_COMMAND } from '@django-deploy/shared/build'
import { inputSourceFrom } from '@django-deploy/shared/inputs'
import { spawnRunner } from '@django-deploy/shared/runtime'
import { readInputs } from '../../action-cloudrun/src/inputs.js'
import { deployEnvironment } from '../../action-cloudrun/src/main.js'
import { chooseTarget, serviceUrls, type ServiceFacts } from '../../action-cloudrun/src/plan.js'
import { prepareProject } from '../../action-cloudrun/src/project.js'
import { envOf, stagesOf, type Stage } from '../../shared/test/build/dockerfile-parser.js'
import { fixturePath, freePort, mustSucceed, pythonEnv, run } from '../support/index.js'
import { startCluster, stopCluster, type Cluster } from '../support/postgres.js'
import { signalGroup } from '../support/rundir.js'
import { processGroupCpuSeconds } from './process-cpu.js'

const args = process.argv.slice(2)
const RUNS = Math.max(1, Number(args[args.indexOf('--runs') + 1] || 9) || 9)
/** --explore: also the same image with other gunicorn settings from the environment (what env-vars could set). */
const EXPLORE = args.includes('--explore')
const SERVICE = 'blog'
const REGION = 'europe-west1'
const PROJECT = 'demo-proj'
const PROJECT_NUMBER = '123456789012'
const SECRET_KEY = 'bench-7Hk2pQ9vXw4mZr8sLt6nYb3cFd5gJh1aKe0uWo-PiR_yTq2xNv9bMz4lCs8d'
const HOME_TEXT = 'Welcome to the Example Site'
/** Gives up on one start after this long (a broken start, not a slow one). */
const START_TIMEOUT_MS = 60_000

interface Site {
  /** Where manage.py is: the image's WORKDIR. */
  workdir: string
  env: NodeJS.ProcessEnv
  cmd: string
  host: string
  wsgi: string
  freshMigrateMs: number
}

interface Start {
  listenMs: number
  firstOkMs: number
  /** CPU time the start used until its first 200, all its processes together: what a busy machine does not inflate. */
  cpuMs: number
}

interface Variant {
  name: string
  command: string
  baseline?: boolean
  starts: Start[]
}

// ---- the site as the image has it ------------------------------------------------------------

/** Files a local run may leave in the fixture's source tree (test/support/fixtures.ts skips the same). */
const LOCAL_ARTIFACTS = new Set(['__pycache__', 'db.sqlite3', 'staticfiles', '.venv', 'node_modules', '.pytest_cache'])

const argsOf = (stage: Stage, keyword: string) =>
  stage.instructions.filter((instruction) => instruction.keyword === keyword).map((instruction) => instruction.args)

async function prepareSite(base: string, cluster: Cluster): Promise<Site> {
  const root = path.join(base, 'site')
  await cp(fixturePath('example-site'), root, {
    recursive: true,
    filter: (source) => !LOCAL_ARTIFACTS.has(path.basename(source)) && !source.endsWith('.pyc'),
  })

  // What the action reads and generates, through its own code.
  const envVars = `DATABASE_URL=${await createDatabase(cluster)}\nSECRET_KEY=${SECRET_KEY}`
  const inputs = readInputs(
    inputSourceFrom({ region: REGION, service: SERVICE, 'project-id': PROJECT, 'env-vars': envVars }),
    () => undefined,
  )
  const prepared = await prepareProject(inputs, root, spawnRunner, { PATH: process.env.PATH })
  for (const file of prepared.files) {
    await mkdir(path.dirname(path.join(root, file.path)), { recursive: true })
    await writeFile(path.join(root, file.path), file.content)
  }
  const dockerfile = prepared.files.find((file) => file.path === 'Dockerfile')?.content
  if (!dockerfile) throw new Error('the action generated no Dockerfile for the example site')
  const runtime = stagesOf(dockerfile).at(-1) as Stage
  const workdir = path.join(root, path.posix.relative('/app', argsOf(runtime, 'WORKDIR').at(-1) ?? '/app'))
  const cmd = argsOf(runtime, 'CMD')[0] ?? ''

  // /opt/venv/bin in the image: Debian's python3 and gunicorn here.
  const bin = path.join(base, 'venv-bin')
  mkdirSync(bin)
  await run('ln', ['-s', '/usr/bin/python3', path.join(bin, 'python')])
  await run('ln', ['-s', '/usr/bin/gunicorn', path.join(bin, 'gunicorn')])
  const imageEnv = pythonEnv()
  for (const line of argsOf(runtime, 'ENV')) {
    for (const [name, value] of Object.entries(envOf(line))) {
      if (name !== 'VIRTUAL_ENV')
        imageEnv[name] = value.replaceAll('/opt/venv/bin', bin).replaceAll('$PATH', imageEnv.PATH ?? '/usr/bin:/bin')
    }
  }

  // Build time: the collectstatic RUN line, with the image's ENV only (no database, no real key).
  const collect = argsOf(runtime, 'RUN').find((line) => line.includes('collectstatic'))
  if (!collect) throw new Error('the generated Dockerfile does not collect static files')
  mustSucceed(
    await run('/bin/sh', ['-c', collect], { cwd: workdir, env: imageEnv, timeoutMs: 300_000 }),
    'collectstatic RUN line',
  )
  // And its bytecode RUN line (the image's /app is the copied project here). Both starts below
  // benefit alike: it is the same image for the baseline.
  const compile = argsOf(runtime, 'RUN').find((line) => line.includes('compileall'))
  if (compile)
    mustSucceed(
      await run('/bin/sh', ['-c', compile.replaceAll(' /app', ` ${root}`)], { cwd: workdir, env: imageEnv, timeoutMs: 300_000 }),
      'compileall RUN line',
    )

  // Run time: the env file of a first deploy, as the action computes it, and Cloud Run's own variables.
  const facts: ServiceFacts = {
    project: PROJECT,
    region: REGION,
    exists: false,
    projectNumber: PROJECT_NUMBER,
    urls: [],
    trafficPinned: false,
  }
  const urls = serviceUrls(inputs, facts)
  const platform = deployEnvironment(inputs, prepared, urls, chooseTarget(inputs, facts).tag)
  const env: NodeJS.ProcessEnv = {
    ...imageEnv,
    ...platform,
    K_SERVICE: SERVICE,
    K_REVISION: `${SERVICE}-00001-abc`,
    K_CONFIGURATION: SERVICE,
  }

  // The migration job, once, before any traffic (its time is shown for context).
  const [program, ...jobArgs] = MIGRATE_COMMAND
  const started = performance.now()
  mustSucceed(
    await run(path.join(bin, program as string), jobArgs, { cwd: workdir, env, timeoutMs: 300_000 }),
    'migration job command',
  )
  const freshMigrateMs = performance.now() - started

  return { workdir, env, cmd, host: new URL(urls[0] as string).host, wsgi: gunicornTarget(prepared.project), freshMigrateMs }
}

async function createDatabase(cluster: Cluster): Promise<string> {
  const { binDir, host, port, user } = cluster.info
  const name = `coldstart_${process.pid}`
  mustSucceed(
    await run(path.join(binDir, 'createdb'), ['-h', host, '-p', String(port), '-U', user, name], {
      env: { PATH: process.env.PATH },
      timeoutMs: 60_000,
    }),
    'createdb',
  )
  return `postgres://${user}@${host}:${port}/${name}`
}

// ---- one cold start ----------------------------------------------------------------------------

interface Answer {
  status: number
  body: string
  connectedAt: number
}

/** GET / as Cloud Run's front end sends it. Rejects when nothing listens yet. */
function get(port: number, host: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    let connectedAt = 0
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path: '/',
        headers: { Host: host, 'X-Forwarded-Proto': 'https', 'User-Agent': 'cold-start-bench' },
        timeout: START_TIMEOUT_MS,
      },
      (response) => {
        const chunks: Buffer[] = []
        response.on('data', (chunk: Buffer) => chunks.push(chunk))
        response.on('end', () =>
          resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), connectedAt }),
        )
        response.on('error', reject)
      },
    )
    req.on('socket', (socket) => socket.once('connect', () => (connectedAt = performance.now())))
    req.on('timeout', () => req.destroy(new Error('timed out')))
    req.on('error', reject)
    req.end()
  })
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

async function coldStart(site: Site, command: string, check: boolean): Promise<Start> {
  const port = await freePort()
  const started = performance.now()
  const child = spawn('/bin/sh', ['-c', command], {
    cwd: site.workdir,
    env: { ...site.env, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  })
  let log = ''
  child.stdout.on('data', (chunk: Buffer) => (log += chunk.toString('utf8')))
  child.stderr.on('data', (chunk: Buffer) => (log += chunk.toString('utf8')))
  let exited = false
  const exit = new Promise<void>((resolve) => child.on('exit', () => ((exited = true), resolve())))
  const pid = child.pid ?? -1
  try {
    let listenMs: number | undefined
    for (;;) {
      if (exited) throw new Error(`${command} exited before answering:\n${log.slice(-4000)}`)
      if (performance.now() - started > START_TIMEOUT_MS)
        throw new Error(`${command} did not answer within ${START_TIMEOUT_MS} ms:\n${log.slice(-4000)}`)
      let answer: Answer
      try {
        answer = await get(port, site.host)
      } catch {
        await sleep(5) // nothing listens yet (connection refused costs well under a millisecond)
        continue
      }
      const firstOkMs = performance.now() - started
      listenMs ??= answer.connectedAt - started
      if (answer.status !== 200)
        throw new Error(`${command} answered ${answer.status}, not 200:\n${answer.body.slice(0, 500)}\n${log.slice(-4000)}`)
      if (check && !answer.body.includes(HOME_TEXT))
        throw new Error(`${command} answered 200 but not with the example site's home page`)
      return { listenMs, firstOkMs, cpuMs: processGroupCpuSeconds(pid) * 1000 }
    }
  } finally {
    signalGroup(pid, 'SIGTERM')
    const stopped = await Promise.race([exit.then(() => true), sleep(10_000).then(() => false)])
    if (!stopped) signalGroup(pid, 'SIGKILL')
    await Promise.race([exit, sleep(5_000)])
    signalGroup(pid, 'SIGKILL') // workers share the group; none may outlive the run
  }
}

// ---- the run -----------------------------------------------------------------------------------

function quantile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b)
  const position = (sorted.length - 1) * q
  const lower = Math.floor(position)
  const upper = Math.ceil(position)
  return (sorted[lower] as number) + ((sorted[upper] as number) - (sorted[lower] as number)) * (position - lower)
}
const median = (values: number[]) => quantile(values, 0.5)
const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`
const range = (a: number, b: number) => `${(a / 1000).toFixed(2)}–${(b / 1000).toFixed(2)} s`

async function main(): Promise<void> {
  const base = mkdtempSync(path.join(tmpdir(), 'cloudrun-bench-'))
  chmodSync(base, 0o755) // as root, the cluster runs as the postgres user, who must reach its directory
  mkdirSync(path.join(base, 'pg'), { mode: 0o700 })
  const cluster = await startCluster(path.join(base, 'pg'))
  try {
    const site = await prepareSite(base, cluster)
    const [python, django, gunicorn] = await Promise.all([
      run('/usr/bin/python3', ['--version']),
      run('/usr/bin/python3', ['-c', 'import django; print(django.get_version())']),
      run('/usr/bin/gunicorn', ['--version']),
    ])
    console.log(
      `\nCold start of the generated image's command, without Docker: example site, PostgreSQL ${cluster.info.version}, ${python.stdout.trim()}, Django ${django.stdout.trim()}, ${gunicorn.stdout.trim()}, ${cpus().length} CPUs`,
    )
    console.log(`  CMD: ${site.cmd}`)
    console.log(
      `  environment: image ENV + action env file (${Object.keys(site.env)
        .filter((name) =>
          /^(DJANGO_|ALLOWED_HOSTS|CSRF_|SECURE_|CLOUDRUN_|DATABASE_URL|SECRET_KEY|WEB_CONCURRENCY|GUNICORN_|K_)/.test(name),
        )
        .sort()
        .join(', ')}) + PORT`,
    )
    console.log(`  migration job on the empty database (once, before the runs): ${seconds(site.freshMigrateMs)}`)
    console.log(
      `  load average before the runs: ${loadavg()
        .map((load) => load.toFixed(2))
        .join(' ')} (wall times grow with it; CPU times hardly do)`,
    )

    const variants: Variant[] = [
      { name: 'generated image CMD (action-cloudrun)', command: site.cmd, starts: [] },
      { name: 'migrate, then the generated CMD', command: `set -e; python manage.py migrate --noinput; ${site.cmd}`, starts: [] },
      {
        name: 'Wagtail template CMD (baseline)',
        command: `set -xe; python manage.py migrate --noinput; gunicorn ${site.wsgi}`,
        baseline: true,
        starts: [],
      },
    ]
    if (EXPLORE) {
      variants.push(
        {
          name: 'generated CMD, image default: 2 workers × 4 threads',
          command: `export WEB_CONCURRENCY=2 GUNICORN_THREADS=4; ${site.cmd}`,
          starts: [],
        },
        {
          name: 'generated CMD, GUNICORN_CMD_ARGS=--preload',
          command: `export GUNICORN_CMD_ARGS=--preload; ${site.cmd}`,
          starts: [],
        },
      )
    }
    for (const variant of variants) await coldStart(site, variant.command, true) // warm-up, not counted
    for (let i = 0; i < RUNS; i++) {
      for (let j = 0; j < variants.length; j++) {
        const variant = variants[(i + j) % variants.length] as Variant
        variant.starts.push(await coldStart(site, variant.command, false))
      }
    }
    report(variants)
  } finally {
    await stopCluster(cluster)
    rmSync(base, { recursive: true, force: true })
  }
}

function report(variants: Variant[]): void {
  const baseline = variants.find((variant) => variant.baseline) as Variant
  const baselineMs = median(baseline.starts.map((start) => start.firstOkMs))
  const rows: string[][] = [
    [
      'start command',
      'runs',
      'port open',
      'first 200: median',
      'IQR',
      'min–max',
      'vs baseline',
      'CPU to first 200',
      'vs baseline',
    ],
  ]
  const baselineCpu = median(baseline.starts.map((start) => start.cpuMs))
  for (const variant of variants) {
    const ok = variant.starts.map((start) => start.firstOkMs)
    const m = median(ok)
    rows.push([
      variant.name,
      String(ok.length),
      seconds(median(variant.starts.map((start) => start.listenMs))),
      seconds(m),
      range(quantile(ok, 0.25), quantile(ok, 0.75)),
      range(Math.min(...ok), Math.max(...ok)),
      variant.baseline ? '1.00× (baseline)' : `${(m / baselineMs).toFixed(2)}× (${(baselineMs / m).toFixed(1)}× faster)`,
      seconds(median(variant.starts.map((start) => start.cpuMs))),
      variant.baseline ? '1.00×' : `${(median(variant.starts.map((start) => start.cpuMs)) / baselineCpu).toFixed(2)}×`,
    ])
  }
  const widths = rows[0]?.map((_, column) => Math.max(...rows.map((row) => (row[column] ?? '').length))) ?? []
  console.log(
    `\nprocess start → first HTTP 200 for GET / (Host: service URL, X-Forwarded-Proto: https); medians of ${baseline.starts.length} runs each, interleaved; load average now ${loadavg()
      .map((load) => load.toFixed(2))
      .join(' ')}\n`,
  )
  for (const [index, row] of rows.entries()) {
    console.log(row.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join('  '))
    if (index === 0) console.log(widths.map((width) => '-'.repeat(width)).join('  '))
  }
  const ours = median((variants[0] as Variant).starts.map((start) => start.firstOkMs))
  const ratio = baselineMs / ours
  console.log('\ngoals')
  console.log(`  ≤ 1 s to the first response:              ${seconds(ours)} → ${ours <= 1000 ? 'met' : 'NOT met'}`)
  console.log(
    `  ≥ 3× faster than migrate-at-start (Wagtail template CMD): ${ratio.toFixed(1)}× → ${ratio >= 3 ? 'met' : 'NOT met'}`,
  )
}

await main()
