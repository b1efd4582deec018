/**
 * action-dokku benchmark (not a test: it prints numbers and says whether the goals of issue #3
 * were met; nothing here fails a build).
 *
 *   npm run bench -- dokku [--redeploys N] [--verbose]
 *
 * It measures the committed bundle (action-dokku/dist/index.js): rebuild it first after changing
 * the sources (node scripts/bundle.mjs action-dokku). --verbose prints each action run's timeline.
 *
 * On the Dokku stand-in over loopback (real sshd, real git, real PostgreSQL), the example site:
 * first deploy, one-file redeploys, an identical rerun. Two tools do the same work:
 *  - action-dokku: `node action-dokku/dist/index.js` with INPUT_* variables, as the runner starts it;
 *  - baseline: what dokku/github-action and its ci-pre-deploy hooks do: one `ssh` process per Dokku
 *    command (apps, postgres, storage, config:set --encoded), then a plain `git push` of the
 *    repository with its full history (the generated Procfile and settings committed, as a user of
 *    that action must).
 *
 * Overhead = wall time − the time the server was busy (the union of the intervals in which a Dokku
 * command ran, from the stand-in's log). The remote build (git-receive-pack: build, release,
 * checks) is part of the server time, so overhead is what the tool itself costs: process start,
 * project detection, SSH handshakes, git, waiting between commands. Bytes pushed = bytes written
 * into git-receive-pack's stdin.
 */
import { spawn } from 'node:child_process'
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fixtureRepo, git, run } from '../support/index.js'
import { startCluster, stopCluster } from '../support/postgres.js'
import { startDokkuStandin, type DokkuStandin, type LoggedCommand } from '../standins/dokku/standin.js'
import { sshKeygen, type GeneratedKey } from '../../action-dokku/test/keys.js'

const args = process.argv.slice(2)
const REDEPLOYS = Number(args[args.indexOf('--redeploys') + 1] || 3) || 3
/** --verbose: print each action run's own phase timings (from its job summary). */
const VERBOSE = args.includes('--verbose')
const ROOT = path.resolve(import.meta.dirname, '../..')
const MAIN = path.join(ROOT, 'action-dokku', 'dist', 'index.js')

interface Measurement {
  scenario: string
  tool: 'action-dokku' | 'baseline'
  totalMs: number
  serverMs: number
  buildMs: number
  overheadMs: number
  pushedBytes: number
  commands: number
}

function union(intervals: Array<[number, number]>): number {
  const sorted = [...intervals].sort((a, b) => a[0] - b[0])
  let total = 0
  let end = -Infinity
  for (const [from, to] of sorted) {
    if (to <= end) continue
    total += to - Math.max(from, end)
    end = to
  }
  return total
}

async function measure(
  dokku: DokkuStandin,
  scenario: string,
  tool: Measurement['tool'],
  work: () => Promise<number>,
): Promise<Measurement> {
  const before = (await dokku.commands()).length
  const started = Date.now()
  const pushedBytes = await work()
  const totalMs = Date.now() - started
  const commands: LoggedCommand[] = (await dokku.commands()).slice(before)
  const clip = (entry: LoggedCommand): [number, number] => [
    Math.max(entry.startedMs, started),
    Math.min(entry.endedMs, started + totalMs),
  ]
  const serverMs = union(commands.map(clip))
  const buildMs = union(commands.filter((entry) => entry.command.startsWith('git-receive-pack')).map(clip))
  if (VERBOSE) console.log(serverTimeline(`${scenario}, ${tool}`, commands.map(clip), commands, started, totalMs))
  return { scenario, tool, totalMs, serverMs, buildMs, overheadMs: totalMs - serverMs, pushedBytes, commands: commands.length }
}

/**
 * --verbose: each Dokku command's interval, from the tool's start, and the idle gaps between them
 * (where the overhead is: nothing ran on the server), largest first.
 */
function serverTimeline(
  title: string,
  intervals: Array<[number, number]>,
  commands: LoggedCommand[],
  started: number,
  totalMs: number,
): string {
  const order = intervals.map((interval, index) => ({ interval, command: commands[index] as LoggedCommand }))
  order.sort((a, b) => a.interval[0] - b.interval[0])
  const rows = order.map(
    ({ interval: [from, to], command }) =>
      `${String(Math.round(from - started)).padStart(6)} – ${String(Math.round(to - started)).padStart(6)} ms  ${command.command.slice(0, 90)}`,
  )
  const gaps: Array<[number, number]> = []
  let end = started
  for (const { interval } of order) {
    if (interval[0] > end) gaps.push([end, interval[0]])
    end = Math.max(end, interval[1])
  }
  if (started + totalMs > end) gaps.push([end, started + totalMs])
  gaps.sort((a, b) => b[1] - b[0] - (a[1] - a[0]))
  const idle = gaps.map(
    ([from, to]) => `${String(Math.round(to - from)).padStart(5)} ms idle at ${Math.round(from - started)} ms`,
  )
  return [`--- ${title}: Dokku commands`, ...rows, '--- idle gaps, largest first', ...idle].join('\n')
}

// ---- action-dokku, as the runner runs it -------------------------------------------------------

async function runAction(repoDir: string, inputs: Record<string, string>): Promise<number> {
  const dir = mkdtempSync(path.join(tmpdir(), 'bench-runner-'))
  const summary = path.join(dir, 'summary.md')
  for (const file of ['output', 'state', 'summary.md']) writeFileSync(path.join(dir, file), '')
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: dir,
    GITHUB_WORKSPACE: repoDir,
    RUNNER_TEMP: dir,
    GITHUB_OUTPUT: path.join(dir, 'output'),
    GITHUB_STATE: path.join(dir, 'state'),
    GITHUB_STEP_SUMMARY: summary,
  }
  for (const [name, value] of Object.entries(inputs)) env[`INPUT_${name.toUpperCase()}`] = value
  const started = Date.now()
  const marks: string[] = []
  const result = await new Promise<{ exitCode: number; stdout: string }>((resolve) => {
    const child = spawn(process.execPath, [MAIN], { env, stdio: ['ignore', 'pipe', 'inherit'] })
    let stdout = ''
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8')
      if (VERBOSE)
        for (const line of chunk.toString('utf8').split('\n'))
          if (line && !line.startsWith('::add-mask'))
            marks.push(`${String(Date.now() - started).padStart(6)} ms  ${line.slice(0, 110)}`)
    })
    child.on('exit', (code) => resolve({ exitCode: code ?? 1, stdout }))
  })
  if (VERBOSE) console.log([...marks, `${String(Date.now() - started).padStart(6)} ms  (exit)`].join('\n'))
  if (result.exitCode !== 0) throw new Error(`action-dokku failed:\n${result.stdout.slice(-4000)}`)
  const text = readFileSync(summary, 'utf8')
  if (VERBOSE) console.log(text.slice(text.indexOf('### Time'), text.indexOf('<details>')))
  const pushed = /\| Pushed \| (\d+) bytes \|/.exec(text)?.[1]
  rmSync(dir, { recursive: true, force: true })
  return Number(pushed ?? 0)
}

// ---- the baseline: one ssh per command, plain git push -----------------------------------------

interface Ssh {
  args: string[]
  countFile: string
  gitSsh: string
}

function baselineSsh(dokku: DokkuStandin, key: GeneratedKey): Ssh {
  const dir = mkdtempSync(path.join(tmpdir(), 'bench-ssh-'))
  writeFileSync(path.join(dir, 'id'), key.privateKey, { mode: 0o600 })
  writeFileSync(path.join(dir, 'known_hosts'), `${dokku.knownHosts.ed25519}\n`)
  const args = [
    '-i',
    path.join(dir, 'id'),
    '-o',
    `UserKnownHostsFile=${path.join(dir, 'known_hosts')}`,
    '-o',
    'StrictHostKeyChecking=yes',
    '-o',
    'IdentitiesOnly=yes',
    '-o',
    'BatchMode=yes',
    '-o',
    'LogLevel=ERROR',
  ]
  // git's ssh, wrapped to count the bytes git sends (the pack), like our bridge counts them.
  const countFile = path.join(dir, 'count')
  const wrapper = path.join(dir, 'count-ssh.cjs')
  writeFileSync(
    wrapper,
    `const { spawn } = require('node:child_process'); const fs = require('node:fs'); let n = 0
const child = spawn('ssh', process.argv.slice(2), { stdio: ['pipe', 'inherit', 'inherit'] })
process.stdin.on('data', (c) => { n += c.length; child.stdin.write(c) }); process.stdin.on('end', () => child.stdin.end())
child.on('exit', (code) => { fs.appendFileSync(${JSON.stringify(countFile)}, n + '\\n'); process.exit(code ?? 1) })\n`,
  )
  return { args, countFile, gitSsh: `'${process.execPath}' '${wrapper}' ${args.map((arg) => `'${arg}'`).join(' ')}` }
}

async function ssh(dokku: DokkuStandin, client: Ssh, command: string): Promise<number> {
  const result = await run('ssh', ['-p', String(dokku.port), ...client.args, `${dokku.user}@127.0.0.1`, '--', command])
  return result.exitCode
}

async function baseline(
  dokku: DokkuStandin,
  client: Ssh,
  repoDir: string,
  app: string,
  config: Record<string, string>,
): Promise<number> {
  // The checks a ci-pre-deploy hook needs to be re-runnable, each its own ssh process.
  await ssh(dokku, client, 'version')
  if ((await ssh(dokku, client, `apps:exists ${app}`)) !== 0) await ssh(dokku, client, `apps:create ${app}`)
  if ((await ssh(dokku, client, `postgres:exists ${app}`)) !== 0) await ssh(dokku, client, `postgres:create ${app}`)
  if ((await ssh(dokku, client, `postgres:linked ${app} ${app}`)) !== 0)
    await ssh(dokku, client, `postgres:link ${app} ${app} --no-restart`)
  const mounts = await run('ssh', [
    '-p',
    String(dokku.port),
    ...client.args,
    `${dokku.user}@127.0.0.1`,
    '--',
    `storage:list ${app}`,
  ])
  if (!mounts.stdout.includes(':/app/storage/media')) {
    await ssh(dokku, client, `storage:ensure-directory --chown herokuish ${app}-media`)
    await ssh(
      dokku,
      client,
      `storage:mount ${app} ${path.join(dokku.root, 'lib', 'data', 'storage', `${app}-media`)}:/app/storage/media`,
    )
  }
  const pairs = Object.entries(config).map(([key, value]) => `${key}=${Buffer.from(value).toString('base64')}`)
  await ssh(dokku, client, `config:set --encoded --no-restart ${app} ${pairs.join(' ')}`)
  writeFileSync(client.countFile, '')
  const sha = await git(repoDir, ['rev-parse', 'HEAD'])
  const push = await run('git', ['push', `ssh://${dokku.user}@127.0.0.1:${dokku.port}/${app}`, `${sha}:refs/heads/master`], {
    cwd: repoDir,
    env: { ...process.env, GIT_SSH_COMMAND: client.gitSsh },
    timeoutMs: 600_000,
  })
  if (push.exitCode !== 0 && !/Everything up-to-date/.test(push.stderr))
    throw new Error(`baseline push failed:\n${push.stderr.slice(-3000)}`)
  return readFileSync(client.countFile, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map(Number)
    .reduce((a, b) => a + b, 0)
}

// ---- the run ------------------------------------------------------------------------------------

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)] ?? 0
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`
const kb = (bytes: number) => (bytes >= 1024 ? `${(bytes / 1024).toFixed(1)} kB` : `${bytes} B`)

async function main(): Promise<void> {
  const base = mkdtempSync(path.join(tmpdir(), 'dokku-bench-'))
  chmodSync(base, 0o755) // as root, the cluster runs as the postgres user, who must reach its directory
  mkdirSync(path.join(base, 'pg'), { mode: 0o700 })
  const cluster = await startCluster(path.join(base, 'pg'))
  const cleanups: Array<() => Promise<void> | void> = []
  try {
    const dokku = await startDokkuStandin({ postgres: cluster.info, cleanup: (fn) => cleanups.push(fn) })
    const key = sshKeygen('ed25519')
    await dokku.authorize(key.publicKey, 'bench')
    const inputs = {
      host: '127.0.0.1',
      port: String(dokku.port),
      user: dokku.user,
      app: 'act',
      'ssh-private-key': key.privateKey,
      'ssh-host-key': dokku.knownHosts.ed25519,
      postgres: 'true',
      'review-app': 'false',
      config: 'SENTRY_ENVIRONMENT=bench',
    }
    const actRepo = await fixtureRepo('example-site')
    const results: Measurement[] = []

    results.push(await measure(dokku, 'first deploy', 'action-dokku', () => runAction(actRepo.dir, inputs)))

    // The baseline deploys the same code with the files our action generates (Procfile, settings,
    // the requirements a buildpack needs: gunicorn, the PostgreSQL driver) committed into it.
    const baseRepo = await fixtureRepo('example-site')
    const extract = await run('sh', [
      '-c',
      'git --git-dir="$1" archive master | tar -x -C "$2"',
      'sh',
      path.join(dokku.root, 'home', 'act'),
      baseRepo.dir,
    ])
    if (extract.exitCode !== 0) throw new Error(extract.stderr)
    await git(baseRepo.dir, ['add', '-A'])
    await git(baseRepo.dir, ['commit', '-q', '-m', 'Add Procfile and production settings'])
    const config = dokku.app('act')?.config ?? {}
    const baseConfig = Object.fromEntries(
      Object.entries(config).filter(([name]) => !['DATABASE_URL', 'GIT_REV', 'DJANGO_DEPLOY_MANAGED_CONFIG'].includes(name)),
    )
    const client = baselineSsh(dokku, key)
    results.push(
      await measure(dokku, 'first deploy', 'baseline', () => baseline(dokku, client, baseRepo.dir, 'base', baseConfig)),
    )

    for (let i = 0; i < REDEPLOYS; i++) {
      for (const [repo, tool] of [
        [actRepo.dir, 'action-dokku'],
        [baseRepo.dir, 'baseline'],
      ] as const) {
        const template = path.join(repo, 'templates', 'home.html')
        writeFileSync(
          template,
          readFileSync(template, 'utf8').replace('{% block content %}', `{% block content %}<!-- redeploy ${i} -->`),
        )
        await git(repo, ['commit', '-q', '-am', `One-file change ${i}`])
        results.push(
          await measure(dokku, 'one-file redeploy', tool, () =>
            tool === 'action-dokku' ? runAction(repo, inputs) : baseline(dokku, client, repo, 'base', baseConfig),
          ),
        )
      }
    }
    results.push(await measure(dokku, 'identical rerun', 'action-dokku', () => runAction(actRepo.dir, inputs)))
    results.push(
      await measure(dokku, 'identical rerun', 'baseline', () => baseline(dokku, client, baseRepo.dir, 'base', baseConfig)),
    )

    report(results)
  } finally {
    for (const fn of cleanups.reverse()) await fn()
    await stopCluster(cluster)
    rmSync(base, { recursive: true, force: true })
  }
}

function report(results: Measurement[]): void {
  const rows: string[][] = [
    ['scenario', 'tool', 'runs', 'total', 'server busy', 'remote build', 'overhead', 'ssh commands', 'bytes pushed'],
  ]
  const summary = new Map<string, Measurement>()
  for (const scenario of ['first deploy', 'one-file redeploy', 'identical rerun']) {
    for (const tool of ['action-dokku', 'baseline'] as const) {
      const runs = results.filter((result) => result.scenario === scenario && result.tool === tool)
      if (runs.length === 0) continue
      const m: Measurement = {
        scenario,
        tool,
        totalMs: median(runs.map((r) => r.totalMs)),
        serverMs: median(runs.map((r) => r.serverMs)),
        buildMs: median(runs.map((r) => r.buildMs)),
        overheadMs: median(runs.map((r) => r.overheadMs)),
        pushedBytes: median(runs.map((r) => r.pushedBytes)),
        commands: median(runs.map((r) => r.commands)),
      }
      summary.set(`${scenario}/${tool}`, m)
      rows.push([
        scenario,
        tool,
        String(runs.length),
        seconds(m.totalMs),
        seconds(m.serverMs),
        seconds(m.buildMs),
        seconds(m.overheadMs),
        String(m.commands),
        kb(m.pushedBytes),
      ])
    }
  }
  const widths = rows[0]?.map((_, column) => Math.max(...rows.map((row) => (row[column] ?? '').length))) ?? []
  console.log(
    '\naction-dokku vs baseline (dokku/github-action style: one ssh per command, plain git push), Dokku stand-in over loopback; medians\n',
  )
  for (const [index, row] of rows.entries()) {
    console.log(row.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join('  '))
    if (index === 0) console.log(widths.map((width) => '-'.repeat(width)).join('  '))
  }
  const get = (scenario: string, tool: string) => summary.get(`${scenario}/${tool}`) as Measurement
  console.log('\nratios (action-dokku / baseline, same run)')
  for (const scenario of ['first deploy', 'one-file redeploy', 'identical rerun']) {
    const a = get(scenario, 'action-dokku')
    const b = get(scenario, 'baseline')
    console.log(
      `  ${scenario.padEnd(18)} overhead ${(a.overheadMs / b.overheadMs).toFixed(2)}x   total ${(a.totalMs / b.totalMs).toFixed(2)}x`,
    )
  }
  const redeploy = get('one-file redeploy', 'action-dokku')
  const first = get('first deploy', 'action-dokku')
  const baseShare = get('one-file redeploy', 'baseline').pushedBytes / get('first deploy', 'baseline').pushedBytes
  const share = redeploy.pushedBytes / first.pushedBytes
  console.log('\ngoals')
  console.log(
    `  action overhead ≤ 1 s (one-file redeploy): ${seconds(redeploy.overheadMs)} → ${redeploy.overheadMs <= 1000 ? 'met' : 'NOT met'}`,
  )
  console.log(
    `  action overhead ≤ 1 s (first deploy):      ${seconds(first.overheadMs)} → ${first.overheadMs <= 1000 ? 'met' : 'NOT met'}`,
  )
  console.log(
    `  one-file redeploy pushes ≤ 5% of the first deploy: ${kb(redeploy.pushedBytes)} of ${kb(first.pushedBytes)} = ${(share * 100).toFixed(1)}% → ${share <= 0.05 ? 'met' : 'NOT met'} (baseline: ${(baseShare * 100).toFixed(1)}%)`,
  )
}

await main()
