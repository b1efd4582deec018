import { execFileSync, spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:net'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { MemoryLogger } from '@django-deploy/shared/runtime'
import { Dokku } from '../../action-dokku/src/dokku/client.js'
import { connectSsh } from '../../action-dokku/src/ssh/connection.js'
import { startGitBridge } from '../../action-dokku/src/ssh/git-bridge.js'
import { parseHostKeys } from '../../action-dokku/src/ssh/host-keys.js'
import { readDeployKey } from '../../action-dokku/src/ssh/private-key.js'
import { sshKeygen, type GeneratedKey } from '../../action-dokku/test/keys.js'
import { fixtureRepo, freePort, run } from '../support/index.js'
import { startDokkuStandin, type DokkuStandin } from '../standins/dokku/standin.js'
import { authorizedKey, baseInputs, runAction } from './dokku-support.js'

/** The SSH transport against a real sshd: host-key pinning in every form, keys, unreachable hosts, the git bridge. */
const cleanups: Array<() => Promise<void> | void> = []
let dokku: DokkuStandin
let key: GeneratedKey

beforeAll(async () => {
  dokku = await startDokkuStandin({ cleanup: (fn) => cleanups.push(fn) })
  key = await authorizedKey(dokku)
})

afterAll(async () => {
  for (const fn of cleanups.reverse()) await fn()
})

function connect(
  hostKey: string,
  options: { insecure?: boolean; privateKey?: string; port?: number; readyTimeoutMs?: number } = {},
) {
  const log = new MemoryLogger()
  const port = options.port ?? dokku.port
  return {
    log,
    session: connectSsh({
      target: { host: '127.0.0.1', port, user: dokku.user },
      key: readDeployKey(options.privateKey ?? key.privateKey, undefined),
      hostKeys: parseHostKeys(hostKey, '127.0.0.1', port, options.insecure ?? false),
      readyTimeoutMs: options.readyTimeoutMs ?? 10_000,
      log,
    }),
  }
}

async function acceptedLogins(): Promise<number> {
  return ((await dokku.sshdLog()).match(/Accepted publickey/g) ?? []).length
}

describe('host key pinning', () => {
  it('a wrong host key stops everything right after the handshake: no login, no command reaches Dokku', async () => {
    const impostor = sshKeygen('ed25519')
    const repo = await fixtureRepo('flat')
    const commandsBefore = (await dokku.commands()).length
    const loginsBefore = await acceptedLogins()
    const action = await runAction({
      repoDir: repo.dir,
      inputs: {
        ...baseInputs(dokku, key, 'pinned'),
        'ssh-host-key': `[127.0.0.1]:${dokku.port} ${impostor.publicKey.split(' ').slice(0, 2).join(' ')}`,
      },
    })
    expect(action.error?.message).toMatch(
      /^HOST KEY MISMATCH: 127\.0\.0\.1:\d+ presented ssh-ed25519 SHA256:\S+, which is not pinned in ssh-host-key/,
    )
    expect(action.error?.message).toContain(dokku.fingerprints.ed25519)
    expect(action.error?.message).toContain('Nothing was sent to the server.')
    expect((await dokku.commands()).length).toBe(commandsBefore)
    expect(await acceptedLogins()).toBe(loginsBefore)
    expect(action.state).toEqual({})
  })

  it('accepts hashed known_hosts lines in the [host]:port form', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'known-hosts-'))
    const file = path.join(dir, 'known_hosts')
    writeFileSync(file, `${dokku.knownHosts.ecdsa}\n`)
    execFileSync('ssh-keygen', ['-q', '-H', '-f', file])
    const hashed = readFileSync(file, 'utf8')
    expect(hashed).toMatch(/^\|1\|/)
    const { session } = connect(hashed)
    const ssh = await session
    expect(ssh.hostKey.keyType).toBe('ecdsa-sha2-nistp256')
    expect((await new Dokku(ssh).run(['version'])).stdout).toBe('dokku version 0.38.27\n')
    ssh.close()
  })

  it('finds the pinned key behind a bare SHA256 fingerprint even when the server prefers another key type', async () => {
    const { session } = connect(dokku.fingerprints.rsa)
    const ssh = await session
    expect(ssh.hostKey.keyType).toBe('ssh-rsa')
    expect(ssh.hostKey.fingerprint).toBe(dokku.fingerprints.rsa)
    ssh.close()
    const wrong = connect(sshKeygen('ed25519').fingerprint).session
    await expect(wrong).rejects.toThrow(/HOST KEY MISMATCH: .* presented ssh-ed25519 .*ecdsa-sha2-nistp256 .*ssh-rsa/)
  })

  it('insecure-skip-host-key-check connects, warns, and prints the exact value to pin', async () => {
    const { session, log } = connect('', { insecure: true })
    const ssh = await session
    ssh.close()
    const warning = log.entries.find((entry) => entry.level === 'warning')?.message ?? ''
    expect(warning).toContain('Host key NOT verified')
    const pinLine = warning.split('\n').at(-1) ?? ''
    expect(Object.values(dokku.knownHosts)).toContain(pinLine)
    // The printed line, pinned, works.
    const pinned = await connect(pinLine).session
    pinned.close()
  })
})

describe('keys and reachability', () => {
  it('a key the server does not know fails with its fingerprint and how to add it', async () => {
    const stranger = sshKeygen('ed25519')
    await expect(connect(dokku.knownHosts.ed25519, { privateKey: stranger.privateKey }).session).rejects.toMatchObject({
      input: 'ssh-private-key',
      message: expect.stringContaining(`refused the private key for user '${dokku.user}' (key ${stranger.fingerprint})`),
      hint: expect.stringContaining('dokku ssh-keys:add'),
    })
  })

  it('a malformed key is an input error before any connection', async () => {
    const repo = await fixtureRepo('flat')
    const commandsBefore = (await dokku.commands()).length
    const action = await runAction({
      repoDir: repo.dir,
      inputs: {
        ...baseInputs(dokku, key, 'x'),
        'ssh-private-key': '-----BEGIN OPENSSH PRIVATE KEY-----\nnot a key\n-----END OPENSSH PRIVATE KEY-----',
      },
    })
    expect(action.error).toMatchObject({ name: 'InputError', input: 'ssh-private-key' })
    expect((await dokku.commands()).length).toBe(commandsBefore)
  })

  it('an unreachable host fails clearly: refused at once, silent within the timeout', async () => {
    const closed = await freePort()
    const started = Date.now()
    await expect(
      connect(dokku.knownHosts.ed25519.replace(`:${dokku.port} `, `:${closed} `), { port: closed }).session,
    ).rejects.toThrow(`Could not connect to 127.0.0.1:${closed}: connection refused`)
    expect(Date.now() - started).toBeLessThan(2000)

    // A host that accepts TCP but never speaks SSH (a black hole behind a firewall looks the same).
    const tarpit: Server = createServer(() => undefined)
    await new Promise<void>((resolve) => tarpit.listen(0, '127.0.0.1', () => resolve()))
    const port = (tarpit.address() as { port: number }).port
    const repo = await fixtureRepo('flat')
    const action = await runAction({
      repoDir: repo.dir,
      inputs: {
        ...baseInputs(dokku, key, 'x'),
        port: String(port),
        'ssh-host-key': dokku.knownHosts.ed25519.replace(`:${dokku.port} `, `:${port} `),
        timeout: '0.1',
      },
    })
    tarpit.close()
    expect(action.error?.message).toBe(`No SSH handshake with 127.0.0.1:${port} within 6 s.`)
    expect(action.elapsedMs).toBeLessThan(15_000)
  })
})

describe('git transport over the same connection', () => {
  it('relays git only for the app it was opened for, and only with its token', async () => {
    const ssh = await connect(dokku.knownHosts.ed25519).session
    const bridge = await startGitBridge({ session: ssh, allow: (command) => command === "git-upload-pack '/allowed'" })
    try {
      const other = await run('git', ['ls-remote', `ssh://x@127.0.0.1:${dokku.port}/other-app`], {
        env: { ...process.env, ...bridge.env },
      })
      expect(other.exitCode).not.toBe(0)
      expect(other.stderr).toContain(
        "action-dokku git transport refused: remote command not allowed: git-upload-pack '/other-app'",
      )
      const stolen = await run('git', ['ls-remote', `ssh://x@127.0.0.1:${dokku.port}/allowed`], {
        env: { ...process.env, ...bridge.env, DOKKU_ACTION_GIT_TOKEN: 'f'.repeat(64) },
      })
      expect(stolen.stderr).toContain('refused: bad token')
      expect(bridge.traffic).toEqual([])
    } finally {
      await bridge.close()
      ssh.close()
    }
  })

  it('is gone when the step ends: the socket directory is removed', async () => {
    const ssh = await connect(dokku.knownHosts.ed25519).session
    const bridge = await startGitBridge({ session: ssh, allow: () => true })
    const socket = bridge.env.DOKKU_ACTION_GIT_BRIDGE ?? ''
    const directory = path.dirname(socket)
    expect((await run('stat', ['-c', '%a', directory])).stdout.trim()).toBe('700')
    const shim = readFileSync(path.join(directory, 'shim.cjs'), 'utf8')
    await bridge.close()
    ssh.close()
    expect((await run('test', ['-e', directory])).exitCode).toBe(1)
    // and a shim started now has nobody to talk to
    const copy = path.join(mkdtempSync(path.join(tmpdir(), 'shim-')), 'shim.cjs')
    writeFileSync(copy, shim)
    const late = spawn(process.execPath, [copy, 'x', "git-upload-pack '/a'"], { env: { ...process.env, ...bridge.env } })
    const code = await new Promise((resolve) => late.on('exit', resolve))
    expect(code).toBe(255)
  })
})

describe('IPv6', () => {
  it('deploys to an ssh:// URL with an IPv6 address, the host key pinned for [::1]:port', async () => {
    const v6 = await startDokkuStandin({ ipv6: true, cleanup: (fn) => cleanups.push(fn) })
    const v6Key = await authorizedKey(v6)
    const repo = await fixtureRepo('flat')
    const action = await runAction({
      repoDir: repo.dir,
      inputs: {
        ...baseInputs(v6, v6Key, 'ignored'),
        host: `ssh://${v6.user}@[::1]:${v6.port}/six`,
        app: '',
        port: '22',
        'ssh-host-key': v6.knownHostsIpv6,
      },
    })
    expect(action.error, action.visible).toBeUndefined()
    expect(action.outputs.app).toBe('six')
    expect(action.log.text()).toContain(`Connected to [::1]:${v6.port}`)
    expect((await fetch(`${v6.url('six')}/`)).status).toBe(200)
    expect(await v6.sshdLog()).toMatch(/Accepted publickey for \S+ from ::1/)
  })
})
