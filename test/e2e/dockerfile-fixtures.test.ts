/**
 * The generated Dockerfile, .dockerignore and Procfile on the real fixtures. There is no Docker
 * engine here, so the Dockerfile is read instruction by instruction and what can run outside a
 * container is run for real, with the image's paths mapped onto the fixture copy:
 * - every COPY source exists and the .dockerignore keeps what the image needs;
 * - the runtime stage's collectstatic RUN line, with the stage's ENV, collects static files;
 * - the Procfile's release command migrates this run's PostgreSQL;
 * - the CMD line, through /bin/sh as Docker runs it, serves / and a static file on $PORT, and
 *   stops on SIGTERM (exec: the signal reaches gunicorn, not a shell);
 * - the Procfile's web command (no shell syntax) serves on $PORT too.
 */
import { spawn } from 'node:child_process'
import { mkdtemp, readdir, stat, symlink } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import { describe, expect, it, type TestContext } from 'vitest'
import { createDatabase, freePort, mustSucceed, psql, pythonEnv, run } from '../support/index.js'
import { recordProcess, forgetProcess, signalGroup } from '../support/rundir.js'
import { generateDockerfile } from '../../shared/src/build/dockerfile.js'
import { generateReleaseStep, parseProcfile } from '../../shared/src/build/release.js'
import { overlayEnvironment } from '../../shared/src/settings/environment.js'
import { envOf, stagesOf, type Stage } from '../../shared/test/build/dockerfile-parser.js'
import {
  deployedFixture,
  HOME_TEXT,
  RUNNABLE_FIXTURES,
  STRONG_SECRET_KEY,
  writeGenerated,
  type DeployedFixture,
} from '../../shared/test/settings/deployed-fixture.js'

const WITHOUT_DOCKERFILE = RUNNABLE_FIXTURES.filter((name) => name !== 'with-dockerfile')

interface Built {
  fixture: DeployedFixture
  dockerfile: string
  dockerignore: string
  procfile: Record<string, string>
  build: Stage
  runtime: Stage
}

async function built(name: (typeof RUNNABLE_FIXTURES)[number], ctx: TestContext): Promise<Built> {
  const fixture = await deployedFixture(name, ctx.onTestFinished)
  const docker = generateDockerfile(fixture.model, { readFile: fixture.readFile })
  const release = generateReleaseStep(fixture.model, { readFile: fixture.readFile, processesStartIn: 'manage-py-folder' })
  await writeGenerated(fixture.dir, [...docker.files, ...release.files])
  const content = (path: string) => [...docker.files, ...release.files].find((file) => file.path === path)?.content ?? ''
  const [build, runtime] = stagesOf(content('Dockerfile'))
  if (!build || !runtime) throw new Error('expected two stages')
  return {
    fixture,
    dockerfile: content('Dockerfile'),
    dockerignore: content('.dockerignore'),
    procfile: parseProcfile(content('Procfile')),
    build,
    runtime,
  }
}

const argsOf = (stage: Stage, keyword: string) =>
  stage.instructions.filter((instruction) => instruction.keyword === keyword).map((instruction) => instruction.args)

/** A directory standing in for /opt/venv/bin: python and gunicorn are Debian's. */
async function venvBin(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'venv-bin-'))
  await symlink('/usr/bin/python3', join(dir, 'python'))
  await symlink('/usr/bin/gunicorn', join(dir, 'gunicorn'))
  return dir
}

/**
 * The runtime stage's environment on this machine: its ENV lines with /opt/venv/bin mapped to the
 * stand-in and $PATH expanded, over a scrubbed environment (test/support pythonEnv).
 */
function imageEnv(runtime: Stage, bin: string, extra: Record<string, string>): NodeJS.ProcessEnv {
  const env = pythonEnv()
  for (const line of argsOf(runtime, 'ENV')) {
    for (const [name, value] of Object.entries(envOf(line))) {
      if (name === 'VIRTUAL_ENV') continue
      env[name] = value.replaceAll('/opt/venv/bin', bin).replaceAll('$PATH', env.PATH ?? '/usr/bin:/bin')
    }
  }
  return { ...env, ...extra }
}

/** The image's WORKDIR (the last one), as a path in the fixture copy. */
function workdirIn(runtime: Stage, fixture: DeployedFixture): string {
  const workdir = argsOf(runtime, 'WORKDIR').at(-1) ?? '/app'
  return join(fixture.dir, relative('/app', workdir))
}

/** Does a generated .dockerignore exclude `path`? (Its patterns: "x", "/x", "**\/x", "*" inside a segment.) */
function ignored(dockerignore: string, path: string): boolean {
  const patterns = dockerignore.split('\n').filter((line) => line && !line.startsWith('#'))
  const parts = path.split('/')
  const prefixes = parts.map((_, index) => parts.slice(0, index + 1).join('/'))
  return patterns.some((pattern) => {
    const body = pattern.replace(/^\//, '')
    const regex = new RegExp(
      `^${body
        .split('/')
        .map((segment) =>
          segment === '**'
            ? '(?:.*/)?'
            : `${segment
                .replace(/[.+?^${}()|\\]/g, '\\$&')
                .replaceAll('*', '[^/]*')
                .replace(/\[cod\]/, '[cod]')}/`,
        )
        .join('')
        .replace(/\/$/, '')
        .replace('(?:.*/)?/', '(?:.*/)?')}$`,
    )
    return prefixes.some((prefix) => regex.test(prefix))
  })
}

interface Server {
  port: number
  pid: number
  log: () => string
  exited: Promise<number | null>
}

/** Run a command line the way `CMD <shell form>` does (/bin/sh -c), in its own process group, and wait for HTTP. */
async function serve(ctx: TestContext, command: string, cwd: string, env: NodeJS.ProcessEnv): Promise<Server> {
  const port = await freePort()
  const child = spawn('/bin/sh', ['-c', command], {
    cwd,
    env: { ...env, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  })
  let log = ''
  child.stdout.on('data', (chunk: Buffer) => (log += chunk.toString('utf8')))
  child.stderr.on('data', (chunk: Buffer) => (log += chunk.toString('utf8')))
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
  const pid = child.pid ?? -1
  await recordProcess(pid, 'gunicorn')
  ctx.onTestFinished(async () => {
    signalGroup(pid, 'SIGKILL')
    await forgetProcess(pid)
  })
  const deadline = Date.now() + 60_000
  let done = false
  void exited.then(() => (done = true))
  for (;;) {
    if (done) throw new Error(`${command} exited before answering HTTP:\n${log}`)
    if (Date.now() > deadline) throw new Error(`${command} did not answer on port ${port}:\n${log}`)
    try {
      await (await fetch(`http://127.0.0.1:${port}/`, { redirect: 'manual', signal: AbortSignal.timeout(5_000) })).arrayBuffer()
      return { port, pid, log: () => log, exited }
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 150))
    }
  }
}

async function get(port: number, path: string) {
  const response = await fetch(`http://127.0.0.1:${port}${path}`, {
    redirect: 'manual',
    headers: { 'X-Forwarded-Proto': 'https' },
  })
  return { status: response.status, body: await response.text() }
}

async function files(root: string, dir = root): Promise<string[]> {
  const out: string[] = []
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) out.push(...(await files(root, path)))
    else out.push(relative(root, path))
  }
  return out
}

describe.concurrent.each(WITHOUT_DOCKERFILE)('generated Dockerfile for %s', (name) => {
  it('copies files that exist, and its .dockerignore keeps everything the image needs', async (ctx) => {
    const { fixture, dockerignore, build } = await built(name, ctx)
    for (const copy of argsOf(build, 'COPY')) {
      const source = copy.split(/\s+/)[0] ?? ''
      if (source === '.') continue
      ctx.expect((await stat(join(fixture.dir, source))).isFile(), source).toBe(true)
      ctx.expect(ignored(dockerignore, source), source).toBe(false)
    }
    const needed = [
      fixture.overlay.file.path,
      fixture.model.managePy,
      ...fixture.model.settings.files,
      ...fixture.model.dependencies.files,
      'Procfile',
    ]
    for (const path of needed) ctx.expect(ignored(dockerignore, path), path).toBe(false)
    // ...and drops what must never be in an image
    for (const path of [
      '.git/config',
      '.env',
      'gha-creds-1234abcd.json',
      `${fixture.model.appDir ? `${fixture.model.appDir}/` : ''}db.sqlite3`,
      'mysite/__pycache__/x.pyc',
    ]) {
      ctx.expect(ignored(dockerignore, path), path).toBe(true)
    }
  })

  it('collects static files with its RUN line, migrates with the release task, and serves with its CMD', async (ctx) => {
    const { fixture, runtime, procfile } = await built(name, ctx)
    const bin = await venvBin()
    const workdir = workdirIn(runtime, fixture)
    ctx.expect(workdir).toBe(fixture.appDir)

    // Build time: the image's ENV plus what the RUN line itself sets — no database, no real key.
    const collect = argsOf(runtime, 'RUN').find((line) => line.includes('collectstatic'))
    ctx.expect(collect).toBeDefined()
    mustSucceed(
      await run('/bin/sh', ['-c', collect ?? 'false'], { cwd: workdir, env: imageEnv(runtime, bin, {}), timeoutMs: 120_000 }),
      'collectstatic RUN line',
    )

    // Runtime: what an HTTPS platform sets, on top of the image's ENV.
    const databaseUrl = await createDatabase(`docker_${name}`)
    const platform = overlayEnvironment({
      settingsModule: fixture.overlay.module,
      hosts: ['127.0.0.1'],
      https: true,
      secretKey: STRONG_SECRET_KEY,
      databaseUrl,
      project: fixture.model,
    })
    ctx.expect(platform.DJANGO_SETTINGS_MODULE).toBe(imageEnv(runtime, bin, {}).DJANGO_SETTINGS_MODULE)
    const env = imageEnv(runtime, bin, platform)

    ctx.expect(procfile.release).toBe('python manage.py migrate --noinput')
    mustSucceed(
      await run('/bin/sh', ['-c', procfile.release ?? 'false'], { cwd: workdir, env, timeoutMs: 120_000 }),
      'release task',
    )
    ctx.expect(Number(await psql(databaseUrl, 'SELECT count(*) FROM django_migrations'))).toBeGreaterThan(10)

    const cmd = argsOf(runtime, 'CMD')[0] ?? ''
    const server = await serve(ctx, cmd, workdir, env)
    const home = await get(server.port, '/')
    ctx.expect(home.status, server.log()).toBe(200)
    ctx.expect(home.body).toContain(HOME_TEXT[name])
    const staticRoot = (
      await run(
        '/usr/bin/python3',
        ['manage.py', 'shell', '-c', 'from django.conf import settings; print(settings.STATIC_ROOT)'],
        { cwd: workdir, env },
      )
    ).stdout.trim()
    const collected = await files(staticRoot)
    const asset = collected.find((path) => path === 'admin/css/base.css') ?? collected.find((path) => path.endsWith('.css')) ?? ''
    ctx.expect((await get(server.port, `/static/${asset}`)).status).toBe(200)
    ctx.expect(server.log()).toMatch(/Using worker: (gthread|threads)/)

    // exec: SIGTERM to the process Docker started reaches gunicorn, which shuts down cleanly.
    process.kill(server.pid, 'SIGTERM')
    ctx
      .expect(await Promise.race([server.exited, new Promise((resolve) => setTimeout(() => resolve('still running'), 20_000))]))
      .toBe(0)
    await ctx.expect(fetch(`http://127.0.0.1:${server.port}/`)).rejects.toThrow()
  })

  it("serves with the Procfile's web command, gunicorn taking $PORT from the environment", async (ctx) => {
    const { fixture, runtime, procfile } = await built(name, ctx)
    const bin = await venvBin()
    const workdir = workdirIn(runtime, fixture)
    ctx.expect(procfile.web).toMatch(/^gunicorn \S+:application /)
    const platform = overlayEnvironment({
      settingsModule: fixture.overlay.module,
      hosts: ['127.0.0.1'],
      https: false,
      secretKey: STRONG_SECRET_KEY,
      databaseUrl: `sqlite:///${fixture.dir}/web.sqlite3`,
      project: fixture.model,
    })
    const env = imageEnv(runtime, bin, platform)
    // What the image build did before Dokku runs any process: collect static files.
    const collect = argsOf(runtime, 'RUN').find((line) => line.includes('collectstatic')) ?? 'false'
    mustSucceed(
      await run('/bin/sh', ['-c', collect], { cwd: workdir, env: imageEnv(runtime, bin, {}), timeoutMs: 120_000 }),
      'collectstatic RUN line',
    )
    mustSucceed(
      await run('/bin/sh', ['-c', procfile.release ?? 'false'], { cwd: workdir, env, timeoutMs: 120_000 }),
      'release task',
    )
    const server = await serve(ctx, procfile.web ?? 'false', workdir, env)
    const home = await get(server.port, '/')
    ctx.expect(home.status, server.log()).toBe(200)
    ctx.expect(home.body).toContain(HOME_TEXT[name])
  })
})

describe('a project with its own Dockerfile and Procfile', () => {
  it('gets no generated build files and keeps its release task', async (ctx) => {
    const fixture = await deployedFixture('with-dockerfile', ctx.onTestFinished)
    const docker = generateDockerfile(fixture.model, { readFile: fixture.readFile })
    const release = generateReleaseStep(fixture.model, { readFile: fixture.readFile })
    expect(docker.files).toEqual([])
    expect(docker.generated).toBe(false)
    expect(release).toMatchObject({ migrations: 'existing-release', files: [] })
    expect(docker.notes.map((note) => note.message).join('\n')).toContain(`DJANGO_SETTINGS_MODULE=${fixture.overlay.module}`)
  })
})
