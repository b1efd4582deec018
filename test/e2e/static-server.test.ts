import { mkdtemp, readFile, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { describe, expect, it, onTestFinished } from 'vitest'
import { startAppServer } from '../../action-static/src/generate/server.js'
import { PYTHON } from '../support/index.js'
import { connectionCountingProject } from './static-support.js'

/**
 * The HTTP crawl's app server (generator: crawl, and the fallback when a project cannot be
 * rendered in-process), run for real with Debian's gunicorn on a minimal Django project: its
 * workers keep one database connection, as the in-process renderer's do, and a project's own
 * gunicorn.conf.py is still read.
 */
async function project(projectConf?: string): Promise<string> {
  const appDir = await connectionCountingProject('app-server-')
  if (projectConf) await writeFile(path.join(appDir, 'gunicorn.conf.py'), projectConf)
  return appDir
}

async function serve(appDir: string) {
  const server = await startAppServer({
    python: PYTHON,
    appDir,
    env: { PYTHONPATH: appDir, DJANGO_SETTINGS_MODULE: 'settings' },
    wsgiApplication: 'wsgi.application',
    useGunicorn: true,
    managePy: 'manage.py',
    workers: 1,
    startTimeoutMs: 30_000,
  })
  onTestFinished(() => server.stop())
  expect(server.kind).toBe('gunicorn')
  return async (page: string): Promise<string> => {
    const response = await fetch(`http://127.0.0.1:${server.port}${page}`)
    expect(response.status).toBe(200)
    return response.text()
  }
}

describe('the HTTP crawl app server (gunicorn)', () => {
  it('keeps one database connection per worker across requests, and replaces one a request left untrustworthy', async () => {
    const body = await serve(await project())
    // Django's default (CONN_MAX_AGE = 0) would connect anew for every request: opened 1, 2, 3.
    const first = await body('/db/')
    expect(first).toMatch(/^pid \d+ opened 1$/)
    expect([await body('/db/'), await body('/db/')]).toEqual([first, first])
    expect(await body('/broken/')).toBe('broken')
    expect(await body('/db/')).toBe(first.replace('opened 1', 'opened 2'))
  }, 60_000)

  it("still reads the project's gunicorn.conf.py: its settings and its hooks", async () => {
    const marker = path.join(await mkdtemp(path.join(tmpdir(), 'app-server-hook-')), 'hook')
    const appDir = await project(
      [
        'import os',
        "raw_env = ['FROM_PROJECT_CONF=' + ('read' if os.path.basename(__file__) == 'gunicorn.conf.py' else 'wrong')]",
        'def post_worker_init(worker):',
        `    open(${JSON.stringify(marker)}, 'w').write('post_worker_init ran')`,
        '',
      ].join('\n'),
    )
    const body = await serve(appDir)
    expect(await body('/env/')).toBe('read')
    expect(await readFile(marker, 'utf8')).toBe('post_worker_init ran')
    // Its hook ran and ours too: the connection is still kept.
    const first = await body('/db/')
    expect(await body('/db/')).toBe(first)
  }, 60_000)
})
