import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { connect } from 'node:net'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ROOT } from '../../scripts/action-docs.js'
import { makeTempDir, run, type RunResult } from '../support/index.js'

/**
 * The launcher CI's `actions` job uses (test/repo/ci/standins.ts): it must start the same
 * stand-ins the e2e tests use, hand a workflow everything it needs as step outputs, and stop
 * them all. Each stand-in is reached here the way the actions reach it: OpenSSH with the pinned
 * host key and the deploy key, the Netlify API with the token, `gcloud` on PATH.
 */
const LAUNCHER = ['--import', './test/repo/ci/hooks.mjs', 'test/repo/ci/standins.ts']
let dir: string
let outputs: Record<string, string>
let started: RunResult

function records(text: string): Record<string, string> {
  const result: Record<string, string> = {}
  for (const match of text.matchAll(/^([\w-]+)<<(\S+)\n([\s\S]*?)\n\2$/gm)) result[match[1] as string] = match[3] as string
  return result
}

beforeAll(async () => {
  dir = await makeTempDir('standins-launcher-')
  const outputFile = path.join(dir, 'github_output')
  writeFileSync(outputFile, '')
  started = await run(
    process.execPath,
    [...LAUNCHER, 'start', '--dir', path.join(dir, 'standins'), '--github-output', outputFile],
    { cwd: ROOT, timeoutMs: 240_000 },
  )
  outputs = records(readFileSync(outputFile, 'utf8'))
}, 300_000)

afterAll(async () => {
  await run(process.execPath, [...LAUNCHER, 'stop', '--dir', path.join(dir, 'standins')], { cwd: ROOT, timeoutMs: 90_000 })
})

describe('test/repo/ci/standins.ts', () => {
  it('starts, and writes every value the workflow reads as step outputs', () => {
    expect(started.exitCode, started.stderr).toBe(0)
    expect(Object.keys(outputs).sort()).toEqual(
      [
        'dokku-host',
        'dokku-port',
        'dokku-user',
        'dokku-known-hosts',
        'dokku-fingerprint',
        'dokku-private-key',
        'netlify-api-url',
        'netlify-token',
        'netlify-site-name',
        'gcloud-path',
        'gcloud-state',
        'gcloud-config',
        'gcloud-project',
        'gcloud-region',
        'gcloud-credentials-json',
      ].sort(),
    )
    expect(outputs['dokku-private-key']).toMatch(
      /^-----BEGIN OPENSSH PRIVATE KEY-----\n[\s\S]+\n-----END OPENSSH PRIVATE KEY-----$/,
    )
    expect(outputs['dokku-known-hosts']).toBe(
      `[127.0.0.1]:${outputs['dokku-port']} ${outputs['dokku-known-hosts']?.split(' ').slice(1).join(' ')}`,
    )
    expect(JSON.parse(outputs['gcloud-credentials-json'] ?? '{}')).toMatchObject({
      type: 'service_account',
      project_id: outputs['gcloud-project'],
    })
  })

  it('runs a Dokku server that answers the deploy key over SSH, with the pinned host key', async () => {
    const keyFile = path.join(dir, 'key')
    const knownHosts = path.join(dir, 'known_hosts')
    writeFileSync(keyFile, `${outputs['dokku-private-key']}\n`, { mode: 0o600 })
    writeFileSync(knownHosts, `${outputs['dokku-known-hosts']}\n`)
    const ssh = (host: string) =>
      run(
        'ssh',
        [
          '-p',
          outputs['dokku-port'] as string,
          '-i',
          keyFile,
          '-o',
          `UserKnownHostsFile=${knownHosts}`,
          '-o',
          'StrictHostKeyChecking=yes',
          '-o',
          'IdentitiesOnly=yes',
          '-o',
          'BatchMode=yes',
          `${outputs['dokku-user']}@${host}`,
          'version',
        ],
        { timeoutMs: 30_000 },
      )
    const answer = await ssh(outputs['dokku-host'] as string)
    expect(answer.stdout, answer.stderr).toMatch(/^dokku version \d+\.\d+\.\d+\n$/)
    const fingerprint = await run('ssh-keygen', ['-l', '-E', 'sha256', '-f', knownHosts])
    expect(fingerprint.stdout).toContain(outputs['dokku-fingerprint'])
  })

  it('runs the Netlify API stand-in, which knows the token and the site', async () => {
    const site = await fetch(`${outputs['netlify-api-url']}/api/v1/sites/${outputs['netlify-site-name']}.netlify.app`, {
      headers: { authorization: `Bearer ${outputs['netlify-token']}` },
    })
    expect(site.status).toBe(200)
    expect(await site.json()).toMatchObject({ name: outputs['netlify-site-name'] })
    const refused = await fetch(`${outputs['netlify-api-url']}/api/v1/sites/${outputs['netlify-site-name']}.netlify.app`, {
      headers: { authorization: 'Bearer wrong' },
    })
    expect(refused.status).toBe(401)
  })

  it('puts a gcloud on PATH that works against its own cloud', async () => {
    const env = {
      ...process.env,
      PATH: `${outputs['gcloud-path']}:${process.env.PATH}`,
      GCLOUD_STANDIN_STATE: outputs['gcloud-state'],
      CLOUDSDK_CONFIG: outputs['gcloud-config'],
    }
    const version = await run('gcloud', ['version', '--format', 'json'], { env, timeoutMs: 30_000 })
    expect(version.exitCode, version.stderr).toBe(0)
    expect(JSON.parse(version.stdout)).toHaveProperty(['Google Cloud SDK'])
    const unknown = await run('gcloud', ['run', 'deploy', 'x', '--no-such-flag'], { env, timeoutMs: 30_000 })
    expect(unknown.exitCode).not.toBe(0)
    // The stand-in (not a gcloud installed on this machine) answered: it records every call.
    const calls = readFileSync(path.join(outputs['gcloud-state'] as string, 'calls.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { argv: string[] })
    expect(calls.map((call) => call.argv[0])).toEqual(['version', 'run'])
  })

  it('stops everything it started', async () => {
    const info = JSON.parse(readFileSync(path.join(dir, 'standins', 'standins.json'), 'utf8')) as { pid: number }
    const stopped = await run(process.execPath, [...LAUNCHER, 'stop', '--dir', path.join(dir, 'standins')], {
      cwd: ROOT,
      timeoutMs: 90_000,
    })
    expect(stopped.exitCode, stopped.stderr).toBe(0)
    expect(() => process.kill(info.pid, 0)).toThrow()
    expect(existsSync(path.join(dir, 'standins', 'standins.json'))).toBe(false)
    const sshdGone = await new Promise<boolean>((resolve) => {
      const socket = connect(Number(outputs['dokku-port']), '127.0.0.1')
      socket.once('connect', () => (socket.destroy(), resolve(false)))
      socket.once('error', () => resolve(true))
    })
    expect(sshdGone).toBe(true)
  })
})
