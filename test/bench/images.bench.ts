/**
 * Image benchmark (not a test: it prints numbers; nothing here fails a build).
 *
 *   npm run bench -- images [--runs N]   (default 7 starts per image, at least 5)
 *
 * The example site's Cloud Run build context, assembled by action-cloudrun's own code
 * (test/e2e/docker-support.ts), built twice on the same base (the test bed's python:3.X-slim
 * stand-in) from the same context and package index:
 *  - generated: the Dockerfile the action generates (two stages, tools and caches left in the
 *    build stage, bytecode compiled, collectstatic at build time, no migrate at start);
 *  - baseline: a plain single-stage Dockerfile in the Wagtail/startproject template style that
 *    installs the same requirements (the project's and the packages the generated image adds),
 *    collects static files with the same command, and runs `migrate` at every container start
 *    before gunicorn.
 * Measured in the same run: the image size (`docker image inspect` .Size), and container start
 * (just before `docker run -d`) → the first HTTP 200 for GET / with the platform's environment,
 * median of --runs starts per image, interleaved. The database (a private PostgreSQL cluster) is
 * migrated once beforehand by the migration job's command: the baseline's best case (migrate has
 * nothing to apply) and the normal cold start of a scale-out instance.
 */
import { chmodSync, mkdtempSync, rmSync } from 'node:fs'
import { readFile, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { performance } from 'node:perf_hooks'
import { mustSucceed, run } from '../support/index.js'
import { startCluster, stopCluster } from '../support/postgres.js'
import { cloudRunArtifact, docker, envArgs, get, startContainer } from '../e2e/docker-support.js'
import type { Cleanup } from '../support/rundir.js'

const args = process.argv.slice(2)
const RUNS = Math.max(5, Number(args[args.indexOf('--runs') + 1] || 7) || 7)
const FIXTURE = 'example-site'
const HOME_TEXT = 'Welcome to the Example Site'

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)
  return sorted.length % 2 ? (sorted[middle] as number) : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2
}
const mb = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`
const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`

/** The Wagtail/startproject template's shape, on the generated image's base, requirements and collectstatic line. */
function plainDockerfile(generated: string, wsgi: string): string {
  const base = /^FROM (\S+)/m.exec(generated)?.[1] ?? 'python:3.12-slim'
  const added = /^#\s+Added:\s+(.*) \(not in your dependencies\)$/m.exec(generated)?.[1]?.split(', ') ?? []
  const settings = /DJANGO_SETTINGS_MODULE=(\S+)/.exec(generated)?.[1] ?? ''
  const collect = /^RUN (.* python manage\.py collectstatic --noinput)$/m.exec(generated)?.[1]
  if (!collect) throw new Error('the generated Dockerfile has no collectstatic line to reuse')
  return [
    `FROM ${base}`,
    'RUN useradd app',
    'ENV PYTHONUNBUFFERED=1 \\',
    `    DJANGO_SETTINGS_MODULE=${settings}`,
    'COPY requirements.txt /',
    `RUN pip install --no-cache-dir -r /requirements.txt ${added.map((requirement) => `"${requirement}"`).join(' ')}`,
    'WORKDIR /app',
    'RUN chown app:app /app',
    'COPY --chown=app:app . .',
    'USER app',
    `RUN ${collect}`,
    // gunicorn binds to $PORT when it is set.
    `CMD set -xe; python manage.py migrate --noinput; gunicorn ${wsgi}`,
    '',
  ].join('\n')
}

async function main() {
  const cleanups: Cleanup[] = []
  const base = mkdtempSync(path.join(tmpdir(), 'images-bench-'))
  chmodSync(base, 0o755) // as root, the cluster runs as the postgres user, who must reach its directory
  const cluster = await startCluster(path.join(base, 'pg'))
  try {
    const { binDir, host, port, user } = cluster.info
    const name = `images_${process.pid}`
    mustSucceed(
      await run(path.join(binDir, 'createdb'), ['-h', host, '-p', String(port), '-U', user, name], { timeoutMs: 60_000 }),
      'createdb',
    )
    const databaseUrl = `postgres://${user}@${host}:${port}/${name}`
    const artifact = await cloudRunArtifact(FIXTURE, databaseUrl, { cleanup: (fn) => cleanups.push(fn) })
    const generated = await readFile(path.join(artifact.context, 'Dockerfile'), 'utf8')
    const detectedWsgi = /gunicorn (\S+:\S+)/.exec(generated)?.[1] ?? 'examplesite.wsgi:application'
    await writeFile(path.join(artifact.context, 'Dockerfile.plain'), plainDockerfile(generated, detectedWsgi))

    const images = [
      { name: 'generated', tag: `django-deploy-bench/generated:${process.pid}`, file: 'Dockerfile' },
      { name: 'baseline (plain, migrate at start)', tag: `django-deploy-bench/plain:${process.pid}`, file: 'Dockerfile.plain' },
    ]
    for (const image of images) {
      const started = performance.now()
      mustSucceed(
        await docker([
          'build',
          '--network',
          'host',
          '-q',
          '-f',
          path.join(artifact.context, image.file),
          '-t',
          image.tag,
          artifact.context,
        ]),
        `docker build ${image.name}`,
      )
      console.log(`built ${image.name} in ${seconds(performance.now() - started)}`)
      cleanups.push(async () => {
        await docker(['rmi', '-f', image.tag])
      })
    }
    mustSucceed(
      await docker(['run', '--rm', '--network', 'host', ...envArgs(artifact.env), images[0]?.tag as string, ...artifact.migrate]),
      'migration job command',
    )

    const sizes = new Map<string, number>()
    for (const image of images) {
      const inspected = mustSucceed(await docker(['image', 'inspect', '-f', '{{.Size}}', image.tag]), 'docker image inspect')
      sizes.set(image.name, Number(inspected.stdout.trim()))
    }
    const starts = new Map<string, number[]>(images.map((image) => [image.name, []]))
    // One unmeasured start each (page cache warm for both), then interleaved, rotating order.
    for (let round = -1; round < RUNS; round++) {
      const order = round % 2 ? images : [...images].reverse()
      for (const image of order) {
        const t0 = performance.now()
        const container = await startContainer(image.tag, artifact.env, artifact.host, '/', 120_000)
        let answer = container.first
        while (answer.status !== 200) {
          if (performance.now() - t0 > 120_000)
            throw new Error(`${image.name}: no 200 in 120 s (last ${answer.status}):\n${await container.logs()}`)
          await new Promise((resolve) => setTimeout(resolve, 50))
          answer = await get(container.port, '/', artifact.host).catch(() => answer)
        }
        const elapsed = performance.now() - t0
        if (!answer.body.includes(HOME_TEXT)) throw new Error(`${image.name}: / is not the example site's home page`)
        await docker(['rm', '-f', container.id])
        if (round >= 0) starts.get(image.name)?.push(elapsed)
      }
    }

    const [generatedImage, plainImage] = images.map((image) => image.name) as [string, string]
    const rows = [
      ['image', 'size', 'start → first 200 (median)', 'starts'],
      ...images.map((image) => [
        image.name,
        mb(sizes.get(image.name) ?? 0),
        seconds(median(starts.get(image.name) ?? [])),
        String(starts.get(image.name)?.length ?? 0),
      ]),
    ]
    const widths = rows[0]?.map((_, column) => Math.max(...rows.map((row) => (row[column] ?? '').length))) ?? []
    console.log(
      `\n${FIXTURE}: generated image vs a plain migrate-at-start Dockerfile, same base, same requirements, Docker on this machine\n`,
    )
    for (const [index, row] of rows.entries()) {
      console.log(row.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join('  '))
      if (index === 0) console.log(widths.map((width) => '-'.repeat(width)).join('  '))
    }
    const baseSize = Number(
      mustSucceed(
        await docker(['image', 'inspect', '-f', '{{.Size}}', /^FROM (\S+)/m.exec(generated)?.[1] ?? '']),
        'base size',
      ).stdout.trim(),
    )
    console.log('\nratios (generated / baseline, same run)')
    console.log(`  image size         ${((sizes.get(generatedImage) ?? 0) / (sizes.get(plainImage) ?? 1)).toFixed(2)}x`)
    console.log(
      `  size above the base ${(((sizes.get(generatedImage) ?? 0) - baseSize) / ((sizes.get(plainImage) ?? 0) - baseSize)).toFixed(2)}x (base image ${mb(baseSize)})`,
    )
    console.log(
      `  start → first 200  ${(median(starts.get(generatedImage) ?? []) / median(starts.get(plainImage) ?? [])).toFixed(2)}x (baseline ${(median(starts.get(plainImage) ?? []) / median(starts.get(generatedImage) ?? [])).toFixed(2)}x slower)`,
    )
  } finally {
    for (const cleanup of cleanups.reverse()) await cleanup()
    await stopCluster(cluster)
    rmSync(base, { recursive: true, force: true })
  }
}

await main()
