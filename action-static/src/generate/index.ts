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
import { contentSource, loadDjango, prepareDjango, type DjangoFacts, type PreparedDjango } from './django.js'
import { httpFetcher, type PageFetcher } from './fetcher.js'
import { RenderPoolStartError, startRenderPool, type RenderPool, type RenderPoolOptions } from './render.js'
import {
  OUTPUT_MARKER,
  prepareOutputDir,
  redirectsFromStubs,
  finishBody,
  replaceCsrfTokens,
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
  startRenderer?: (options: RenderPoolOptions) => Promise<RenderPool>
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

/** What a dry run can know for certain, in the run's own words: the content source and the generator. */
export interface GenerationPlan {
  content: string
  generator: GeneratorName
  reason: string
}

/**
 * The dry run's half of `generate`: the project loaded with the build's settings (the same
 * overlay and probe; nothing migrated, copied or written but a scratch overlay in `workDir`), so
 * the plan says what the run will do rather than what it might.
 */
export async function planGeneration(
  options: Pick<
    GenerateOptions,
    | 'project'
    | 'repoRoot'
    | 'workDir'
    | 'python'
    | 'runner'
    | 'log'
    | 'generator'
    | 'baseUrl'
    | 'databaseUrl'
    | 'fixtures'
    | 'timeoutMs'
  >,
): Promise<GenerationPlan> {
  const loaded = await loadDjango(options)
  const { content } = await contentSource(options, loaded)
  const choice =
    options.generator === 'auto'
      ? chooseGenerator(loaded.facts)
      : { name: options.generator, reason: `generator: ${options.generator}` }
  return { content, generator: choice.name, reason: choice.reason }
}

export async function generate(options: GenerateOptions): Promise<GenerateResult> {
  const { log, project } = options
  const phase = options.phase ?? untimed
  await prepareOutputDir(options.outputDir, [options.repoRoot, path.join(options.repoRoot, project.appDir)])
  // The crawl's collectstatic needs the settings, not the database: it runs beside the migration,
  // its output logged once both are done (two log groups cannot interleave).
  const chosen = (facts: DjangoFacts) =>
    options.generator === 'auto' ? chooseGenerator(facts) : { name: options.generator, reason: `generator: ${options.generator}` }
  const collectBeside = (loaded: Pick<PreparedDjango, 'facts' | 'manage'>): Promise<string> | undefined =>
    chosen(loaded.facts).name === 'crawl'
      ? phase('collectstatic (beside the database)', () =>
          loaded.manage(['collectstatic', '--noinput'], 'manage.py collectstatic'),
        )
      : undefined
  const django = await phase('Database and settings', () =>
    prepareDjango(
      {
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
      },
      collectBeside,
    ),
  )
  const choice = chosen(django.facts)
  log.info(`Generator: ${choice.name} (${choice.reason}); content from ${django.content}.`)

  let crawlResult: CrawlResult | undefined
  let seeds: UrlconfSeeds | undefined
  let server: AppServer | undefined
  let renderer: RenderPool | undefined
  const siteOrigins = options.baseUrl ? [new URL(options.baseUrl).origin] : []
  let redirects: number
  let csrfPages = 0

  if (choice.name === 'crawl') {
    const collected = django.besideResult as string
    await log.group('collectstatic', async () => log.info(collected))
    await compressOffline(django, log, phase)
    const shape = crawlShape()
    const base = options.baseUrl ? new URL(options.baseUrl) : undefined
    // `auto` renders in-process (the project's WSGI application called directly in forked
    // workers); an explicit `generator: crawl`, or a project that cannot be loaded that way, is
    // crawled over HTTP from gunicorn (or runserver). Both feed the same crawl.
    if (options.generator === 'auto') {
      renderer = await phase('Start the renderer', () =>
        (options.startRenderer ?? startRenderPool)({
          python: options.python,
          appDir: django.appDir,
          env: django.env,
          wsgiApplication: project.wsgiApplication,
          workers: shape.renderWorkers,
          host: base ? base.host : IN_PROCESS_HOST,
          forwardedProto: base?.protocol.replace(':', ''),
          requestTimeoutMs: RENDER_TIMEOUT_MS,
          startTimeoutMs: 60_000,
          scratchDir: options.workDir,
          listSeeds: true,
          progress: (message) => log.info(message),
        }).catch((error: unknown) => {
          if (!(error instanceof RenderPoolStartError)) throw error
          log.info(`In-process rendering is not possible (${error.message}); crawling over HTTP instead.`)
          return undefined
        }),
      )
    }
    // The renderer lists the seeds in the project it loaded; the HTTP crawl (or a renderer that
    // could not list them) needs a Django boot of its own for them.
    if (renderer?.seedsError) log.debug(`The renderer could not list the URLconf's seeds:\n${renderer.seedsError}`)
    const listed = renderer?.seeds ?? (await phase('Seeds from the URLconf', () => urlconfSeeds(django)))
    seeds = listed
    log.info(
      `Seeds from the URLconf: ${listed.paths.length ? listed.paths.join(', ') : 'none'} (${listed.withParameters} pattern${listed.withParameters === 1 ? '' : 's'} with parameters and ${listed.admin} admin pattern${listed.admin === 1 ? '' : 's'} left out).`,
    )
    const started = renderer
      ? undefined
      : await phase('Start the app server', () =>
          (options.startServer ?? startAppServer)({
            python: options.python,
            appDir: django.appDir,
            env: django.env,
            wsgiApplication: project.wsgiApplication,
            useGunicorn: django.facts.gunicorn,
            workers: shape.workers,
            startTimeoutMs: 60_000,
            managePy: path.basename(project.managePy),
            progress: (message) => log.info(message),
          }),
        )
    server = started
    // In-process pages are rendered for the public host (or localhost); over HTTP for 127.0.0.1:port.
    const local = started ? `http://127.0.0.1:${started.port}` : base ? base.origin : `http://${IN_PROCESS_HOST}`
    const concurrency =
      options.concurrency ?? (renderer ? shape.renderConcurrency(renderer.workers) : shape.concurrency(started?.workers ?? 1))
    const fetcher: PageFetcher & { close(): unknown } = renderer
      ? renderer
      : httpFetcher({
          port: started?.port as number,
          host: base ? base.host : `127.0.0.1:${started?.port}`,
          forwardedProto: base?.protocol.replace(':', ''),
          concurrency,
        })
    const how = renderer
      ? `Render in-process (${renderer.workers} workers forked after Django loaded, ${concurrency} at a time)`
      : `Crawl (${started?.kind}, ${started?.workers} workers, ${concurrency} at a time)`
    let crawled: CrawlResult
    try {
      crawled = await phase('Crawl and render', () =>
        log.group(how, () =>
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
            finish: (file, body) => {
              const finished = finishBody(file, body, local, options.baseUrl)
              if (finished.changed.csrf) csrfPages++
              return finished.body
            },
          }),
        ),
      )
      if (renderer?.replaced)
        log.warning(
          `${renderer.replaced} render worker${renderer.replaced === 1 ? '' : 's'} crashed or hung and ${renderer.replaced === 1 ? 'was' : 'were'} replaced; the pages they were rendering are reported above.`,
        )
    } finally {
      await fetcher.close()
      await started?.stop()
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
  // The crawl replaced the tokens in the pages it wrote as it wrote them (finishBody); what else
  // is here (a generator's pages, HTML among the static files) is treated now.
  csrfPages += (await replaceCsrfTokens(options.outputDir, crawlResult?.written)).length
  if (csrfPages) log.debug(`CSRF token values replaced by a fixed placeholder in ${csrfPages} page(s).`)
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
    server: renderer
      ? { kind: 'in-process', workers: renderer.workers }
      : server
        ? { kind: server.kind, workers: server.workers }
        : undefined,
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
export function crawlShape(): {
  workers: number
  renderWorkers: number
  concurrency: (workers: number) => number
  renderConcurrency: (workers: number) => number
} {
  // Rendering is CPU-bound: one worker per core plus one to cover I/O waits; more only thrash.
  // In-process workers wait on nothing but the database, so one per core. Four pages in flight
  // per render worker, the pool taking the newest first (render.ts): a page in flight is also one
  // whose answer Node is still reading, parsing and writing. With two per worker, first in first
  // out, two cores were 82-85 % busy in the static benchmark's crawl; like this, 96 %.
  return {
    workers: Math.max(2, cpus().length + 1),
    renderWorkers: Math.max(1, cpus().length),
    concurrency: (workers) => Math.max(4, workers * 2),
    renderConcurrency: (workers) => workers * 4,
  }
}

/**
 * The Host in-process pages are rendered for without base-url (allowed by the overlay's
 * 127.0.0.1). Its origin is rewritten away afterwards, as the HTTP crawl's 127.0.0.1:<port> is:
 * the highest port, so no longer origin starts with it.
 */
const IN_PROCESS_HOST = '127.0.0.1:65535'

/** A view that takes longer than this is cut off (its worker replaced) and reported as broken. */
export const RENDER_TIMEOUT_MS = 60_000

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
