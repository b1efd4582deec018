import { describe, expect, it, onTestFinished } from 'vitest'
import { join } from 'node:path'
import { readdir } from 'node:fs/promises'
import { dockerAvailable, makeTempDir, mustSucceed, packageIndex, run } from '../support/index.js'

const docker = (args: string[], timeoutMs = 300_000) => run('docker', args, { timeoutMs })

describe.skipIf(!dockerAvailable())('test bed: package index and python:3.X-slim stand-ins', () => {
  it('pip resolves Django and gunicorn (with their dependencies) from the index alone', async () => {
    const { url, wheelsDir } = packageIndex()
    const dir = await makeTempDir('pyindex-', onTestFinished)
    const venv = join(dir, 'venv')
    mustSucceed(await run('/usr/bin/python3', ['-m', 'venv', venv]), 'python3 -m venv')
    const pip = await run(
      join(venv, 'bin', 'pip'),
      ['install', '--no-cache-dir', '--index-url', url, 'Django>=4.2,<5', 'gunicorn'],
      {
        timeoutMs: 300_000,
        env: { ...process.env, PIP_CONFIG_FILE: '/dev/null' },
      },
    )
    mustSucceed(pip, 'pip install from the test bed index')
    expect(pip.stdout).toMatch(/Successfully installed .*asgiref-/)
    expect(pip.stdout).toMatch(/sqlparse-/)
    const check = await run(join(venv, 'bin', 'python'), ['-c', 'import django, gunicorn; print(django.get_version())'])
    mustSucceed(check, 'import the installed packages')
    expect(check.stdout.trim()).toMatch(/^4\.2\./)
    const wheels = await readdir(wheelsDir)
    expect(wheels.some((name) => /^psycopg-3\.1\.7/.test(name))).toBe(false)
  })

  it('an unknown package is refused, as by PyPI', async () => {
    const { url } = packageIndex()
    const dir = await makeTempDir('pyindex-', onTestFinished)
    const venv = join(dir, 'venv')
    mustSucceed(await run('/usr/bin/python3', ['-m', 'venv', venv]), 'python3 -m venv')
    const pip = await run(join(venv, 'bin', 'pip'), ['install', '--index-url', url, 'no-such-package-here'], {
      timeoutMs: 120_000,
      env: { ...process.env, PIP_CONFIG_FILE: '/dev/null' },
    })
    expect(pip.exitCode).not.toBe(0)
    expect(pip.stderr).toMatch(/No matching distribution found for no-such-package-here/)
  })

  it('python:3.12-slim has Python and pip, no Django, gunicorn or libpq; pip in it installs psycopg2-binary from the index', async () => {
    const bare = await docker([
      'run',
      '--rm',
      '--network',
      'host',
      'python:3.12-slim',
      'sh',
      '-c',
      'python --version && pip --version && (python -c "import django" 2>/dev/null && echo HAS-DJANGO; command -v gunicorn && echo HAS-GUNICORN; ls /usr/lib/x86_64-linux-gnu/libpq.so* 2>/dev/null && echo HAS-LIBPQ; true)',
    ])
    mustSucceed(bare, 'docker run python:3.12-slim')
    expect(bare.stdout).toMatch(/Python 3\./)
    expect(bare.stdout).not.toMatch(/HAS-/)
    const installed = await docker([
      'run',
      '--rm',
      '--network',
      'host',
      'python:3.12-slim',
      'sh',
      '-c',
      'pip install -q --no-cache-dir psycopg2-binary && python -c "import psycopg2; print(psycopg2.__libpq_version__)"',
    ])
    mustSucceed(installed, 'pip install psycopg2-binary in python:3.12-slim')
    expect(Number(installed.stdout.trim().split('\n').pop())).toBeGreaterThan(100000)
  })
})
