/**
 * action-static end to end, as a user waits for it (issue #14, "Measure"): not a test; it prints
 * numbers and says whether the goal was met; nothing here fails a build.
 *
 *   npm run bench -- static-e2e   (or: node --experimental-transform-types --import ./test/bench/ts-loader.mjs test/bench/static-e2e.bench.ts)
 *     [--sizes 1200,8300]  posts seeded into the example site, one site per size (51 pages + 1.2 a post: 1,491 and 10,011)
 *     [--repeat N]         interleaved rounds per size (default 1); the table shows medians
 *   STATIC_E2E_KEEP=1 keeps the scratch directory (sites, outputs, job summaries) and prints where.
 *
 * Contenders, on the same seeded copy of test/fixtures/example-site:
 * - action: the committed bundle, `node action-static/dist/index.js` as in git at HEAD (extracted
 *   with `git archive` into the scratch directory, whatever the working tree holds), run as the GitHub runner runs
 *   it (INPUT_* variables, GITHUB_WORKSPACE, GITHUB_OUTPUT, GITHUB_STEP_SUMMARY, RUNNER_TEMP) with
 *   provider: directory and generator: auto. Timed from spawn to exit: the settings probe,
 *   migrate of its copy of the SQLite file, collectstatic, the renderer's start, the render,
 *   the checks and the written site are all in it. Its own phase times are read from its job
 *   summary.
 * - baseline: `manage.py collectstatic` then the sequential in-process render (RequestFactory +
 *   the resolved view, one page after another, files written: django-bakery's way; the same
 *   script as static.bench.ts's sequential baseline, plus a progress line every 500 pages) of the page list the action wrote, with the
 *   same settings overlay (the action's own prepareDjango, its database copy migrated before the
 *   clock starts). Timed from the start of collectstatic to the exit of the render.
 * Peak memory: the summed VmRSS of the whole process tree of each run, sampled every 50 ms.
 */
import { execFileSync, spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { availableParallelism, loadavg, tmpdir } from 'node:os'
import path from 'node:path'
import { detectProject } from '@django-deploy/shared/detect'
import { MemoryLogger, spawnRunner } from '@django-deploy/shared/runtime'
import { listFiles } from '../../action-static/src/generate/checks.js'
import { prepareDjango, type PreparedDjango } from '../../action-static/src/generate/django.js'
import { urlPathOf } from '../../action-static/src/generate/paths.js'
import { processTable } from './process-cpu.js'

const args = process.argv.slice(2)
const option = (name: string, fallback: string): string => {
  const index = args.indexOf(`--${name}`)
  return index >= 0 && args[index + 1] ? (args[index + 1] as string) : fallback
}
const SIZES = option('sizes', '1200,8300')
  .split(',')
  .map((size) => Number(size.trim()))
  .filter((size) => Number.isInteger(size) && size >= 0)
const REPEAT = Math.max(1, Number(option('repeat', '1')))
const PYTHON = '/usr/bin/python3'
const GOAL = 1.35
const repoRoot = path.resolve(import.meta.dirname, '../..')
const cores = availableParallelism()

/** The sequential baseline, django-bakery's way (one Python file both static benchmarks run). */
const SEQUENTIAL = path.join(import.meta.dirname, 'sequential_render.py')

interface Run {
  seconds: number
  peakMb: number
  pages: number
  /** The action's phase table (name, time) from its job summary; the baseline's two steps. */
  phases: Array<[string, string]>
}

interface SizeResult {
  posts: number
  pages: number
  action: Run[]
  baseline: Run[]
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2
}

/** Summed VmRSS (kB) of a process and all its descendants, from /proc (Linux). */
function treeRssKb(root: number): number {
  const children = new Map<number, number[]>()
  for (const { pid, fields } of processTable()) {
    const ppid = Number(fields[1])
    children.set(ppid, [...(children.get(ppid) ?? []), pid])
  }
  let total = 0
  const queue = [root]
  while (queue.length) {
    const pid = queue.pop()!
    try {
      const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
      if (match) total += Number(match[1])
    } catch {
      // exited meanwhile
    }
    queue.push(...(children.get(pid) ?? []))
  }
  return total
}

interface Spawned {
  code: number | null
  seconds: number
  peakKb: number
  output: string
}

/**
 * A process timed from spawn to exit, the RSS of its process tree sampled every 50 ms, and a
 * progress line every 10 s (elapsed, memory now, its last line of output).
 */
function timedProcess(
  label: string,
  command: string,
  argv: string[],
  options: { cwd: string; env: NodeJS.ProcessEnv },
): Promise<Spawned> {
  return new Promise((resolve, reject) => {
    const started = performance.now()
    const child = spawn(command, argv, { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'] })
    let output = ''
    let peakKb = 0
    let nowKb = 0
    const sample = (): void => {
      if (child.pid === undefined) return
      nowKb = treeRssKb(child.pid)
      peakKb = Math.max(peakKb, nowKb)
    }
    sample()
    const sampler = setInterval(sample, 50)
    const progress = setInterval(() => {
      const last =
        output
          .trimEnd()
          .split('\n')
          .at(-1)
          ?.replace(/^::[a-z-]+::/, '')
          .slice(0, 100) ?? ''
      process.stdout.write(
        `    … ${label}: ${((performance.now() - started) / 1000).toFixed(0)} s, ${(nowKb / 1024).toFixed(0)} MB now; last line: ${last}\n`,
      )
    }, 10_000)
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()))
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()))
    child.on('error', (error) => {
      clearInterval(sampler)
      clearInterval(progress)
      reject(error)
    })
    child.on('close', (code) => {
      clearInterval(sampler)
      clearInterval(progress)
      resolve({ code, seconds: (performance.now() - started) / 1000, peakKb, output })
    })
  })
}

/** A step that may take long, with a progress line every 10 s. */
async function step<T>(label: string, work: Promise<T>): Promise<T> {
  const started = performance.now()
  const progress = setInterval(
    () => process.stdout.write(`    … ${label}: ${((performance.now() - started) / 1000).toFixed(0)} s\n`),
    10_000,
  )
  try {
    return await work
  } finally {
    clearInterval(progress)
  }
}

/** The rows of the job summary's "### Time" table. */
function summaryPhases(summary: string): Array<[string, string]> {
  const section = summary.split('### Time')[1]?.split('\n### ')[0] ?? ''
  return section
    .split('\n')
    .filter((line) => line.startsWith('|') && !/^\|\s*(Phase|-)/.test(line))
    .map((line) => line.split('|').map((cell) => cell.trim().replace(/&nbsp;/g, ' ')))
    .map((cells) => [cells[1] ?? '', cells[2] ?? ''] as [string, string])
}

/**
 * URL paths of the HTML documents in a written site, as a static host serves them: by their first
 * bytes, as the action counts pages (feeds are saved as index.html too, and are not pages).
 */
async function pageList(dir: string): Promise<string[]> {
  const pages: string[] = []
  for (const file of await listFiles(dir)) {
    if (!file.endsWith('.html')) continue
    const head = (await readFile(path.join(dir, file))).subarray(0, 512).toString('utf8')
    if (/<!doctype html|<html/i.test(head)) pages.push(urlPathOf(file))
  }
  return pages
}

/**
 * The committed bundle at HEAD, extracted into the scratch directory (the working tree's dist/
 * may be mid-rebuild or absent while someone works on the sources): the bundle and the Python
 * files ncc put beside it.
 */
function committedBundle(root: string): { bundle: string; commit: string } {
  const commit = execFileSync('git', ['-C', repoRoot, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim()
  execFileSync('bash', ['-c', 'git -C "$1" archive HEAD action-static/dist | tar -x -C "$2"', 'bash', repoRoot, root])
  return { bundle: path.join(root, 'action-static/dist/index.js'), commit }
}

let bundle = ''

async function runAction(site: Site, round: number): Promise<{ run: Run; outputDir: string }> {
  const dir = path.join(site.scratch, `action-${round}`)
  await mkdir(dir, { recursive: true })
  const outputFile = path.join(dir, 'github_output')
  const summaryFile = path.join(dir, 'step_summary')
  const eventFile = path.join(dir, 'push.json')
  const runnerTemp = path.join(dir, 'runner-temp')
  await mkdir(runnerTemp)
  await writeFile(outputFile, '')
  await writeFile(summaryFile, '')
  await writeFile(
    eventFile,
    JSON.stringify({ ref: 'refs/heads/main', repository: { full_name: 'octo/blog', default_branch: 'main' } }),
  )
  const outputRel = `out/action-${round}`
  const env: NodeJS.ProcessEnv = {
    PATH: `/usr/bin:/bin:${process.env.PATH ?? ''}`, // python3 = Debian's, with Django 4.2
    HOME: process.env.HOME,
    GITHUB_ACTIONS: 'true',
    GITHUB_WORKSPACE: site.workspace,
    GITHUB_OUTPUT: outputFile,
    GITHUB_STEP_SUMMARY: summaryFile,
    GITHUB_EVENT_NAME: 'push',
    GITHUB_EVENT_PATH: eventFile,
    GITHUB_REPOSITORY: 'octo/blog',
    GITHUB_REF: 'refs/heads/main',
    GITHUB_SHA: 'f'.repeat(40),
    GITHUB_RUN_ID: '14',
    RUNNER_TEMP: runnerTemp,
    INPUT_PROVIDER: 'directory',
    INPUT_GENERATOR: 'auto',
    'INPUT_WORKING-DIRECTORY': 'site',
    'INPUT_OUTPUT-DIR': outputRel,
    'INPUT_FAIL-ON-BROKEN-LINKS': 'true',
    'INPUT_ALLOW-FEWER-PAGES': 'false',
    'INPUT_PR-COMMENT': 'false',
    'INPUT_GITHUB-DEPLOYMENT': 'false',
    'INPUT_GITHUB-TOKEN': '',
    INPUT_PRODUCTION: 'auto',
    INPUT_MODE: 'all',
    INPUT_TIMEOUT: '60',
    'INPUT_DRY-RUN': 'false',
  }
  const result = await timedProcess('action', process.execPath, [bundle], { cwd: site.workspace, env })
  if (result.code !== 0) throw new Error(`the action failed (exit ${result.code}):\n${result.output.slice(-3000)}`)
  const outputs = Object.fromEntries(
    [...(await readFile(outputFile, 'utf8')).matchAll(/^([\w-]+)<<(\S+)\n([\s\S]*?)\n\2$/gm)].map((match) => [
      match[1],
      match[3],
    ]),
  )
  return {
    run: {
      seconds: result.seconds,
      peakMb: result.peakKb / 1024,
      pages: Number(outputs.pages),
      phases: summaryPhases(await readFile(summaryFile, 'utf8')),
    },
    outputDir: path.join(site.workspace, outputRel),
  }
}

async function runBaseline(site: Site, round: number, listFile: string): Promise<Run> {
  const env = { ...process.env, ...site.django.env, STATIC_ROOT: path.join(site.scratch, `baseline-static-${round}`) }
  const options = { cwd: site.django.appDir, env }
  const collect = await timedProcess('baseline collectstatic', PYTHON, ['manage.py', 'collectstatic', '--noinput'], options)
  if (collect.code !== 0) throw new Error(`collectstatic failed (exit ${collect.code}):\n${collect.output.slice(-2000)}`)
  const out = path.join(site.scratch, `baseline-${round}`)
  const render = await timedProcess('baseline sequential render', PYTHON, [SEQUENTIAL, listFile, out], options)
  if (render.code !== 0) throw new Error(`sequential render failed (exit ${render.code}):\n${render.output.slice(-2000)}`)
  const line = JSON.parse(render.output.trim().split('\n').at(-1) ?? '{}') as { pages: number }
  return {
    seconds: collect.seconds + render.seconds,
    peakMb: Math.max(collect.peakKb, render.peakKb) / 1024,
    pages: line.pages,
    phases: [
      ['collectstatic', `${collect.seconds.toFixed(1)} s`],
      ['sequential render (process start to exit)', `${render.seconds.toFixed(1)} s`],
    ],
  }
}

interface Site {
  posts: number
  scratch: string
  workspace: string
  django: PreparedDjango
}

/** A copy of the example site with `posts` seeded into its SQLite file (the content the action copies). */
async function seededSite(scratch: string, posts: number): Promise<Site> {
  const workspace = path.join(scratch, 'workspace')
  const repo = path.join(workspace, 'site')
  await cp(path.join(repoRoot, 'test/fixtures/example-site'), repo, {
    recursive: true,
    filter: (source) => !/db\.sqlite3$|__pycache__|staticfiles$/.test(source),
  })
  const manage = async (argv: string[]): Promise<void> => {
    const result = await step(
      `manage.py ${argv[0]}`,
      spawnRunner.run(PYTHON, ['manage.py', ...argv], { cwd: repo, env: { ...process.env }, timeoutMs: 1_800_000 }),
    )
    if (result.exitCode !== 0) throw new Error(`manage.py ${argv.join(' ')} failed:\n${result.stderr || result.stdout}`)
  }
  await manage(['migrate', '--noinput'])
  await manage(['seed_posts', '--count', String(posts)])
  // The baseline's settings overlay and database: the action's own preparation (a copy of the
  // seeded SQLite file, migrated), done once, before any clock starts.
  const project = await detectProject({ repoRoot: repo, python: PYTHON }, spawnRunner)
  const django = await step(
    'baseline preparation (overlay, database copy)',
    prepareDjango({
      project,
      repoRoot: repo,
      workDir: path.join(scratch, 'baseline-work'),
      python: PYTHON,
      runner: spawnRunner,
      log: new MemoryLogger(),
      fixtures: [],
      timeoutMs: 600_000,
    }),
  )
  return { posts, scratch, workspace, django }
}

async function measureSize(root: string, posts: number): Promise<SizeResult> {
  const scratch = path.join(root, `posts-${posts}`)
  await mkdir(scratch, { recursive: true })
  process.stdout.write(`\n  ${posts} posts: seeding a copy of the example site\n`)
  const site = await seededSite(scratch, posts)
  const result: SizeResult = { posts, pages: 0, action: [], baseline: [] }
  const listFile = path.join(scratch, 'pages.json')
  let list: string[] | undefined
  for (let round = 0; round < REPEAT; round++) {
    // Interleaved, in alternating order; the first round starts with the action, whose written
    // pages are the baseline's list.
    const order: Array<'action' | 'baseline'> = round % 2 === 0 ? ['action', 'baseline'] : ['baseline', 'action']
    const load = loadavg()[0] ?? 0
    for (const name of order) {
      process.stdout.write(`  round ${round + 1}: ${name}\n`)
      if (name === 'action') {
        const { run, outputDir } = await runAction(site, round)
        result.action.push(run)
        if (!list) {
          list = await pageList(outputDir)
          await writeFile(listFile, JSON.stringify(list))
          result.pages = run.pages
        }
        process.stdout.write(`    action: ${run.pages} pages in ${run.seconds.toFixed(1)} s, peak ${run.peakMb.toFixed(0)} MB\n`)
      } else {
        const run = await runBaseline(site, round, listFile)
        result.baseline.push(run)
        process.stdout.write(
          `    baseline: ${run.pages} pages in ${run.seconds.toFixed(1)} s (${run.phases.map(([what, time]) => `${what} ${time}`).join(', ')}), peak ${run.peakMb.toFixed(0)} MB\n`,
        )
      }
    }
    const a = result.action[round]!
    const b = result.baseline[round]!
    process.stdout.write(
      `  round ${round + 1} (load ${load.toFixed(1)} → ${(loadavg()[0] ?? 0).toFixed(1)}): baseline/action ${(b.seconds / a.seconds).toFixed(2)}×\n`,
    )
  }
  const phases = result.action.at(-1)?.phases ?? []
  if (phases.length)
    process.stdout.write(
      `  the action's own phases (its job summary, last round):\n${phases.map(([what, time]) => `    ${what.padEnd(40)} ${time}`).join('\n')}\n`,
    )
  if (!process.env.STATIC_E2E_KEEP) await rm(scratch, { recursive: true, force: true })
  return result
}

async function main(): Promise<void> {
  const root = await mkdtemp(path.join(tmpdir(), 'static-e2e-bench-'))
  try {
    const committed = committedBundle(root)
    bundle = committed.bundle
    process.stdout.write(
      `action-static end to end on ${cores} cores (load average ${loadavg()[0]?.toFixed(1)}): example site + ${SIZES.join(' / ')} seeded posts; ${REPEAT} interleaved round(s) of the action (node action-static/dist/index.js as committed at ${committed.commit}, provider directory) and collectstatic + the sequential in-process render\n`,
    )
    const results: SizeResult[] = []
    for (const posts of SIZES) results.push(await measureSize(root, posts))

    const rows = results.map((result) => {
      const action = median(result.action.map((run) => run.seconds))
      const baseline = median(result.baseline.map((run) => run.seconds))
      // Each round's own ratio (the two ran back to back), then the median over the rounds.
      const ratio = median(result.action.map((run, round) => result.baseline[round]!.seconds / run.seconds))
      return {
        result,
        action,
        baseline,
        ratio,
        actionPeak: Math.max(...result.action.map((run) => run.peakMb)),
        baselinePeak: Math.max(...result.baseline.map((run) => run.peakMb)),
        baselinePages: result.baseline[0]?.pages ?? 0,
      }
    })
    const lines = [
      '| posts | pages | action s | baseline s | baseline/action | action peak RSS | baseline peak RSS |',
      '|---:|---:|---:|---:|---:|---:|---:|',
      ...rows.map(
        (row) =>
          `| ${row.result.posts} | ${row.result.pages.toLocaleString('en')}${row.baselinePages !== row.result.pages ? ` (baseline ${row.baselinePages})` : ''} | ${row.action.toFixed(1)} | ${row.baseline.toFixed(1)} | ${row.ratio.toFixed(2)}× | ${row.actionPeak.toFixed(0)} MB | ${row.baselinePeak.toFixed(0)} MB |`,
      ),
    ]
    process.stdout.write(`\n${lines.join('\n')}\n\n`)
    for (const row of rows)
      process.stdout.write(
        `  ${row.ratio >= GOAL ? 'met    ' : 'NOT MET'}  ${row.result.pages} pages: the action end to end: baseline/action ${row.ratio.toFixed(2)}× (collectstatic + sequential render time over the action's) (goal ≥ ${GOAL}×${REPEAT > 1 ? `; median of ${REPEAT} rounds` : ''})\n`,
      )
    process.stdout.write(
      `\n  (seconds: medians of ${REPEAT} round(s), process spawn to exit; peak RSS: the largest over the rounds, summed over each run's process tree, sampled every 50 ms; ${cores} cores)\n`,
    )
  } finally {
    if (!process.env.STATIC_E2E_KEEP) await rm(root, { recursive: true, force: true })
    else process.stdout.write(`  kept ${root}\n`)
  }
}

await main()
