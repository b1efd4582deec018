/**
 * action-static benchmarks (not tests: they print numbers, and say whether the goals of issue #4
 * were met; nothing here fails a build).
 *
 *   npm run bench -- static   (or: node --experimental-transform-types --import ./test/bench/ts-loader.mjs test/bench/static.bench.ts)
 *     [--posts N]       posts seeded into the example site (default 1200 ≈ 2,000 pages)
 *     [--latency MS]    added to every request of the Netlify stand-in (default 50)
 *     [--netlify-cli P] netlify-cli binary (default $NETLIFY_CLI, then /tmp/netlify-cli/node_modules/.bin/netlify)
 *     [--repeat N]      run each crawl measurement N times and keep the fastest (default 1; use 3 on a busy machine)
 *
 * 1. Crawl: pages/second of our crawler against two baselines measured in the same run, on the
 *    same seeded database and settings overlay:
 *    - sequential in-process rendering, the way django-bakery builds: RequestFactory + the
 *      resolved view, one page after another, files written (a Python script, Django only);
 *    - `wget --mirror` against the same running gunicorn.
 * 2. Netlify deploy of the crawled site to the local stand-in with added latency: our uploader
 *    vs `netlify deploy` (netlify-cli) pointed at the same stand-in; then an unchanged redeploy.
 */
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { cpus, loadavg, tmpdir } from 'node:os'
import path from 'node:path'
import { detectProject } from '@django-deploy/shared/detect/index'
import { spawnRunner } from '@django-deploy/shared/runtime/command'
import { MemoryLogger } from '@django-deploy/shared/runtime/log'
import { listFiles } from '../../action-static/src/generate/checks.js'
import { crawl } from '../../action-static/src/generate/crawl.js'
import { prepareDjango } from '../../action-static/src/generate/django.js'
import { httpFetcher } from '../../action-static/src/generate/fetcher.js'
import { urlPathOf } from '../../action-static/src/generate/paths.js'
import { startAppServer } from '../../action-static/src/generate/server.js'
import { NetlifyApi } from '../../action-static/src/netlify/api.js'
import { deploySite, resolveSite } from '../../action-static/src/netlify/deploy.js'
import { digestDirectory } from '../../action-static/src/netlify/digest.js'
import { fetchTransport } from '../../action-static/src/netlify/http.js'
import { startNetlifyStandin } from '../standins/netlify/server.js'

const args = process.argv.slice(2)
const option = (name: string, fallback: string): string => {
  const index = args.indexOf(`--${name}`)
  return index >= 0 && args[index + 1] ? (args[index + 1] as string) : fallback
}
const POSTS = Number(option('posts', '1200'))
const LATENCY = Number(option('latency', '50'))
const NETLIFY_CLI = option('netlify-cli', process.env.NETLIFY_CLI ?? '/tmp/netlify-cli/node_modules/.bin/netlify')
const REPEAT = Math.max(1, Number(option('repeat', '1')))
const PYTHON = '/usr/bin/python3'
const repoRoot = path.resolve(import.meta.dirname, '../..')

const SEQUENTIAL = String.raw`
import json, os, sys, time
import django
django.setup()
from django.test import RequestFactory
from django.urls import resolve
from django.http import Http404

paths = json.load(open(sys.argv[1]))
out = sys.argv[2]
factory = RequestFactory(HTTP_HOST="localhost")
start = time.perf_counter()
pages = 0
for path in paths:
    request = factory.get(path)
    try:
        match = resolve(path)
        request.resolver_match = match  # what the handler would set; some views read it
        response = match.func(request, *match.args, **match.kwargs)
    except Http404:
        continue
    if hasattr(response, "render") and not getattr(response, "is_rendered", True):
        response.render()
    target = os.path.join(out, path.lstrip("/"), "index.html")
    os.makedirs(os.path.dirname(target), exist_ok=True)
    with open(target, "wb") as handle:
        handle.write(response.content)
    if response.status_code == 200:
        pages += 1
print(json.dumps({"seconds": time.perf_counter() - start, "pages": pages}))
`

interface Row {
  what: string
  seconds: number
  count: number
  unit: string
}

async function main(): Promise<void> {
  const scratch = await mkdtemp(path.join(tmpdir(), 'static-bench-'))
  const log = new MemoryLogger()
  const rows: Row[] = []
  try {
    process.stdout.write(`action-static benchmark on ${cpus().length} cores (load average ${loadavg()[0]?.toFixed(1)}): example site + ${POSTS} seeded posts; Netlify stand-in with ${LATENCY} ms per request; best of ${REPEAT}\n\n`)
    const repo = path.join(scratch, 'repo')
    await cp(path.join(repoRoot, 'test/fixtures/example-site'), repo, { recursive: true, filter: (source) => !/db\.sqlite3$|__pycache__|staticfiles$/.test(source) })
    const project = await detectProject({ repoRoot: repo, python: PYTHON }, spawnRunner)
    const django = await prepareDjango({ project, repoRoot: repo, workDir: path.join(scratch, 'work'), python: PYTHON, runner: spawnRunner, log, fixtures: [], timeoutMs: 600_000 })
    await django.manage(['seed_posts', '--count', String(POSTS)], 'seed_posts')
    await django.manage(['collectstatic', '--noinput'], 'collectstatic')

    // --- 1. crawl ------------------------------------------------------------------------------
    const workers = cpus().length + 1 // as action-static chooses (generate/index.ts)
    const server = await startAppServer({ python: PYTHON, appDir: django.appDir, env: django.env, wsgiApplication: project.wsgiApplication, useGunicorn: true, workers, startTimeoutMs: 60_000, managePy: 'manage.py' })
    let pagePaths: string[] = []
    const ours = path.join(scratch, 'ours')
    try {
      const concurrency = workers * 2
      const fetcher = httpFetcher({ port: server.port, host: `127.0.0.1:${server.port}`, concurrency })
      let seconds = Infinity
      let result: Awaited<ReturnType<typeof crawl>> | undefined
      for (let round = 0; round < REPEAT; round++) {
        await rm(ours, { recursive: true, force: true })
        const started = performance.now()
        result = await crawl({ fetcher, log, outputDir: ours, extraPaths: [], siteOrigins: [`http://127.0.0.1:${server.port}`], requestOrigin: `http://127.0.0.1:${server.port}`, staticFiles: { urlPrefix: django.facts.staticUrl, root: django.facts.staticRoot }, mediaFiles: django.facts.mediaUrl && django.facts.mediaRoot ? { urlPrefix: django.facts.mediaUrl, root: django.facts.mediaRoot } : undefined, concurrency })
        seconds = Math.min(seconds, (performance.now() - started) / 1000)
      }
      if (!result) throw new Error('no crawl ran')
      fetcher.close()
      rows.push({ what: `our crawler (gunicorn ${workers} workers, ${concurrency} concurrent requests)`, seconds, count: result.pages, unit: 'pages' })
      pagePaths = [...result.written].filter(([, type]) => type.startsWith('text/html')).map(([file]) => urlPathOf(file))
      process.stdout.write(`  crawl: ${result.pages} pages (${result.fetched} requests incl. query-string pages, feeds, redirects) in ${seconds.toFixed(1)} s\n`)

      const wgetDir = path.join(scratch, 'wget')
      let wgetSeconds = Infinity
      let wget = { code: 0 as number | null, output: '' }
      for (let round = 0; round < REPEAT; round++) {
        await rm(wgetDir, { recursive: true, force: true })
        const wgetStart = performance.now()
        wget = await runProcess('wget', ['--mirror', '--no-parent', '--quiet', '-e', 'robots=off', '--no-host-directories', '--directory-prefix', wgetDir, `http://127.0.0.1:${server.port}/`])
        wgetSeconds = Math.min(wgetSeconds, (performance.now() - wgetStart) / 1000)
      }
      const wgetPages = await countHtml(wgetDir)
      rows.push({ what: 'wget --mirror (same gunicorn)', seconds: wgetSeconds, count: wgetPages, unit: 'pages' })
      process.stdout.write(`  wget --mirror: ${wgetPages} HTML files in ${wgetSeconds.toFixed(1)} s (exit ${wget.code}: wget exits 8 when some URLs answered 404)\n`)
    } finally {
      await server.stop()
    }

    const listFile = path.join(scratch, 'paths.json')
    await writeFile(listFile, JSON.stringify(pagePaths))
    let measured = { seconds: Infinity, pages: 0 }
    for (let round = 0; round < REPEAT; round++) {
      const sequential = await runProcess(PYTHON, ['-c', SEQUENTIAL, listFile, path.join(scratch, 'sequential')], { cwd: django.appDir, env: { ...process.env, ...django.env } })
      if (sequential.code !== 0) throw new Error(`sequential baseline failed:\n${sequential.output.slice(-2000)}`)
      const run = JSON.parse(sequential.output.trim().split('\n').at(-1) ?? '{}') as { seconds: number; pages: number }
      if (run.seconds < measured.seconds) measured = run
    }
    rows.push({ what: 'sequential in-process (RequestFactory + view, like django-bakery)', seconds: measured.seconds, count: measured.pages, unit: 'pages' })
    process.stdout.write(`  sequential in-process: ${measured.pages} pages in ${measured.seconds.toFixed(1)} s\n\n`)

    // --- 2. deploy -----------------------------------------------------------------------------
    const netlify = await startNetlifyStandin()
    netlify.state.addToken('bench-token')
    const files = (await listFiles(ours)).length
    try {
      netlify.latencyMs = LATENCY
      const api = new NetlifyApi({ token: 'bench-token', transport: fetchTransport, apiUrl: netlify.apiUrl, log })
      const digest = await digestDirectory(ours)
      const deployOnce = async (): Promise<{ seconds: number; uploaded: number }> => {
        const started = performance.now()
        const site = await resolveSite(api, { name: 'ours' }, log)
        const result = await deploySite({ api, log, site: { name: 'ours' }, digest: await digestDirectory(ours), target: { kind: 'production' }, deadline: Date.now() + 600_000 }, site.site, site.created)
        return { seconds: (performance.now() - started) / 1000, uploaded: result.uploaded }
      }
      const first = await deployOnce()
      rows.push({ what: `our uploader, first deploy (${digest.files.size} files)`, seconds: first.seconds, count: first.uploaded, unit: 'uploads' })
      netlify.requests.length = 0
      const again = await deployOnce()
      const creates = netlify.calls('createSiteDeploy').length
      const uploads = netlify.calls('uploadDeployFile').length
      rows.push({ what: 'our uploader, unchanged redeploy', seconds: again.seconds, count: uploads, unit: 'uploads' })
      process.stdout.write(`  our uploader: first ${first.uploaded} uploads in ${first.seconds.toFixed(1)} s; unchanged redeploy ${again.seconds.toFixed(1)} s, ${creates} create call(s), ${uploads} uploads, ${netlify.requests.length} requests in all\n`)

      let cliSeconds: number | undefined
      if (existsSync(NETLIFY_CLI)) {
        netlify.state.addSite('cli')
        const home = path.join(scratch, 'cli-home')
        const started = performance.now()
        const cli = await runProcess(NETLIFY_CLI, ['deploy', '--dir', ours, '--site', 'cli', '--auth', 'bench-token', '--no-build', '--prod', '--json'], {
          cwd: scratch,
          env: {
            ...process.env,
            HOME: home,
            NETLIFY_API_URL: netlify.url,
            NETLIFY_TEST_TRACK_URL: `${netlify.url}/telemetry/track`,
            NETLIFY_TEST_IDENTIFY_URL: `${netlify.url}/telemetry/identify`,
            NETLIFY_TEST_ERROR_REPORT_URL: `${netlify.url}/report-error`,
            NODE_OPTIONS: `--import ${path.join(import.meta.dirname, 'static-offline-guard.mjs')}`,
          },
        })
        cliSeconds = (performance.now() - started) / 1000
        if (cli.code !== 0) throw new Error(`netlify-cli deploy failed:\n${cli.output.slice(-3000)}`)
        const cliSite = netlify.state.siteByName('cli')!
        const cliUploads = netlify.state.deploysOf(cliSite)[0]?.uploads.length ?? 0
        rows.push({ what: 'netlify-cli deploy --no-build --prod (same stand-in)', seconds: cliSeconds, count: cliUploads, unit: 'uploads' })
        process.stdout.write(`  netlify-cli: ${cliUploads} uploads in ${cliSeconds.toFixed(1)} s (its files: ours + a generated netlify.toml)\n`)
      } else {
        process.stdout.write(`  netlify-cli: not found at ${NETLIFY_CLI}; install it outside the repository (npm install --prefix /tmp/netlify-cli netlify-cli) or pass --netlify-cli PATH\n`)
      }

      // --- table ---------------------------------------------------------------------------------
      const rate = (row: Row | undefined): number => (row ? row.count / row.seconds : NaN)
      const oursCrawl = rows[0]
      const wgetRow = rows.find((row) => row.what.startsWith('wget'))
      const seqRow = rows.find((row) => row.what.startsWith('sequential'))
      const deployRow = rows.find((row) => row.what.startsWith('our uploader, first'))
      process.stdout.write(`\n${table(rows)}\n\n`)
      const goals: Array<[string, number, number, string]> = [
        ['crawl vs sequential in-process (pages/s)', rate(oursCrawl) / rate(seqRow), 1.5, '≥'],
        ['crawl vs wget --mirror (pages/s)', rate(oursCrawl) / rate(wgetRow), 2, '≥'],
        ...(cliSeconds !== undefined && deployRow ? [['deploy wall time vs netlify-cli', deployRow.seconds / cliSeconds, 0.5, '≤'] as [string, number, number, string]] : []),
      ]
      for (const [what, ratio, goal, sense] of goals) {
        const met = sense === '≥' ? ratio >= goal : ratio <= goal
        process.stdout.write(`  ${met ? 'met    ' : 'NOT MET'}  ${what}: ${ratio.toFixed(2)}× (goal ${sense} ${goal}×)\n`)
      }
      process.stdout.write(`  ${creates === 1 && uploads === 0 ? 'met    ' : 'NOT MET'}  unchanged redeploy: ${creates} create call, ${uploads} uploads (goal: 1 and 0)\n`)
      process.stdout.write(`\n  (${files} files in the site; ${cpus().length} cores)\n`)
    } finally {
      await netlify.close()
    }
  } finally {
    await rm(scratch, { recursive: true, force: true })
  }
}

function table(rows: Row[]): string {
  const lines = [['measured', 'seconds', 'count', 'per second'], ...rows.map((row) => [row.what, row.seconds.toFixed(2), `${row.count} ${row.unit}`, (row.count / row.seconds).toFixed(1)])]
  const widths = lines[0]!.map((_, column) => Math.max(...lines.map((line) => line[column]!.length)))
  return lines.map((line, index) => `  ${line.map((cell, column) => (column === 0 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!))).join('  ')}${index === 0 ? `\n  ${widths.map((width) => '-'.repeat(width)).join('  ')}` : ''}`).join('\n')
}

async function countHtml(dir: string): Promise<number> {
  let count = 0
  for (const file of await listFiles(dir)) {
    const head = (await readFile(path.join(dir, file))).subarray(0, 512).toString('utf8')
    if (/<!doctype html|<html/i.test(head)) count++
  }
  return count
}

function runProcess(command: string, argv: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, argv, { cwd: options.cwd, env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] })
    let output = ''
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()))
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()))
    child.on('error', reject)
    child.on('close', (code) => resolve({ code, output }))
  })
}

await main()
