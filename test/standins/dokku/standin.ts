import { spawn, type ChildProcess } from 'node:child_process'
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { stripTypeScriptTypes } from 'node:module'
import { connect } from 'node:net'
import { userInfo } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import {
  freePort,
  makeTempDir,
  mustSucceed,
  postgres,
  run,
  type CleanupRegistrar,
  type PostgresInfo,
} from '../../support/index.js'
import { testRunDir } from '../../support/rundir.js'
import type { App, Global, PostgresService } from './program/state.js'
import { sshdConfig, type SshdProfile } from './sshd.js'

/**
 * A Dokku server on loopback for end-to-end tests: a real OpenSSH sshd (own config, own host keys,
 * a free port) whose authorized_keys gives each key the forced command `dokku sshcommand acl-add`
 * writes, running the Dokku stand-in (dokku.sh + program/). Pushes go through real
 * git-receive-pack into bare repositories with Dokku's pre-receive hook; deploys build the app for
 * real (docker build, or the Python buildpack's steps in the stack image) and run it as Docker
 * containers against the test bed's PostgreSQL; a proxy process plays nginx. close() removes every
 * container and image the stand-in made (they carry its label).
 *
 *     const dokku = await startDokkuStandin({ cleanup: onTestFinished })
 *     await dokku.authorize(publicKey, 'github-actions')
 *     // host 127.0.0.1, port dokku.port, user dokku.user, ssh-host-key dokku.knownHosts
 *
 * sshd runs as the current user, so the SSH user is that user (root in CI containers), not
 * `dokku`: an unprivileged sshd can only log in its own user. Everything else is as on a server.
 */
export interface DokkuStandinOptions {
  /** Installed plugins; leave one out to test "plugin missing". Default: postgres and letsencrypt. */
  plugins?: Array<'postgres' | 'letsencrypt'>
  /** Reported by `dokku version`. Default 0.38.27. */
  version?: string
  /** Global deploy branch (git:set --global deploy-branch). Default: none, so Dokku's "master" rule applies. */
  globalDeployBranch?: string
  letsencryptEmail?: string
  /** The cluster postgres:create makes databases in; default: the test run's (test/support). */
  postgres?: PostgresInfo
  /** Also listen on [::1] (same port), to test IPv6 hosts. */
  ipv6?: boolean
  /** sshd settings: Debian's stock OpenSSH (default), or hardened with MaxSessions 2 or 1 (sshd.ts). */
  sshd?: SshdProfile
  cleanup?: CleanupRegistrar
}

export interface LoggedCommand {
  /** SSH_ORIGINAL_COMMAND exactly as it arrived. */
  command: string
  exitCode: number
  /** The key's NAME from authorized_keys. */
  keyName: string
  startedMs: number
  endedMs: number
}

export interface DokkuStandin {
  host: string
  port: number
  user: string
  /** Host keys as known_hosts lines for [127.0.0.1]:port (ed25519, ecdsa, rsa). */
  knownHosts: { ed25519: string; ecdsa: string; rsa: string }
  /** The ed25519 host key as a known_hosts line for [::1]:port (with the ipv6 option). */
  knownHostsIpv6: string
  /** SHA256 fingerprints of the host keys. */
  fingerprints: { ed25519: string; ecdsa: string; rsa: string }
  root: string
  /** Add a public key the way `dokku ssh-keys:add NAME` does (sshcommand acl-add). */
  authorize(publicKey: string, name?: string): Promise<string>
  /** Every command that reached Dokku over SSH, in order of completion. */
  commands(): Promise<LoggedCommand[]>
  sshdLog(): Promise<string>
  app(name: string): App | undefined
  service(name: string): PostgresService | undefined
  global(): Global
  setGlobal(change: Partial<Global>): void
  /** The app's public URL on the stand-in (what `dokku urls` prints first). */
  url(name: string): string | undefined
  close(): Promise<void>
}

const HERE = path.dirname(fileURLToPath(import.meta.url))

export async function startDokkuStandin(options: DokkuStandinOptions = {}): Promise<DokkuStandin> {
  const root = await makeTempDir('dokku-standin-', options.cleanup)
  for (const dir of [
    'bin',
    'home',
    'lib/data/storage',
    'lib/data/apps',
    'state/apps',
    'state/postgres',
    'log',
    'proxy',
    'program',
    'cache',
    'ssh',
    'releases',
  ]) {
    mkdirSync(path.join(root, dir), { recursive: true })
  }
  writeFileSync(path.join(root, 'lib', 'STABLE_VERSION'), `${options.version ?? '0.38.27'}\n`)
  writeFileSync(path.join(root, 'log', 'commands.log'), '')
  installProgram(root)

  const cluster = options.postgres ?? (await postgres())
  const runDir = await testRunDir()
  const global: Global = {
    version: options.version ?? '0.38.27',
    deployBranch: options.globalDeployBranch,
    plugins: options.plugins ?? ['postgres', 'letsencrypt'],
    letsencryptEmail: options.letsencryptEmail,
    postgres: { host: cluster.host, port: cluster.port, user: cluster.user, binDir: cluster.binDir },
    hostname: '127.0.0.1',
    pidsDir: runDir ? path.join(runDir, 'pids') : undefined,
  }
  writeFileSync(path.join(root, 'state', 'global.json'), JSON.stringify(global, null, 2))

  const ssh = path.join(root, 'ssh')
  const keys = { ed25519: '', ecdsa: '', rsa: '' }
  const fingerprints = { ed25519: '', ecdsa: '', rsa: '' }
  for (const type of ['ed25519', 'ecdsa', 'rsa'] as const) {
    const file = path.join(ssh, `ssh_host_${type}_key`)
    mustSucceed(await run('ssh-keygen', ['-q', '-t', type, '-N', '', '-C', '', '-f', file]), 'ssh-keygen')
    keys[type] = readFileSync(`${file}.pub`, 'utf8').trim().split(' ').slice(0, 2).join(' ')
    fingerprints[type] =
      mustSucceed(await run('ssh-keygen', ['-l', '-E', 'sha256', '-f', `${file}.pub`]), 'ssh-keygen -l').stdout.split(' ')[1] ??
      ''
  }
  writeFileSync(path.join(ssh, 'authorized_keys'), '')
  chmodSync(path.join(ssh, 'authorized_keys'), 0o600)
  writeFileSync(path.join(ssh, '.sshcommand'), `${path.join(root, 'bin', 'dokku')}\n`)

  const proxy = spawn(process.execPath, [path.join(root, 'program', 'proxy.js'), root], { stdio: ['ignore', 'pipe', 'inherit'] })
  await new Promise<void>((resolve, reject) => {
    proxy.once('error', reject)
    proxy.stdout?.once('data', () => resolve())
  })

  const user = userInfo().username
  const { port, sshd } = await startSshd(root, user, options.ipv6 ?? false, options.sshd ?? 'stock')

  let closed = false
  const standin: DokkuStandin = {
    host: '127.0.0.1',
    port,
    user,
    knownHosts: {
      ed25519: `[127.0.0.1]:${port} ${keys.ed25519}`,
      ecdsa: `[127.0.0.1]:${port} ${keys.ecdsa}`,
      rsa: `[127.0.0.1]:${port} ${keys.rsa}`,
    },
    knownHostsIpv6: `[::1]:${port} ${keys.ed25519}`,
    fingerprints,
    root,
    async authorize(publicKey, name = 'default') {
      const key = publicKey.trim().split(/\s+/).slice(0, 2).join(' ')
      const fingerprint =
        mustSucceed(
          await run('ssh-keygen', ['-l', '-E', 'sha256', '-f', '-'], { input: `${key}\n` }),
          'ssh-keygen -l',
        ).stdout.split(' ')[1] ?? ''
      const prefix = `command="FINGERPRINT=${fingerprint} NAME=\\"${name}\\" \`cat ${path.join(ssh, '.sshcommand')}\` $SSH_ORIGINAL_COMMAND",no-agent-forwarding,no-user-rc,no-X11-forwarding,no-port-forwarding`
      const file = path.join(ssh, 'authorized_keys')
      writeFileSync(file, `${readFileSync(file, 'utf8')}${prefix} ${key}\n`)
      return fingerprint
    },
    async commands() {
      const text = await readFile(path.join(root, 'log', 'commands.log'), 'utf8')
      return text
        .split('\n')
        .filter(Boolean)
        .map((line) => {
          const [started = '0', ended = '0', code = '0', keyName = '', encoded = ''] = line.split(' ')
          return {
            command: Buffer.from(encoded, 'base64').toString('utf8'),
            exitCode: Number(code),
            keyName,
            startedMs: Number(started) * 1000,
            endedMs: Number(ended) * 1000,
          }
        })
    },
    sshdLog: () => readFile(path.join(root, 'log', 'sshd.log'), 'utf8'),
    app: (name) => readJson<App>(path.join(root, 'state', 'apps', `${name}.json`)),
    service: (name) => readJson<PostgresService>(path.join(root, 'state', 'postgres', `${name}.json`)),
    global: () => readJson<Global>(path.join(root, 'state', 'global.json')) as Global,
    setGlobal(change) {
      writeFileSync(path.join(root, 'state', 'global.json'), JSON.stringify({ ...standin.global(), ...change }, null, 2))
    },
    url(name) {
      const app = standin.app(name)
      return app?.port ? `http://127.0.0.1:${app.port}` : undefined
    },
    async close() {
      if (closed) return
      closed = true
      await stop(sshd)
      await stop(proxy)
      await removeContainers(root)
    },
  }
  options.cleanup?.(() => standin.close())
  return standin
}

/** `docker rm -f` every container, then every image, labelled with this stand-in's root (program/runtime.ts). */
async function removeContainers(root: string): Promise<void> {
  const label = `label=django-deploy.dokku-standin=${root}`
  const containers = (await run('docker', ['ps', '-aq', '--filter', label])).stdout.split('\n').filter(Boolean)
  if (containers.length > 0) await run('docker', ['rm', '-f', ...containers])
  const images = (await run('docker', ['images', '-q', '--filter', label])).stdout.split('\n').filter(Boolean)
  if (images.length > 0) await run('docker', ['rmi', '-f', ...new Set(images)])
}

function readJson<T>(file: string): T | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as T
  } catch {
    return undefined
  }
}

/** The program's TypeScript, types stripped (Node's own stripper), so each command starts as plain JS. */
function installProgram(root: string): void {
  const source = path.join(HERE, 'program')
  for (const file of readdirSync(source).filter((name) => name.endsWith('.ts'))) {
    const code = stripTypeScriptTypes(readFileSync(path.join(source, file), 'utf8'), { mode: 'strip' })
    writeFileSync(path.join(root, 'program', file.replace(/\.ts$/, '.js')), code)
  }
  writeFileSync(path.join(root, 'program', 'package.json'), '{"type":"module"}\n')
  const dispatcher = readFileSync(path.join(HERE, 'dokku.sh'), 'utf8')
    .replaceAll('@STANDIN_ROOT@', root)
    .replaceAll('@NODE@', process.execPath)
  writeFileSync(path.join(root, 'bin', 'dokku'), dispatcher)
  chmodSync(path.join(root, 'bin', 'dokku'), 0o755)
}

async function startSshd(
  root: string,
  user: string,
  ipv6: boolean,
  profile: SshdProfile,
): Promise<{ port: number; sshd: ChildProcess }> {
  if (process.getuid?.() === 0 && !existsSync('/run/sshd')) mkdirSync('/run/sshd', { mode: 0o755 })
  const ssh = path.join(root, 'ssh')
  let lastLog = ''
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freePort()
    const config = sshdConfig({ port, ipv6, sshDir: ssh, home: path.join(root, 'home'), user, profile })
    writeFileSync(path.join(ssh, 'sshd_config'), config)
    const logFile = path.join(root, 'log', 'sshd.log')
    const sshd = spawn('/usr/sbin/sshd', ['-D', '-e', '-f', path.join(ssh, 'sshd_config')], {
      stdio: ['ignore', 'ignore', 'pipe'],
    })
    let log = ''
    sshd.stderr?.on('data', (chunk: Buffer) => {
      log += chunk.toString('utf8')
      writeFileSync(logFile, log)
    })
    const ready = await waitForBanner(port, sshd)
    if (ready) return { port, sshd }
    await stop(sshd)
    lastLog = log
    if (!/Address already in use|Bind to port/.test(log)) break
  }
  throw new Error(`sshd did not start:\n${lastLog}`)
}

async function waitForBanner(port: number, sshd: ChildProcess): Promise<boolean> {
  const deadline = Date.now() + 10_000
  while (Date.now() < deadline && sshd.exitCode === null) {
    const banner = await new Promise<string>((resolve) => {
      const socket = connect(port, '127.0.0.1')
      socket.setTimeout(1000, () => socket.destroy())
      socket.once('data', (data) => {
        resolve(data.toString('utf8'))
        socket.destroy()
      })
      socket.once('error', () => resolve(''))
      socket.once('close', () => resolve(''))
    })
    if (banner.startsWith('SSH-2.0-')) return true
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  return false
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise((resolve) => child.once('exit', resolve))
  child.kill('SIGTERM')
  await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 3000))])
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
}
