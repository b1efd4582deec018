/**
 * action-static benchmarks (not tests: they print numbers, and say whether the goals of issue #4
 * were met; nothing here fails a build).
 *
 *   npm run bench -- static   (or: node --experimental-transform-types --import ./test/bench/ts-loader.mjs test/bench/static.bench.ts)
 *     [--posts N]       posts seeded into the example site (default 1200 ≈ 2,000 pages)
 *     [--latency MS]    added to every request of the Netlify stand-in (default 50)
 *     [--netlify-cli P] netlify-cli binary (default $NETLIFY_CLI, then /tmp/netlify-cli/node_modules/.bin/netlify)
 *     [--repeat N]      rounds of the crawl measurement (default 1; use 3 or more on a busy machine)
 *     [--workers N] [--concurrency N]   explore another server shape than the action's (crawlShape;
 *                       --concurrency applies to both crawls)
 *
 * 1. Crawl: pages/second of our crawler against two baselines measured in the same run, on the
 *    same seeded database and settings overlay:
 *    - sequential in-process rendering, the way django-bakery builds: RequestFactory + the
 *      resolved view, one page after another, files written (a Python script, Django only);
 *    - `wget --mirror` against the same running gunicorn.
 *    The three run interleaved, in rounds (see below). A page is, for all three, an HTML document
 *    written at a path a static host serves: wget's `index.html?page=N` copies are not counted
 *    (before, they were: 1,977 "pages" against our 1,491 for the same site). CPU time is taken
 *    too (our process and the server's process group; wget and the server; the sequential
 *    loop), because wall time on a shared 2-core machine moves with everyone else's load, and
 *    the CPU time per page says what the crawl could reach with the cores to itself.
 *    Two more contenders render in-process, as `generator: auto` does (generate/render.ts: Python
 *    workers forked after Django loaded, one per core, the WSGI application called directly):
 *    - render: the same crawl (discovery on), fed by the in-process pool instead of gunicorn;
 *    - renderList: the pool given the crawl's page list up front (no discovery, distill-style):
 *      the ideal parallel in-process render the crawl is measured against.
 * 2. Netlify deploy of the crawled site to the local stand-in with added latency: our uploader
 *    vs `netlify deploy` (netlify-cli) pointed at the same stand-in; then an unchanged redeploy.
 */
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { availableParallelism, loadavg, tmpdir } from 'node:os'
import path from 'node:path'
import { detectProject } from '@django-deploy/shared/detect'
import { spawnRunner } from '@django-deploy/shared/runtime'
import { MemoryLogger } from '@django-deploy/shared/runtime'
import { listFiles } from '../../action-static/src/generate/checks.js'
import { crawl, type CrawlResult } from '../../action-static/src/generate/crawl.js'
import { prepareDjango } from '../../action-static/src/generate/django.js'
import { httpFetcher, type PageFetcher } from '../../action-static/src/generate/fetcher.js'
import { crawlShape } from '../../action-static/src/generate/index.js'
import { urlPathOf } from '../../action-static/src/generate/paths.js'
import { startAppServer } from '../../action-static/src/generate/server.js'
import { startRenderPool, type RenderPool } from '../../action-static/src/generate/render.js'
import { NetlifyApi } from '../../action-static/src/netlify/api.js'
import { deploySite, resolveSite } from '../../action-static/src/netlify/deploy.js'
import { digestDirectory } from '../../action-static/src/netlify/digest.js'
import { fetchTransport } from '../../action-static/src/netlify/http.js'
import { startNetlifyStandin } from '../standins/netlify/server.js'
import { processGroupCpuSeconds } from './process-cpu.js'

const args = process.argv.slice(2)
const option = (name: string, fallback: string): string => {
  const index = args.indexOf(`--${name}`)
  return index >= 0 && args[index + 1] ? (args[index + 1] as string) : fallback
}
const POSTS = Number(option('posts', '1200'))
const LATENCY = Number(option('latency', '50'))
const NETLIFY_CLI = option('netlify-cli', process.env.NETLIFY_CLI ?? '/tmp/netlify-cli/node_modules/.bin/netlify')
const REPEAT = Math.max(1, Number(option('repeat', '1')))
const WORKERS = args.includes('--workers') ? Number(option('workers', '0')) : undefined
const CONCURRENCY = args.includes('--concurrency') ? Number(option('concurrency', '0')) : undefined
const PYTHON = '/usr/bin/python3'
const repoRoot = path.resolve(import.meta.dirname, '../..')

/** The sequential baseline, django-bakery's way (one Python file both static benchmarks run). */
const SEQUENTIAL = path.join(import.meta.dirname, 'sequential_render.py')

interface Row {
  what: string
  seconds: number
  count: number
  unit: string
  /** CPU seconds, where measured. */
  cpu?: number
}

type Contender = 'crawl' | 'render' | 'renderList' | 'wget' | 'sequential'
interface Measurement {
  seconds: number
  pages: number
  /** CPU seconds of the client side: our Node process, wget, or the whole sequential loop. */
  cpuClient: number
  /** CPU seconds of the gunicorn process group during the run. */
  cpuServer: number
  requests?: number
  htmlWithQuery?: number
}

const cores = availableParallelism()
const rate = (run: { pages: number; seconds: number }): number => run.pages / run.seconds
const rowOf = (run: Measurement): Pick<Row, 'seconds' | 'count' | 'unit' | 'cpu'> => ({
  seconds: run.seconds,
  count: run.pages,
  unit: 'pages',
  cpu: run.cpuClient + run.cpuServer,
})

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2
}

/**
 * What the crawl could reach at best on this machine: its CPU time per page against the
 * sequential one's, with every core busy all the time.
 */
function ceiling(measured: Record<Contender, Measurement[]>, cores: number): string {
  const per = (values: number[]): number => median(values) * 1000
  const crawlRuns = measured.crawl
  const seqPerPage = per(measured.sequential.map((run) => run.cpuClient / run.pages))
  const crawlPerPage = per(crawlRuns.map((run) => (run.cpuClient + run.cpuServer) / run.pages))
  const requestsPerPage = median(crawlRuns.map((run) => (run.requests ?? run.pages) / run.pages))
  const serverPerRequest = per(crawlRuns.map((run) => run.cpuServer / (run.requests ?? run.pages)))
  const nodePerRequest = per(crawlRuns.map((run) => run.cpuClient / (run.requests ?? run.pages)))
  const busy = median(crawlRuns.map((run) => (run.cpuClient + run.cpuServer) / (run.seconds * cores)))
  const wgetServer = per(measured.wget.map((run) => run.cpuServer / run.pages))
  const wgetClient = per(measured.wget.map((run) => run.cpuClient / run.pages))
  return [
    `  CPU time per page (medians): sequential ${seqPerPage.toFixed(1)} ms; crawl ${crawlPerPage.toFixed(1)} ms = ${requestsPerPage.toFixed(2)} requests per page × (gunicorn ${serverPerRequest.toFixed(1)} ms + our process ${nodePerRequest.toFixed(1)} ms per request);`,
    `  wget ${(wgetServer + wgetClient).toFixed(1)} ms (gunicorn ${wgetServer.toFixed(1)} ms + wget ${wgetClient.toFixed(1)} ms), one request at a time.`,
    `  With all ${cores} cores busy the whole time the crawl would reach at most ${cores} × ${seqPerPage.toFixed(1)} / ${crawlPerPage.toFixed(1)} = ${((cores * seqPerPage) / crawlPerPage).toFixed(2)}× the sequential rate; it kept them ${(busy * 100).toFixed(0)} % busy.`,
    inProcessCeiling(measured, cores, seqPerPage),
  ].join('\n')
}

/** The same limit for the in-process crawl (discovery on): its workers' CPU instead of gunicorn's. */
function inProcessCeiling(measured: Record<Contender, Measurement[]>, cores: number, seqPerPage: number): string {
  const per = (values: number[]): number => median(values) * 1000
  const runs = measured.render
  const perPage = per(runs.map((run) => (run.cpuClient + run.cpuServer) / run.pages))
  const poolPerRequest = per(runs.map((run) => run.cpuServer / (run.requests ?? run.pages)))
  const nodePerRequest = per(runs.map((run) => run.cpuClient / (run.requests ?? run.pages)))
  const busy = median(runs.map((run) => (run.cpuClient + run.cpuServer) / (run.seconds * cores)))
  return `  In-process crawl: ${perPage.toFixed(1)} ms a page (render workers ${poolPerRequest.toFixed(1)} ms + our process ${nodePerRequest.toFixed(1)} ms per request): at most ${cores} × ${seqPerPage.toFixed(1)} / ${perPage.toFixed(1)} = ${((cores * seqPerPage) / perPage).toFixed(2)}× the sequential rate; it kept the cores ${(busy * 100).toFixed(0)} % busy.`
}

async function main(): Promise<void> {
  const scratch = await mkdtemp(path.join(tmpdir(), 'static-bench-'))
  const log = new MemoryLogger()
  const rows: Row[] = []
  try {
    process.stdout.write(
      `action-static benchmark on ${cores} cores (load average ${loadavg()[0]?.toFixed(1)}): example site + ${POSTS} seeded posts; Netlify stand-in with ${LATENCY} ms per request; ${REPEAT} interleaved round(s) of crawl, wget and sequential\n\n`,
    )
    const repo = path.join(scratch, 'repo')
    await cp(path.join(repoRoot, 'test/fixtures/example-site'), repo, {
      recursive: true,
      filter: (source) => !/db\.sqlite3$|__pycache__|staticfiles$/.test(source),
    })
    const project = await detectProject({ repoRoot: repo, python: PYTHON }, spawnRunner)
    const django = await prepareDjango({
      project,
      repoRoot: repo,
      workDir: path.join(scratch, 'work'),
      python: PYTHON,
      runner: spawnRunner,
      log,
      fixtures: [],
      timeoutMs: 600_000,
    })
    await django.manage(['seed_posts', '--count', String(POSTS)], 'seed_posts')
    await django.manage(['collectstatic', '--noinput'], 'collectstatic')

    // --- 1. crawl ------------------------------------------------------------------------------
    // The action's own server shape (generate/index.ts) unless --workers/--concurrency explore others.
    const shape = crawlShape()
    const workers = WORKERS ?? shape.workers
    const concurrency = CONCURRENCY ?? shape.concurrency(workers)
    const server = await startAppServer({
      python: PYTHON,
      appDir: django.appDir,
      env: django.env,
      wsgiApplication: project.wsgiApplication,
      useGunicorn: true,
      workers,
      startTimeoutMs: 60_000,
      managePy: 'manage.py',
    })
    const origin = `http://127.0.0.1:${server.port}`
    const listFile = path.join(scratch, 'paths.json')
    const measured: Record<Contender, Measurement[]> = { crawl: [], render: [], renderList: [], wget: [], sequential: [] }
    const pool: RenderPool = await startRenderPool({
      python: PYTHON,
      appDir: django.appDir,
      env: django.env,
      wsgiApplication: project.wsgiApplication,
      workers: shape.renderWorkers,
      host: `127.0.0.1:${server.port}`,
      requestTimeoutMs: 60_000,
      startTimeoutMs: 60_000,
      scratchDir: scratch,
    })
    const renderConcurrency = CONCURRENCY ?? shape.renderConcurrency(pool.workers)
    const poolCpu = (): number => (pool.pid ? processGroupCpuSeconds(pool.pid) : 0)
    const roundLines: string[] = []
    let result: CrawlResult | undefined
    try {
      const fetcher = httpFetcher({ port: server.port, host: `127.0.0.1:${server.port}`, concurrency })
      const serverCpu = (): number => processGroupCpuSeconds(server.pid)
      // The same crawl for both page sources (gunicorn over HTTP, the in-process pool).
      const crawlSite = (source: PageFetcher, dir: string, inFlight: number): Promise<CrawlResult> =>
        crawl({
          fetcher: source,
          log,
          outputDir: dir,
          extraPaths: [],
          siteOrigins: [origin],
          requestOrigin: origin,
          staticFiles: { urlPrefix: django.facts.staticUrl, root: django.facts.staticRoot },
          mediaFiles:
            django.facts.mediaUrl && django.facts.mediaRoot
              ? { urlPrefix: django.facts.mediaUrl, root: django.facts.mediaRoot }
              : undefined,
          concurrency: inFlight,
        })
      const contenders: Record<Contender, (dir: string) => Promise<Measurement>> = {
        async crawl(dir) {
          const cpu = process.cpuUsage()
          const cpuServer = serverCpu()
          const started = performance.now()
          result = await crawlSite(fetcher, dir, concurrency)
          const seconds = (performance.now() - started) / 1000
          const own = process.cpuUsage(cpu)
          if (!existsSync(listFile))
            await writeFile(
              listFile,
              JSON.stringify(
                [...result.written].filter(([, type]) => type.startsWith('text/html')).map(([file]) => urlPathOf(file)),
              ),
            )
          return {
            seconds,
            pages: result.pages,
            cpuClient: (own.user + own.system) / 1e6,
            cpuServer: serverCpu() - cpuServer,
            requests: result.fetched,
          }
        },
        async render(dir) {
          const cpu = process.cpuUsage()
          const cpuPool = poolCpu()
          const started = performance.now()
          const rendered = await crawlSite(pool, dir, renderConcurrency)
          const own = process.cpuUsage(cpu)
          return {
            seconds: (performance.now() - started) / 1000,
            pages: rendered.pages,
            cpuClient: (own.user + own.system) / 1e6,
            cpuServer: poolCpu() - cpuPool,
            requests: rendered.fetched,
          }
        },
        async renderList(dir) {
          const list = JSON.parse(await readFile(listFile, 'utf8')) as string[]
          const cpu = process.cpuUsage()
          const cpuPool = poolCpu()
          const started = performance.now()
          let next = 0
          let pages = 0
          const lane = async (): Promise<void> => {
            while (next < list.length) {
              const page = list[next++] as string
              const response = await pool.get(page)
              if (response.status !== 200) continue
              const file = path.join(dir, ...page.split('/').filter(Boolean), 'index.html')
              await mkdir(path.dirname(file), { recursive: true })
              await writeFile(file, response.body)
              pages++
            }
          }
          await Promise.all(Array.from({ length: renderConcurrency }, lane))
          const own = process.cpuUsage(cpu)
          return {
            seconds: (performance.now() - started) / 1000,
            pages,
            cpuClient: (own.user + own.system) / 1e6,
            cpuServer: poolCpu() - cpuPool,
            requests: list.length,
          }
        },
        async wget(dir) {
          const cpuServer = serverCpu()
          const started = performance.now()
          // bash's `times` prints the CPU time of its children (wget) when wget has exited.
          const run = await runProcess('bash', [
            '-c',
            'wget "$@"; code=$?; times; exit $code',
            'wget',
            '--mirror',
            '--no-parent',
            '--quiet',
            '-e',
            'robots=off',
            '--no-host-directories',
            '--directory-prefix',
            dir,
            `${origin}/`,
          ])
          const seconds = (performance.now() - started) / 1000
          const cpuServer2 = serverCpu()
          if (run.code !== 0 && run.code !== 8) throw new Error(`wget failed (exit ${run.code}):\n${run.output.slice(-2000)}`) // 8: some URLs answered 404 (media with DEBUG off)
          const children = run.output
            .trim()
            .split('\n')
            .at(-1)
            ?.match(/(\d+)m([\d.]+)s\s+(\d+)m([\d.]+)s/)
          const cpuClient = children
            ? Number(children[1]) * 60 + Number(children[2]) + Number(children[3]) * 60 + Number(children[4])
            : NaN
          const html = await htmlFiles(dir)
          // The same definition of a page as ours: an HTML document saved at a path a static host
          // serves. wget also saves each `?page=N` answer as `index.html?page=N`, which no static
          // host serves at that URL (we fetch those too, and report rather than save them).
          return {
            seconds,
            pages: html.filter((file) => !file.includes('?')).length,
            htmlWithQuery: html.length,
            cpuClient,
            cpuServer: cpuServer2 - cpuServer,
          }
        },
        async sequential(dir) {
          const run = await runProcess(PYTHON, [SEQUENTIAL, listFile, dir], {
            cwd: django.appDir,
            env: { ...process.env, ...django.env },
          })
          if (run.code !== 0) throw new Error(`sequential baseline failed:\n${run.output.slice(-2000)}`)
          const line = JSON.parse(run.output.trim().split('\n').at(-1) ?? '{}') as { seconds: number; pages: number; cpu: number }
          return { seconds: line.seconds, pages: line.pages, cpuClient: line.cpu, cpuServer: 0 }
        },
      }
      // Interleaved: every round runs the three, in a rotating order, so a slower or busier stretch
      // of the machine falls on all of them; the goals use each round's own ratios. Each run writes
      // into a new, empty directory and nothing is deleted until the end (deleting thousands of
      // files just before another run writes its own made file creation markedly slower here).
      const order: Contender[] = ['crawl', 'render', 'renderList', 'wget', 'sequential']
      for (let round = 0; round < REPEAT; round++) {
        const load = loadavg()[0] ?? 0
        const cells: string[] = []
        for (let i = 0; i < order.length; i++) {
          const name = order[(round + i) % order.length] as Contender
          const run = await contenders[name](path.join(scratch, `${name}-${round}`))
          measured[name].push(run)
          cells.push(`${name} ${run.seconds.toFixed(1)} s`)
        }
        const [c, r, w, q] = [measured.crawl[round]!, measured.render[round]!, measured.wget[round]!, measured.sequential[round]!]
        roundLines.push(
          `  round ${round + 1} (load ${load.toFixed(1)} → ${(loadavg()[0] ?? 0).toFixed(1)}): ${cells.join(', ')}; render ${(rate(r) / rate(q)).toFixed(2)}× sequential, ${(rate(r) / rate(w)).toFixed(2)}× wget; HTTP crawl ${(rate(c) / rate(q)).toFixed(2)}× sequential`,
        )
        process.stdout.write(`${roundLines.at(-1)}\n`)
      }
      fetcher.close()
    } finally {
      await pool.close()
      await server.stop()
    }
    if (!result) throw new Error('no crawl ran')
    const ours = path.join(scratch, `crawl-${REPEAT - 1}`)
    const best = (name: Contender): Measurement => measured[name].reduce((a, b) => (b.seconds < a.seconds ? b : a))
    const [bestCrawl, bestWget, bestSequential] = [best('crawl'), best('wget'), best('sequential')]
    const [bestRender, bestRenderList] = [best('render'), best('renderList')]
    rows.push({
      what: `our crawl rendered in-process (generator auto: ${pool.workers} forked workers, ${renderConcurrency} in flight)`,
      ...rowOf(bestRender),
    })
    rows.push({
      what: `in-process render of the page list given up front (ideal, ${pool.workers} workers)`,
      ...rowOf(bestRenderList),
    })
    rows.push({
      what: `our crawl over HTTP (generator crawl: gunicorn ${workers} workers, ${concurrency} concurrent)`,
      ...rowOf(bestCrawl),
    })
    rows.push({ what: 'wget --mirror (same gunicorn)', ...rowOf(bestWget) })
    rows.push({ what: 'sequential in-process (RequestFactory + view, like django-bakery)', ...rowOf(bestSequential) })
    process.stdout.write(
      `\n  crawl: ${result.pages} pages from ${result.fetched} requests (${result.queryUrls.length} query-string URLs fetched for their links and reported, feeds, sitemaps, redirects)\n`,
    )
    process.stdout.write(
      `  wget --mirror: ${bestWget.pages} pages at servable paths (${bestWget.htmlWithQuery} HTML files with its ?page= copies)\n`,
    )
    process.stdout.write(`  sequential in-process: ${bestSequential.pages} pages (the crawl's page list)\n\n`)

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
        const result = await deploySite(
          {
            api,
            log,
            site: { name: 'ours' },
            digest: await digestDirectory(ours),
            target: { kind: 'production' },
            deadline: Date.now() + 600_000,
          },
          site.site,
          site.created,
        )
        return { seconds: (performance.now() - started) / 1000, uploaded: result.uploaded }
      }
      const first = await deployOnce()
      rows.push({
        what: `our uploader, first deploy (${digest.files.size} files)`,
        seconds: first.seconds,
        count: first.uploaded,
        unit: 'uploads',
      })
      netlify.requests.length = 0
      const again = await deployOnce()
      const creates = netlify.calls('createSiteDeploy').length
      const uploads = netlify.calls('uploadDeployFile').length
      rows.push({ what: 'our uploader, unchanged redeploy', seconds: again.seconds, count: uploads, unit: 'uploads' })
      process.stdout.write(
        `  our uploader: first ${first.uploaded} uploads in ${first.seconds.toFixed(1)} s; unchanged redeploy ${again.seconds.toFixed(1)} s, ${creates} create call(s), ${uploads} uploads, ${netlify.requests.length} requests in all\n`,
      )

      let cliSeconds: number | undefined
      if (existsSync(NETLIFY_CLI)) {
        netlify.state.addSite('cli')
        const home = path.join(scratch, 'cli-home')
        const started = performance.now()
        const cli = await runProcess(
          NETLIFY_CLI,
          ['deploy', '--dir', ours, '--site', 'cli', '--auth', 'bench-token', '--no-build', '--prod', '--json'],
          {
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
          },
        )
        cliSeconds = (performance.now() - started) / 1000
        if (cli.code !== 0) throw new Error(`netlify-cli deploy failed:\n${cli.output.slice(-3000)}`)
        const cliSite = netlify.state.siteByName('cli')!
        const cliUploads = netlify.state.deploysOf(cliSite)[0]?.uploads.length ?? 0
        rows.push({
          what: 'netlify-cli deploy --no-build --prod (same stand-in)',
          seconds: cliSeconds,
          count: cliUploads,
          unit: 'uploads',
        })
        process.stdout.write(
          `  netlify-cli: ${cliUploads} uploads in ${cliSeconds.toFixed(1)} s (its files: ours + a generated netlify.toml)\n`,
        )
      } else {
        process.stdout.write(
          `  netlify-cli: not found at ${NETLIFY_CLI}; install it outside the repository (npm install --prefix /tmp/netlify-cli netlify-cli) or pass --netlify-cli PATH\n`,
        )
      }

      // --- table ---------------------------------------------------------------------------------
      const deployRow = rows.find((row) => row.what.startsWith('our uploader, first'))
      process.stdout.write(`\n${table(rows)}\n\n${roundLines.join('\n')}\n\n`)
      // Each round's own ratio (the three ran back to back), then the median over the rounds; the
      // ratio of the best runs is printed beside it.
      const paired = (other: Contender, ours: Contender = 'render'): number =>
        median(measured[ours].map((run, round) => rate(run) / rate(measured[other][round]!)))
      const bestRatio = (a: Measurement, b: Measurement) => `; best runs ${(rate(a) / rate(b)).toFixed(2)}×`
      const goals: Array<[string, number, number, string, string]> = [
        [
          'in-process crawl (discovery on) vs sequential in-process (pages/s)',
          paired('sequential'),
          1.35,
          '≥',
          bestRatio(bestRender, bestSequential),
        ],
        [
          'in-process render of the page list vs sequential in-process (pages/s)',
          paired('sequential', 'renderList'),
          1.8,
          '≥',
          bestRatio(bestRenderList, bestSequential),
        ],
        [
          'in-process crawl vs the ideal render of the same list (pages/s)',
          paired('renderList'),
          0.9,
          '≥',
          bestRatio(bestRender, bestRenderList),
        ],
        ['in-process crawl vs wget --mirror (pages/s)', paired('wget'), 2.5, '≥', bestRatio(bestRender, bestWget)],
        [
          'HTTP crawl (generator: crawl) vs sequential in-process (pages/s)',
          paired('sequential', 'crawl'),
          1,
          '≥',
          bestRatio(bestCrawl, bestSequential),
        ],
        ...(cliSeconds !== undefined && deployRow
          ? [
              ['deploy wall time vs netlify-cli', deployRow.seconds / cliSeconds, 0.5, '≤', ''] as [
                string,
                number,
                number,
                string,
                string,
              ],
            ]
          : []),
      ]
      for (const [what, ratio, goal, sense, note] of goals) {
        const met = sense === '≥' ? ratio >= goal : ratio <= goal
        process.stdout.write(
          `  ${met ? 'met    ' : 'NOT MET'}  ${what}: ${ratio.toFixed(2)}× (goal ${sense} ${goal}×${REPEAT > 1 ? `; median of ${REPEAT} rounds${note}` : ''})\n`,
        )
      }
      process.stdout.write(
        `  ${creates === 1 && uploads === 0 ? 'met    ' : 'NOT MET'}  unchanged redeploy: ${creates} create call, ${uploads} uploads (goal: 1 and 0)\n`,
      )
      process.stdout.write(`\n${ceiling(measured, cores)}\n`)
      process.stdout.write(`\n  (${files} files in the site; ${cores} cores)\n`)
    } finally {
      await netlify.close()
    }
  } finally {
    await rm(scratch, { recursive: true, force: true })
  }
}

function table(rows: Row[]): string {
  const lines = [
    ['measured', 'seconds', 'count', 'per second', 'CPU s'],
    ...rows.map((row) => [
      row.what,
      row.seconds.toFixed(2),
      `${row.count} ${row.unit}`,
      (row.count / row.seconds).toFixed(1),
      row.cpu === undefined ? '' : row.cpu.toFixed(1),
    ]),
  ]
  const widths = lines[0]!.map((_, column) => Math.max(...lines.map((line) => line[column]!.length)))
  return lines
    .map(
      (line, index) =>
        `  ${line.map((cell, column) => (column === 0 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!))).join('  ')}${index === 0 ? `\n  ${widths.map((width) => '-'.repeat(width)).join('  ')}` : ''}`,
    )
    .join('\n')
}

/** Files of a directory that are HTML documents (by their first bytes). */
async function htmlFiles(dir: string): Promise<string[]> {
  const html: string[] = []
  for (const file of await listFiles(dir)) {
    const head = (await readFile(path.join(dir, file))).subarray(0, 512).toString('utf8')
    if (/<!doctype html|<html/i.test(head)) html.push(file)
  }
  return html
}

function runProcess(
  command: string,
  argv: string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<{ code: number | null; output: string }> {
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
