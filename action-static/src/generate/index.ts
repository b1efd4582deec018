import { cpus } from 'node:os'
import { copyFile, mkdir, rm, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { COMPRESS_COMMAND } from '@django-deploy/shared/build'
import { ActionError } from '@django-deploy/shared/errors'
import type { ProjectModel } from '@django-deploy/shared/detect'
import { untimed, type CommandRunner, type PhaseTimer } from '@django-deploy/shared/runtime'
import type { Logger } from '@django-deploy/shared/runtime'
import { distillCommand, bakeryCommand, chooseGenerator, type GeneratorName } from './adapters.js'
import { checkOutput, listFiles, type CheckReport } from './checks.js'
import { crawl, type CrawlResult } from './crawl.js'
import { prepareDjango, type DjangoFacts, type PreparedDjango } from './django.js'
import { httpFetcher } from './fetcher.js'
import {
  OUTPUT_MARKER,
  prepareOutputDir,
  redirectsFromStubs,
  replaceCsrfTokens,
  rewriteOrigin,
  writeContentTypeHeaders,
  writeRedirects,
} from './output.js'
import { urlconfSeeds, type UrlconfSeeds } from './seeds.js'
import { startAppServer, type AppServer, type StartOptions } from './server.js'

/**
 * Build the static site into output-dir with the chosen generator, then check it the same way
 * whichever generator ran (checks.ts).
 */
export interface GenerateOptions {
  project: ProjectModel
  repoRoot: string
  /** Absolute. */
  outputDir: string
  /** Private scratch directory. */
  workDir: string
  python: string
  runner: CommandRunner
  log: Logger
  generator: 'auto' | GeneratorName
  buildCommand?: string
  baseUrl?: string
  databaseUrl?: string
  fixtures: string[]
  extraPaths: string[]
  timeoutMs: number
  /** Parallel requests of the crawler; default 2 × the app's workers. */
  concurrency?: number
  startServer?: (options: StartOptions) => Promise<AppServer>
  /** Times the build's parts for the job summary (collectstatic, server start, crawl, …). */
  phase?: PhaseTimer
}

export interface GenerateResult {
  generator: GeneratorName
  /** Why that generator (auto). */
  reason: string
  content: string
  django?: DjangoFacts
  crawl?: CrawlResult
  /** The URLconf's parameterless patterns the crawl started from (crawl generator). */
  seeds?: UrlconfSeeds
  check: CheckReport
  redirects: number
  server?: { kind: string; workers: number }
}

export async function generate(options: GenerateOptions): Promise<GenerateResult> {
  const { log, project } = options
  const phase = options.phase ?? untimed
  await prepareOutputDir(options.outputDir, [options.repoRoot, path.join(options.repoRoot, project.appDir)])
  const django = await phase('Database and settings', () =>
    prepareDjango({
      project,
      repoRoot: options.repoRoot,
      workDir: options.workDir,
      python: options.python,
      runner: options.runner,
      log,
      baseUrl: options.baseUrl,
      databaseUrl: options.databaseUrl,
      fixtures: options.fixtures,
      timeoutMs: options.timeoutMs,
      extraEnv: { BUILD_DIR: options.outputDir },
    }),
  )
  const choice =
    options.generator === 'auto'
      ? chooseGenerator(django.facts)
      : { name: options.generator, reason: `generator: ${options.generator}` }
  log.info(`Generator: ${choice.name} (${choice.reason}); content from ${django.content}.`)

  let crawlResult: CrawlResult | undefined
  let seeds: UrlconfSeeds | undefined
  let server: AppServer | undefined
  const siteOrigins = options.baseUrl ? [new URL(options.baseUrl).origin] : []
  let redirects: number

  if (choice.name === 'crawl') {
    await phase('collectstatic', () =>
      log.group('collectstatic', async () => {
        log.info(await django.manage(['collectstatic', '--noinput'], 'manage.py collectstatic'))
      }),
    )
    await compressOffline(django, log, phase)
    const listed = await phase('Seeds from the URLconf', () => urlconfSeeds(django))
    seeds = listed
    log.info(
      `Seeds from the URLconf: ${listed.paths.length ? listed.paths.join(', ') : 'none'} (${listed.withParameters} pattern${listed.withParameters === 1 ? '' : 's'} with parameters and ${listed.admin} admin pattern${listed.admin === 1 ? '' : 's'} left out).`,
    )
    const shape = crawlShape()
    const started = await phase('Start the app server', () =>
      (options.startServer ?? startAppServer)({
        python: options.python,
        appDir: django.appDir,
        env: django.env,
        wsgiApplication: project.wsgiApplication,
        useGunicorn: django.facts.gunicorn,
        workers: shape.workers,
        startTimeoutMs: 60_000,
        managePy: path.basename(project.managePy),
      }),
    )
    server = started
    const local = `http://127.0.0.1:${started.port}`
    const base = options.baseUrl ? new URL(options.baseUrl) : undefined
    const concurrency = options.concurrency ?? shape.concurrency(started.workers)
    const fetcher = httpFetcher({
      port: started.port,
      host: base ? base.host : `127.0.0.1:${started.port}`,
      forwardedProto: base?.protocol.replace(':', ''),
      concurrency,
    })
    let crawled: CrawlResult
    try {
      crawled = await phase('Crawl and render', () =>
        log.group(`Crawl (${started.kind}, ${started.workers} workers, ${concurrency} at a time)`, () =>
          crawl({
            fetcher,
            log,
            outputDir: options.outputDir,
            extraPaths: options.extraPaths,
            urlconfPaths: listed.paths,
            siteOrigins: [local, ...siteOrigins],
            requestOrigin: base ? base.origin : local,
            staticFiles: { urlPrefix: django.facts.staticUrl, root: django.facts.staticRoot },
            mediaFiles:
              django.facts.mediaUrl && django.facts.mediaRoot
                ? { urlPrefix: django.facts.mediaUrl, root: django.facts.mediaRoot }
                : undefined,
            concurrency,
          }),
        ),
      )
    } finally {
      fetcher.close()
      await started.stop()
    }
    crawlResult = crawled
    redirects = await phase('Copy static and media, write redirects', async () => {
      await copyStatic(
        django.facts.staticRoot,
        path.join(options.outputDir, ...django.facts.staticUrl.split('/').filter(Boolean)),
        crawled.staticFiles,
        django.facts.compressOffline?.manifest,
      )
      if (django.facts.mediaRoot && django.facts.mediaUrl) {
        const mediaOut = path.join(options.outputDir, ...django.facts.mediaUrl.split('/').filter(Boolean))
        for (const file of crawled.mediaFiles) {
          await mkdir(path.dirname(path.join(mediaOut, file)), { recursive: true })
          await copyFile(path.join(django.facts.mediaRoot, file), path.join(mediaOut, file))
        }
      }
      const count = await writeRedirects(options.outputDir, crawled.redirects)
      await writeContentTypeHeaders(options.outputDir, crawled.contentTypes)
      await rewriteOrigin(options.outputDir, crawled.written.keys(), local, options.baseUrl)
      return count
    })
  } else {
    const command =
      choice.name === 'bakery'
        ? bakeryCommand(options.outputDir)
        : choice.name === 'distill'
          ? await distillCommand(django, options.outputDir)
          : undefined
    if (command && django.facts.compressOffline) {
      // The generators collect static files and render in one command: compress needs the
      // collected files first, and its output in STATIC_ROOT survives their collectstatic.
      await phase('collectstatic', () =>
        log.group('collectstatic', async () => {
          log.info(await django.manage(['collectstatic', '--noinput'], 'manage.py collectstatic'))
        }),
      )
      await compressOffline(django, log, phase)
    }
    await phase(`Generate with ${choice.name}`, () =>
      log.group(`Generate with ${choice.name}`, async () => {
        if (command) {
          log.info(`manage.py ${command.join(' ')}`)
          log.info(await django.manage(command, `manage.py ${command[0]} (${choice.name})`))
        } else {
          if (!options.buildCommand)
            throw new ActionError("generator 'command' needs a build-command.", { input: 'build-command' })
          const result = await options.runner.run('bash', ['-eo', 'pipefail', '-c', options.buildCommand], {
            cwd: path.join(options.repoRoot, project.searchRoot),
            env: { ...django.env, OUTPUT_DIR: options.outputDir },
            timeoutMs: options.timeoutMs,
            onStdout: (chunk) => log.info(chunk.trimEnd()),
            onStderr: (chunk) => log.info(chunk.trimEnd()),
          })
          if (result.exitCode !== 0)
            throw new ActionError(`build-command failed with exit code ${result.exitCode}.`, {
              input: 'build-command',
              hint: 'See its output above.',
            })
        }
      }),
    )
    // Generators write meta-refresh stubs for redirects; make them real redirects on Netlify.
    redirects = await writeRedirects(options.outputDir, await redirectsFromStubs(options.outputDir))
  }

  // bakery and distill wipe the directory they write; mark it as ours again for the next run.
  await writeFile(
    path.join(options.outputDir, OUTPUT_MARKER),
    'Written by django-deploy-actions/action-static; emptied on every build.\n',
  )
  const csrfPages = await replaceCsrfTokens(options.outputDir)
  if (csrfPages.length) log.debug(`CSRF token values replaced by a fixed placeholder in ${csrfPages.length} page(s).`)
  const check = await phase('Checks', () => checkOutput(options.outputDir, { siteOrigins }))
  if (check.files === 0) {
    throw new ActionError(`The ${choice.name} generator wrote no files into ${options.outputDir}.`, {
      input: choice.name === 'command' ? 'build-command' : 'generator',
      hint: choice.name === 'command' ? 'The command must write the site into $OUTPUT_DIR.' : 'Check the generator output above.',
    })
  }
  return {
    generator: choice.name,
    reason: choice.reason,
    content: django.content,
    django: django.facts,
    crawl: crawlResult,
    seeds,
    check,
    redirects,
    server: server ? { kind: server.kind, workers: server.workers } : undefined,
  }
}

/**
 * django-compressor's offline compression, after collectstatic and before anything renders:
 * with COMPRESS_OFFLINE on, a {% compress %} block renders only what `manage.py compress` wrote
 * (its manifest and the compressed files, under STATIC_ROOT, which the output copies).
 */
async function compressOffline(django: PreparedDjango, log: Logger, phase: PhaseTimer): Promise<void> {
  const compression = django.facts.compressOffline
  if (!compression) return
  if (path.resolve(compression.root) !== path.resolve(django.facts.staticRoot))
    throw new ActionError(
      `COMPRESS_ROOT (${compression.root}) is not STATIC_ROOT, so the files manage.py compress writes would not be in the site.`,
      { hint: 'Leave COMPRESS_ROOT unset (it defaults to STATIC_ROOT), or set COMPRESS_OFFLINE = False.' },
    )
  await phase('compress', () =>
    log.group('compress (COMPRESS_OFFLINE)', async () => {
      log.info(await django.manage([...COMPRESS_COMMAND.slice(2)], 'manage.py compress'))
    }),
  )
}

/**
 * How many app workers serve the crawl, and how many requests are in flight at once (also used by
 * the benchmark, so it measures what the action does).
 */
export function crawlShape(): { workers: number; concurrency: (workers: number) => number } {
  // Rendering is CPU-bound: one worker per core plus one to cover I/O waits; more only thrash.
  return { workers: Math.max(2, cpus().length + 1), concurrency: (workers) => Math.max(4, workers * 2) }
}

/**
 * Collected static files, all of them (JavaScript may load files no page names), except the
 * admin's (the admin cannot work on a static site; referenced ones are kept) and the `.gz`/`.br`
 * copies WhiteNoise makes (Netlify compresses by itself), and the manifests.
 */
async function copyStatic(
  root: string,
  destination: string,
  referenced: Set<string>,
  compressManifest?: string,
): Promise<number> {
  const files = await listFiles(root)
  const all = new Set(files)
  let copied = 0
  for (const file of files) {
    if (file.startsWith('admin/') && !referenced.has(file)) continue
    if (/\.(gz|br)$/.test(file) && all.has(file.replace(/\.(gz|br)$/, ''))) continue
    // Build bookkeeping, not site content: Django's manifest and django-compressor's.
    if (file === 'staticfiles.json' || file === compressManifest) continue
    await mkdir(path.dirname(path.join(destination, file)), { recursive: true })
    await copyFile(path.join(root, file), path.join(destination, file))
    copied++
  }
  if (copied === 0) await rm(destination, { recursive: true, force: true })
  return copied
}
