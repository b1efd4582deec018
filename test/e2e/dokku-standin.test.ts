import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest'
import { fixtureRepo, git, psql, run, type RunResult } from '../support/index.js'
import { startDokkuStandin, type DokkuStandin } from '../standins/dokku/standin.js'
import { sshKeygen } from '../../action-dokku/test/keys.js'

/**
 * The stand-in must behave like Dokku for a plain OpenSSH client, or tests against it prove
 * nothing. These drive it with /usr/bin/ssh and /usr/bin/git, as a person would.
 */
let dokku: DokkuStandin
let sshArgs: string[]
let sshCommand: string
const cleanups: Array<() => Promise<void> | void> = []

beforeAll(async () => {
  dokku = await startDokkuStandin({ cleanup: (fn) => cleanups.push(fn) })
  const key = sshKeygen('ed25519')
  await dokku.authorize(key.publicKey, 'standin-test')
  const dir = mkdtempSync(path.join(tmpdir(), 'standin-ssh-'))
  writeFileSync(path.join(dir, 'id'), key.privateKey, { mode: 0o600 })
  writeFileSync(path.join(dir, 'known_hosts'), `${dokku.knownHosts.ed25519}\n`)
  sshArgs = [
    '-p',
    String(dokku.port),
    '-i',
    path.join(dir, 'id'),
    '-o',
    `UserKnownHostsFile=${path.join(dir, 'known_hosts')}`,
    '-o',
    'StrictHostKeyChecking=yes',
    '-o',
    'IdentitiesOnly=yes',
    '-o',
    'BatchMode=yes',
    '-o',
    'LogLevel=ERROR',
  ]
  sshCommand = ['ssh', ...sshArgs.slice(2)].join(' ')
})

afterAll(async () => {
  for (const fn of cleanups.reverse()) await fn()
})

const ssh = (command: string, input?: string): Promise<RunResult> =>
  run('ssh', [...sshArgs, `${dokku.user}@127.0.0.1`, command], { input })

describe('Dokku stand-in over real sshd', () => {
  it('answers like Dokku: version, unknown commands, app existence (exit 20), root-only plugin commands', async () => {
    expect((await ssh('version')).stdout).toBe('dokku version 0.38.27\n')
    const unknown = await ssh('frobnicate blog')
    expect(unknown.exitCode).toBe(1)
    expect(unknown.stderr).toBe(
      ' !     `frobnicate blog` is not a dokku command.\n !     See `dokku help` for a list of available commands.\n',
    )
    const missing = await ssh('apps:exists nope')
    expect(missing).toMatchObject({ exitCode: 20, stderr: ' !     App nope does not exist\n' })
    expect(await ssh('apps:create Bad_Name')).toMatchObject({
      exitCode: 1,
      stderr: expect.stringContaining('App name must begin with lowercase alphanumeric character'),
    })
    expect(await ssh('plugin:install https://github.com/dokku/dokku-postgres.git')).toMatchObject({
      exitCode: 1,
      stderr: ' !     This command must be run as root\n',
    })
    const logged = await dokku.commands()
    expect(logged.map((entry) => entry.command)).toContain('apps:exists nope')
    expect(logged.every((entry) => entry.keyName === 'standin-test')).toBe(true)
  })

  it('splits arguments with xargs like Dokku, and git commands without unquoting', async () => {
    expect((await ssh('apps:create quoting')).exitCode).toBe(0)
    const set = await ssh(`config:set --no-restart quoting 'A=it'\\''s "quoted" $HOME' B=x`)
    expect(set.exitCode).toBe(0)
    expect(JSON.parse((await ssh('config:export --format json quoting')).stdout)).toEqual({ A: `it's "quoted" $HOME`, B: 'x' })
    // git:* is word-split only: the quotes reach Dokku and make an invalid app name
    expect(await ssh(`git:report 'quoting' --git-deploy-branch`)).toMatchObject({
      exitCode: 1,
      stderr: expect.stringContaining('App name must begin'),
    })
    expect((await ssh('git:report quoting --git-computed-deploy-branch')).stdout).toBe('master\n')
  })

  it('imports config from stdin as JSON, newlines included, and reports apps:locked like Dokku', async () => {
    const value = 'line one\nline "two" $x'
    expect((await ssh('config:import --format json --no-restart quoting -', JSON.stringify({ MULTI: value }))).exitCode).toBe(0)
    expect(JSON.parse((await ssh('config:export --format json quoting')).stdout).MULTI).toBe(value)
    expect(await ssh('apps:locked quoting')).toMatchObject({ exitCode: 1, stderr: ' !     Deploy lock does not exist\n' })
    expect((await ssh('apps:lock quoting')).exitCode).toBe(0)
    expect(await ssh('apps:locked quoting')).toMatchObject({ exitCode: 0, stdout: '' })
    expect((await ssh('apps:unlock quoting')).stderr).toContain('A deploy may be in progress.')
  })

  it("two config writers at once lose one's keys, as Dokku's unlocked ENV rewrite does (callers must not overlap them)", async () => {
    expect((await ssh('apps:create racing')).exitCode).toBe(0)
    // A window far wider than the two connections' start-up jitter: the overlap is certain.
    dokku.setGlobal({ envWriteWindowMs: 3000 })
    onTestFinished(() => dokku.setGlobal({ envWriteWindowMs: undefined }))
    const [first, second] = await Promise.all([
      ssh('config:set --no-restart racing FIRST=1'),
      ssh('config:set --no-restart racing SECOND=2'),
    ])
    expect([first.exitCode, second.exitCode]).toEqual([0, 0])
    const keys = Object.keys(JSON.parse((await ssh('config:export --format json racing')).stdout) as object)
    expect(keys.filter((key) => key === 'FIRST' || key === 'SECOND')).toHaveLength(1)
    // One after the other, both stay.
    expect((await ssh('config:set --no-restart racing FIRST=1')).exitCode).toBe(0)
    expect((await ssh('config:set --no-restart racing SECOND=2')).exitCode).toBe(0)
    expect(JSON.parse((await ssh('config:export --format json racing')).stdout)).toMatchObject({ FIRST: '1', SECOND: '2' })
  })
})

/**
 * The flat fixture with settings that read DATABASE_URL, a Procfile, a view that touches the
 * database, and the requirements all that needs (the buildpack installs exactly what is declared).
 */
const FLAT_FILES = {
  'requirements.txt': 'Django>=4.2,<5.0\ngunicorn\ndj-database-url\npsycopg2-binary\n',
  'mysite/standin_settings.py': [
    'import os',
    'import dj_database_url',
    'from .settings import *  # noqa',
    "DATABASES = {'default': dj_database_url.parse(os.environ['DATABASE_URL'])}",
    "ALLOWED_HOSTS = ['*']",
    'DEBUG = False',
    "STATIC_ROOT = BASE_DIR / 'staticfiles'",
    '',
  ].join('\n'),
  'home/views.py': [
    'from django.contrib.auth.models import User',
    'from django.http import HttpResponse',
    '',
    '',
    'def index(request):',
    "    return HttpResponse(f'users in postgres: {User.objects.count()}')",
    '',
  ].join('\n'),
  Procfile: 'release: python manage.py migrate --noinput\nweb: gunicorn mysite.wsgi --access-logfile -\n',
}

describe('git push to the stand-in', () => {
  it('builds, migrates in the release phase, serves from Postgres, and keeps the old release when a release fails', async () => {
    expect((await ssh('apps:create web1')).exitCode).toBe(0)
    expect(await ssh('postgres:create web1-db')).toMatchObject({
      exitCode: 0,
      stdout: '=====> Postgres container created: web1-db\n',
    })
    expect((await ssh('postgres:link web1-db web1 --no-restart')).exitCode).toBe(0)
    expect((await ssh('postgres:linked web1-db web1')).stdout).toBe('-----> Service web1-db is linked to web1\n')
    expect((await ssh('config:set --no-restart web1 DJANGO_SETTINGS_MODULE=mysite.standin_settings')).exitCode).toBe(0)

    const repo = await fixtureRepo('flat', { files: FLAT_FILES })
    const env = { ...process.env, GIT_SSH_COMMAND: sshCommand }
    const remote = `ssh://${dokku.user}@127.0.0.1:${dokku.port}/web1`
    // git pads each relayed "remote:" line with spaces (to overwrite progress output); drop them.
    const pushed = await run('git', ['push', remote, 'HEAD:refs/heads/main'], { cwd: repo.dir, env })
    const push = { ...pushed, stderr: pushed.stderr.replace(/ +$/gm, '') }
    expect(push.exitCode, push.stderr).toBe(0)
    expect(push.stderr).toContain('remote: \u001b[1G\u001b[K-----> Set main as deploy-branch')
    expect(push.stderr).toContain('remote: -----> Building web1 from herokuish')
    expect(push.stderr).toContain(
      'remote:        Executing release task from Procfile in ephemeral container: python manage.py migrate --noinput',
    )
    expect(push.stderr).toContain(`remote: =====> Application deployed:\nremote:        ${dokku.url('web1')}`)
    const page = await fetch(`${dokku.url('web1')}/`)
    expect(await page.text()).toBe('users in postgres: 0')
    const service = dokku.service('web1-db')
    expect(service?.links).toEqual(['web1'])
    const databaseUrl = dokku.app('web1')?.config.DATABASE_URL ?? ''
    expect(await psql(databaseUrl, "select count(*) from django_migrations where app = 'auth'")).not.toBe('0')

    // A branch that is not the deploy branch: Dokku says so and exits 0, nothing deployed.
    await git(repo.dir, ['commit', '-q', '--allow-empty', '-m', 'second'])
    const wrong = await run('git', ['push', remote, 'HEAD:refs/heads/feature'], { cwd: repo.dir, env })
    expect(wrong.exitCode).toBe(0)
    expect(wrong.stderr).toContain('-----> WARNING: deploy did not complete, you must push to main.')

    // A failing migration: the hook fails with Dokku's line, the ref is not updated, the old release serves on.
    const before = dokku.app('web1')?.release?.id
    await run('mkdir', ['-p', path.join(repo.dir, 'home', 'migrations')])
    writeFileSync(
      path.join(repo.dir, 'home', 'migrations', '0001_broken.py'),
      "from django.db import migrations\n\n\ndef fail(apps, schema_editor):\n    raise RuntimeError('boom')\n\n\nclass Migration(migrations.Migration):\n    operations = [migrations.RunPython(fail)]\n",
    )
    await git(repo.dir, ['add', '-A'])
    await git(repo.dir, ['commit', '-q', '-m', 'broken migration'])
    const failed = await run('git', ['push', remote, 'HEAD:refs/heads/main'], { cwd: repo.dir, env })
    expect(failed.exitCode).toBe(1)
    expect(failed.stderr).toContain('remote:  !     Execution of release task failed: python manage.py migrate --noinput')
    expect(failed.stderr).toContain('! [remote rejected] HEAD -> main (pre-receive hook declined)')
    expect(dokku.app('web1')?.release?.id).toBe(before)
    expect(await (await fetch(`${dokku.url('web1')}/`)).text()).toBe('users in postgres: 0')
  })
})

describe('the buildpack installs exactly what the app declares', () => {
  const push = async (app: string, files: Record<string, string>) => {
    const repo = await fixtureRepo('flat', { files })
    const env = { ...process.env, GIT_SSH_COMMAND: sshCommand }
    return run('git', ['push', `ssh://${dokku.user}@127.0.0.1:${dokku.port}/${app}`, 'HEAD:refs/heads/main'], {
      cwd: repo.dir,
      env,
    })
  }

  it("the user's own `web: gunicorn …` without gunicorn in requirements.txt: command not found, nothing deployed", async () => {
    expect((await ssh('apps:create no-gunicorn')).exitCode).toBe(0)
    // The flat fixture has no STATIC_ROOT; collectstatic is not what this is about.
    expect((await ssh('config:set --no-restart no-gunicorn DISABLE_COLLECTSTATIC=1')).exitCode).toBe(0)
    const pushed = await push('no-gunicorn', { Procfile: 'web: gunicorn mysite.wsgi --log-file -\n' })
    expect(pushed.exitCode).toBe(1)
    expect(pushed.stderr).toContain("Installing dependencies using 'pip install -r requirements.txt'")
    expect(pushed.stderr).toMatch(/bash: (line \d+: )?gunicorn: command not found/)
    expect(pushed.stderr).toContain('remote:  !     Could not start due to 1 failed checks (web.1)')
    expect(pushed.stderr).toContain('(pre-receive hook declined)')
    expect(dokku.app('no-gunicorn')?.release).toBeUndefined()
  })

  it('PostgreSQL without a driver in requirements.txt: the build fails with Django’s import error', async () => {
    expect((await ssh('apps:create no-driver')).exitCode).toBe(0)
    expect((await ssh('postgres:create no-driver-db')).exitCode).toBe(0)
    expect((await ssh('postgres:link no-driver-db no-driver --no-restart')).exitCode).toBe(0)
    expect((await ssh('config:set --no-restart no-driver DJANGO_SETTINGS_MODULE=mysite.standin_settings')).exitCode).toBe(0)
    const pushed = await push('no-driver', {
      ...FLAT_FILES,
      'requirements.txt': 'Django>=4.2,<5.0\ngunicorn\ndj-database-url\n',
    })
    expect(pushed.exitCode).toBe(1)
    expect(pushed.stderr).toContain('Error loading psycopg2 or psycopg module')
    expect(pushed.stderr).toContain('(pre-receive hook declined)')
    expect(dokku.app('no-driver')?.release).toBeUndefined()
  })
})
