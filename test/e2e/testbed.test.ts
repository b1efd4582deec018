import { mkdtemp, readdir, readFile, readlink } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { createDatabase, packageIndex, run } from '../support/index.js'

// The test bed's container parts must be as strict as the real ones: the base image holds no
// Django, gunicorn or libpq; pip installs exactly what is asked, from the index alone.
describe('test bed: package index and python:3.X-slim', () => {
  it('pip in a fresh virtualenv resolves Django and gunicorn (with their dependencies) from the index alone', async () => {
    // The machine's own pip configuration (if any) must not add another index.
    const env = { ...process.env, PIP_CONFIG_FILE: '/dev/null' }
    const venv = path.join(await mkdtemp(path.join(tmpdir(), 'testbed-venv-')), 'venv')
    expect((await run('/usr/bin/python3', ['-m', 'venv', venv])).exitCode).toBe(0)
    const install = await run(
      path.join(venv, 'bin', 'pip'),
      ['install', '--quiet', '--disable-pip-version-check', '--index-url', packageIndex().url, 'Django>=4.2,<5', 'gunicorn>=22'],
      { env },
    )
    expect(install.exitCode).toBe(0)
    const versions = await run(path.join(venv, 'bin', 'python'), [
      '-c',
      'import django, gunicorn, sqlparse, asgiref; print(django.get_version(), gunicorn.__version__)',
    ])
    expect(versions.stdout.trim()).toMatch(/^4\.2\.\d+ 2[2-9]\./)
    expect((await run(path.join(venv, 'bin', 'gunicorn'), ['--version'])).exitCode).toBe(0)
    // What the index does not have, pip cannot install: no silent fallback to the machine's packages.
    const missing = await run(path.join(venv, 'bin', 'pip'), ['install', '--index-url', packageIndex().url, 'celery'], { env })
    expect(missing.exitCode).not.toBe(0)
    expect(missing.stderr).toMatch(/No matching distribution found for celery/)
  })

  it('the base image has Python at /usr/local/bin/python and pip, but no Django, gunicorn or libpq', async () => {
    const probe = await run('docker', [
      'run',
      '--rm',
      '--network',
      'host',
      'python:3.12-slim',
      'sh',
      '-c',
      'command -v python; command -v pip; python -c "import venv"; python -c "import django" 2>&1 | tail -1; command -v gunicorn || echo no-gunicorn; ls /usr/lib/x86_64-linux-gnu/libpq.so.5 2>&1 || true',
    ])
    expect(probe.exitCode).toBe(0)
    expect(probe.stdout).toContain('/usr/local/bin/python\n/usr/local/bin/pip\n')
    expect(probe.stdout).toContain("ModuleNotFoundError: No module named 'django'")
    expect(probe.stdout).toContain('no-gunicorn')
    expect(probe.stdout).toMatch(/libpq\.so\.5'?: No such file/)
  })

  it('psycopg2-binary brings its own libpq (as the PyPI wheel does) and reaches PostgreSQL; plain psycopg2 does not load without libpq5', async () => {
    const url = await createDatabase('testbed')
    const script =
      'pip install --quiet --root-user-action=ignore psycopg2-binary && python -c "import psycopg2, sys; c = psycopg2.connect(sys.argv[1]); cur = c.cursor(); cur.execute(\'select 41 + 1\'); print(cur.fetchone()[0])" "$0"'
    const binary = await run('docker', ['run', '--rm', '--network', 'host', 'python:3.12-slim', 'sh', '-c', script, url])
    expect(binary.stderr).toBe('')
    expect(binary.stdout.trim()).toBe('42')
    const plain = await run('docker', [
      'run',
      '--rm',
      '--network',
      'host',
      'python:3.12-slim',
      'sh',
      '-c',
      'pip install --quiet --root-user-action=ignore psycopg2 && python -c "import psycopg2"',
    ])
    expect(plain.exitCode).not.toBe(0)
    expect(plain.stderr).toMatch(/libpq\.so\.5/)
  })
})

// prepare.sh takes a lock while it builds; the servers it leaves running (dockerd, the index)
// must not inherit it, or the next prepare (the global setup, a second checkout) waits for ever.
describe('test bed: prepare.sh', () => {
  const prepare = new URL('../support/testbed/prepare.sh', import.meta.url).pathname
  const repo = new URL('../..', import.meta.url).pathname
  const lock = path.join(process.env.TESTBED_CACHE ?? path.join(repo, '.cache', 'testbed'), '.prepare.lock')

  async function lockHolders(): Promise<string[]> {
    const holders: string[] = []
    for (const pid of (await readdir('/proc')).filter((name) => /^\d+$/.test(name))) {
      const fds = await readdir(`/proc/${pid}/fd`).catch(() => [])
      for (const fd of fds) {
        if ((await readlink(`/proc/${pid}/fd/${fd}`).catch(() => '')) !== lock) continue
        holders.push((await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')).replaceAll('\0', ' ').trim())
      }
    }
    return holders
  }

  it('leaves no running server holding its lock, so a second prepare returns at once', async () => {
    // Only another prepare (a concurrent run sharing this cache) may hold it.
    expect((await lockHolders()).filter((cmdline) => !cmdline.includes('prepare.sh'))).toEqual([])
    const again = await run('timeout', ['120', 'bash', prepare])
    expect(again.exitCode).toBe(0)
    expect(again.stdout).toMatch(/^testbed: ready \(index http:\/\/127\.0\.0\.1:\d+\/index-[0-9a-f]{16}\/simple\//m)
    expect((await lockHolders()).filter((cmdline) => !cmdline.includes('prepare.sh'))).toEqual([])
  })
})
