/**
 * Netlify first deploys of many small files under the stand-in's rate limit (500 requests a
 * minute per token, as Netlify): one zip vs the digest deploy vs netlify-cli (issue 14). Not a
 * test: it prints numbers and says whether the goals were met; nothing here fails a build.
 *
 *   npm run bench -- netlify-upload   (or: node --experimental-transform-types --import ./test/bench/ts-loader.mjs test/bench/netlify-upload.bench.ts)
 *     [--files N]        files of the big site (default 20000)
 *     [--sample N]       files of the site the digest and netlify-cli deploy (default 1000)
 *     [--latency MS]     added to every request of the Netlify stand-in (default 50, as the static bench)
 *     [--netlify-cli P]  netlify-cli binary (default $NETLIFY_CLI, then .tools/netlify-cli/node_modules/.bin/netlify)
 *
 * It takes about 3 minutes, 5 with netlify-cli, mostly waiting for the rate limit to reset during
 * the digest runs, so it is not in the default `npm run bench` list; name it.
 *
 * A digest deploy of 20,000 files needs 20,000 uploads: 40 windows of the limit, about 40
 * minutes. So the digest (and netlify-cli, which also uploads file by file) deploy the sample and
 * their time and requests are extrapolated linearly to the big site; the table says which rows are.
 * Each run has its own token, so one run's spent budget does not slow the next. Two more runs
 * redeploy the big site with just over ZIP_UPLOAD_THRESHOLD pages changed, by digest and by zip:
 * what the threshold trades (the zip sends the whole site, the digest only what changed).
 *
 * A 429 is "honoured" when no request of that token reached the stand-in after it (allowing for
 * the requests already in flight when it was answered) until the window it announced had ended.
 */
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { availableParallelism, loadavg, tmpdir } from 'node:os'
import path from 'node:path'
import { MemoryLogger } from '@django-deploy/shared/runtime'
import { NetlifyApi } from '../../action-static/src/netlify/api.js'
import { deploySite, resolveSite } from '../../action-static/src/netlify/deploy.js'
import { digestDirectory } from '../../action-static/src/netlify/digest.js'
import { fetchTransport } from '../../action-static/src/netlify/http.js'
import { ZIP_UPLOAD_THRESHOLD } from '../../action-static/src/netlify/upload-mode.js'
import { startNetlifyStandin, type NetlifyStandin, type RecordedRequest } from '../standins/netlify/server.js'

const args = process.argv.slice(2)
const option = (name: string, fallback: string): string => {
  const index = args.indexOf(`--${name}`)
  return index >= 0 && args[index + 1] ? (args[index + 1] as string) : fallback
}
const repoRoot = path.resolve(import.meta.dirname, '../..')
const FILES = Number(option('files', '20000'))
const SAMPLE = Number(option('sample', '1000'))
const LATENCY = Number(option('latency', '50'))
const NETLIFY_CLI = option(
  'netlify-cli',
  process.env.NETLIFY_CLI ?? path.join(repoRoot, '.tools', 'netlify-cli', 'node_modules', '.bin', 'netlify'),
)
/** Requests answered before the client saw a 429 may still arrive after it: this much slack. */
const IN_FLIGHT_MS = 2 * LATENCY + 250

interface Run {
  what: string
  files: number
  seconds: number
  requests: number
  limited: number
  honoured: number
  /** Upload requests (PUT), retries included. */
  uploads: number
  /** Measured on the sample and scaled to FILES. */
  extrapolated?: boolean
}

async function writeSite(root: string, files: number): Promise<void> {
  // Small pages, 500 to a directory (Netlify allows 54,000; this keeps the tree ordinary).
  await mkdir(root, { recursive: true })
  await writeFile(path.join(root, 'index.html'), '<!doctype html><title>home</title><h1>home</h1>')
  for (let i = 1; i < files; i++) {
    const dir = path.join(root, `section-${Math.floor(i / 500)}`, `page-${i}`)
    await mkdir(dir, { recursive: true })
    await writeFile(
      path.join(dir, 'index.html'),
      `<!doctype html><title>page ${i}</title><h1>Page ${i}</h1><p>${'Lorem ipsum dolor sit amet. '.repeat(1 + (i % 7))}</p>`,
    )
  }
}

/** New content for the first `count` pages (not the home page). */
async function changePages(root: string, count: number, version: string): Promise<void> {
  for (let i = 1; i <= count; i++)
    await writeFile(
      path.join(root, `section-${Math.floor(i / 500)}`, `page-${i}`, 'index.html'),
      `<h1>Page ${i}, ${version}</h1>`,
    )
}

function honouredOf(requests: RecordedRequest[]): { limited: number; honoured: number } {
  const limited = requests.filter((request) => request.status === 429 && request.limitedUntil !== undefined)
  const honoured = limited.filter(
    (request) =>
      !requests.some(
        (other) => other.at > request.at + IN_FLIGHT_MS && other.at < (request.limitedUntil ?? 0) && other !== request,
      ),
  )
  return { limited: limited.length, honoured: honoured.length }
}

let tokens = 0
async function ours(
  netlify: NetlifyStandin,
  what: string,
  dir: string,
  files: number,
  zipThreshold: number,
  /** Redeploy this site (default: a new one). */
  siteName?: string,
): Promise<Run> {
  const token = `bench-token-${++tokens}`
  netlify.state.addToken(token)
  const log = new MemoryLogger()
  const api = new NetlifyApi({ token, transport: fetchTransport, apiUrl: netlify.apiUrl, log })
  const name = siteName ?? `site-${tokens}`
  const start = netlify.requests.length
  const started = performance.now()
  // As the action does: hash, find (here: create) the site, deploy.
  const digest = await digestDirectory(dir)
  const site = await resolveSite(api, { name }, log)
  const result = await deploySite(
    {
      api,
      log,
      site: { name },
      digest,
      target: { kind: 'production' },
      deadline: Date.now() + 3_600_000,
      zipThreshold,
      tempDir: tmpdir(),
    },
    site.site,
    site.created,
  )
  const seconds = (performance.now() - started) / 1000
  const requests = netlify.requests.slice(start)
  const published = netlify.state.siteByName(name)?.publishedDeployId
  if (published !== result.deploy.id) throw new Error(`${what}: deploy ${result.deploy.id} is not the published one`)
  return {
    // The action's own choice, or a mode forced to compare the two at the same size.
    what: `${what}${siteName ? ', redeploy' : ''}: ${zipThreshold === ZIP_UPLOAD_THRESHOLD ? result.uploadMode.label : `${result.uploadMode.mode}, forced (${result.uploadMode.paths} to upload)`}`,
    files,
    seconds,
    requests: requests.length,
    uploads: requests.filter((request) => request.operation === 'uploadDeployFile').length,
    ...honouredOf(requests),
  }
}

async function cli(netlify: NetlifyStandin, dir: string, files: number, scratch: string): Promise<Run> {
  const token = `bench-token-${++tokens}`
  netlify.state.addToken(token)
  netlify.state.addSite('cli')
  const start = netlify.requests.length
  const started = performance.now()
  const run = await runProcess(
    NETLIFY_CLI,
    ['deploy', '--dir', dir, '--site', 'cli', '--auth', token, '--no-build', '--prod', '--json'],
    {
      cwd: scratch,
      env: {
        ...process.env,
        HOME: path.join(scratch, 'cli-home'),
        NETLIFY_API_URL: netlify.url,
        NETLIFY_TEST_TRACK_URL: `${netlify.url}/telemetry/track`,
        NETLIFY_TEST_IDENTIFY_URL: `${netlify.url}/telemetry/identify`,
        NETLIFY_TEST_ERROR_REPORT_URL: `${netlify.url}/report-error`,
        NODE_OPTIONS: `--import ${path.join(import.meta.dirname, 'static-offline-guard.mjs')}`,
      },
    },
  )
  const seconds = (performance.now() - started) / 1000
  if (run.code !== 0) throw new Error(`netlify-cli deploy failed:\n${run.output.slice(-3000)}`)
  const requests = netlify.requests.slice(start)
  return {
    what: 'netlify-cli deploy --no-build --prod',
    files,
    seconds,
    requests: requests.length,
    uploads: requests.filter((request) => request.operation === 'uploadDeployFile').length,
    ...honouredOf(requests),
  }
}

/** The sample's run scaled to FILES files: time, requests and uploads grow with the uploads. */
function extrapolate(run: Run): Run {
  const factor = FILES / run.files
  return {
    ...run,
    what: `${run.what}, ${run.files} files × ${factor.toFixed(0)}`,
    files: FILES,
    seconds: run.seconds * factor,
    requests: Math.round(run.requests * factor),
    uploads: Math.round(run.uploads * factor),
    limited: Math.round(run.limited * factor),
    honoured: Math.round(run.honoured * factor),
    extrapolated: true,
  }
}

function table(runs: Run[], baseline: Run | undefined): string {
  const lines = [
    ['measured', 'files', 'seconds', 'requests', 'of them PUT', '429s', 'honoured', baseline ? 'vs netlify-cli' : ''],
    ...runs.map((run) => [
      `${run.what}${run.extrapolated ? ' [extrapolated]' : ''}`,
      String(run.files),
      run.seconds.toFixed(1),
      String(run.requests),
      String(run.uploads),
      String(run.limited),
      String(run.honoured),
      baseline ? `${(run.seconds / baseline.seconds).toFixed(3)}×` : '',
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

async function main(): Promise<void> {
  const scratch = await mkdtemp(path.join(tmpdir(), 'netlify-upload-bench-'))
  const netlify = await startNetlifyStandin()
  try {
    const cores = availableParallelism()
    process.stdout.write(
      `Netlify upload benchmark on ${cores} cores (load average ${loadavg()[0]?.toFixed(1)}): ${FILES} small files; stand-in with ${LATENCY} ms per request and its rate limit of ${netlify.rateLimit.limit} requests per ${netlify.rateLimit.windowMs / 1000} s per token; zip above ${ZIP_UPLOAD_THRESHOLD} uploads\n\n`,
    )
    netlify.latencyMs = LATENCY
    const big = path.join(scratch, 'big')
    const sample = path.join(scratch, 'sample')
    const small = path.join(scratch, 'small')
    await writeSite(big, FILES)
    await writeSite(sample, SAMPLE)
    await writeSite(small, ZIP_UPLOAD_THRESHOLD)

    const runs: Run[] = []
    const report = (run: Run): Run => {
      runs.push(run)
      process.stdout.write(
        `  ${run.what}: ${run.files} files in ${run.seconds.toFixed(1)} s, ${run.requests} requests, ${run.uploads} uploads, ${run.limited} 429s (${run.honoured} honoured)\n`,
      )
      return run
    }
    const zipBig = report(await ours(netlify, 'ours', big, FILES, ZIP_UPLOAD_THRESHOLD))
    const digestSample = report(await ours(netlify, 'ours', sample, SAMPLE, Number.POSITIVE_INFINITY))
    report(await ours(netlify, 'ours', sample, SAMPLE, ZIP_UPLOAD_THRESHOLD))
    // At the threshold both fit in one window of the limit: where the digest still wins, or not.
    report(await ours(netlify, 'ours', small, ZIP_UPLOAD_THRESHOLD, Number.POSITIVE_INFINITY))
    report(await ours(netlify, 'ours', small, ZIP_UPLOAD_THRESHOLD, 0))
    // Just above the threshold on the big site: the zip sends all of it, the digest only what
    // changed, and both fit in one window of the limit. Two different sets of changed pages, so
    // the second run has as much to send as the first.
    const bigSite = 'site-1'
    await changePages(big, ZIP_UPLOAD_THRESHOLD + 1, 'a')
    report(await ours(netlify, 'ours', big, FILES, Number.POSITIVE_INFINITY, bigSite))
    await changePages(big, ZIP_UPLOAD_THRESHOLD + 1, 'b')
    report(await ours(netlify, 'ours', big, FILES, 0, bigSite))
    let cliSample: Run | undefined
    if (existsSync(NETLIFY_CLI)) cliSample = report(await cli(netlify, sample, SAMPLE, scratch))

    const digestBig = extrapolate(digestSample)
    const cliBig = cliSample ? extrapolate(cliSample) : undefined
    const bigRows = [zipBig, digestBig, ...(cliBig ? [cliBig] : [])]
    process.stdout.write(`\nFirst deploy of ${FILES} files:\n${table(bigRows, cliBig)}\n`)
    if (!cliBig) process.stdout.write('  netlify-cli: not measured: netlify-cli not installed\n')
    process.stdout.write(`\nEvery run as measured:\n${table(runs, undefined)}\n\n`)

    process.stdout.write(`  zip vs digest (${FILES} files): ${(zipBig.seconds / digestBig.seconds).toFixed(3)}× the wall time\n`)
    if (cliBig) {
      const ratio = zipBig.seconds / cliBig.seconds
      process.stdout.write(
        `  ${ratio <= 0.1 ? 'met    ' : 'NOT MET'}  zip vs netlify-cli wall time: ${ratio.toFixed(3)}× (goal ≤ 0.1×)\n`,
      )
    } else {
      process.stdout.write('  not measured  zip vs netlify-cli wall time (goal ≤ 0.1×): netlify-cli not installed\n')
    }
    const ourRuns = runs.filter((run) => run.what.startsWith('ours'))
    const unhonoured = ourRuns.reduce((sum, run) => sum + run.limited - run.honoured, 0)
    process.stdout.write(
      `  ${unhonoured === 0 ? 'met    ' : 'NOT MET'}  429s left unhonoured by our uploader: ${unhonoured} of ${ourRuns.reduce((sum, run) => sum + run.limited, 0)} (goal 0)\n`,
    )
  } finally {
    await netlify.close()
    await rm(scratch, { recursive: true, force: true })
  }
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
