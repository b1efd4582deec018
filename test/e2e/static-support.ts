import { mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { createGitHubClient } from '@django-deploy/shared/github'
import { readEventContext, type EventContext } from '@django-deploy/shared/github'
import { Outputs } from '@django-deploy/shared/github'
import { SecretRegistry } from '@django-deploy/shared/github'
import type { SummaryWriter } from '@django-deploy/shared/github'
import { inputSourceFrom } from '@django-deploy/shared/inputs'
import { spawnRunner } from '@django-deploy/shared/runtime'
import { MemoryLogger } from '@django-deploy/shared/runtime'
import { readInputs } from '../../action-static/src/inputs.js'
import { OUTPUT_NAMES, run, type Deps, type OutputName } from '../../action-static/src/main.js'
import { fetchTransport, type HttpTransport } from '../../action-static/src/netlify/http.js'
import { PYTHON } from '../support/index.js'

/**
 * Running action-static's `run` the way index.ts does, with the real side effects pointed at
 * local stand-ins: inputs from a plain object, Netlify at the stand-in, GitHub at its stand-in,
 * the event from a payload file, outputs and the summary recorded.
 */
export interface Harness {
  log: MemoryLogger
  outputs: Map<string, string>
  summary: string[]
  run(): ReturnType<typeof run>
}

export interface HarnessOptions {
  workspace: string
  inputs: Record<string, string>
  netlifyApiUrl?: string
  githubApiUrl?: string
  context?: EventContext
  /** Instead of real waits between retries (the retry tests record them). */
  sleep?: (ms: number) => Promise<void>
  /** The project's Python (default: Debian's, /usr/bin/python3), e.g. a virtualenv with more packages. */
  python?: string
  /** Instead of fetch (a test that damages a request on its way). */
  transport?: HttpTransport
}

export function harness(options: HarnessOptions): Harness {
  const log = new MemoryLogger()
  const secrets = new SecretRegistry(() => undefined)
  const recorded = new Map<string, string>()
  const summary: string[] = []
  const writer: SummaryWriter = {
    addRaw(text) {
      summary.push(text)
      return writer
    },
    write: async () => undefined,
  }
  const deps: Deps = {
    log: secrets.logger(log),
    secrets,
    runner: spawnRunner,
    outputs: new Outputs<OutputName>(OUTPUT_NAMES, secrets, (name, value) => recorded.set(name, value)),
    context: options.context,
    github: (token) => createGitHubClient({ token, tokenInput: 'github-token', apiUrl: options.githubApiUrl }),
    netlify: { transport: options.transport ?? fetchTransport, apiUrl: options.netlifyApiUrl },
    summary: writer,
    env: { PATH: process.env.PATH },
    workspace: options.workspace,
    python: options.python ?? PYTHON,
    now: Date.now,
    sleep: options.sleep,
  }
  return {
    log,
    outputs: recorded,
    summary,
    run: () =>
      run(
        readInputs(inputSourceFrom(options.inputs), (value) => deps.log.setSecret(value)),
        deps,
      ),
  }
}

/** An event context as GitHub would give it, from a payload. */
export async function eventContext(
  dir: string,
  eventName: string,
  payload: object,
  env: Record<string, string> = {},
): Promise<EventContext> {
  const file = path.join(dir, `event-${eventName}-${Math.random().toString(36).slice(2)}.json`)
  await writeFile(file, JSON.stringify(payload))
  return readEventContext({
    GITHUB_REPOSITORY: 'octo/blog',
    GITHUB_EVENT_NAME: eventName,
    GITHUB_EVENT_PATH: file,
    GITHUB_RUN_ID: '99',
    GITHUB_SHA: 'f'.repeat(40),
    ...env,
  })
}

export function pullRequestPayload(
  number: number,
  headSha: string,
  options: { fork?: boolean; headRef?: string; action?: string; merged?: boolean } = {},
): object {
  const action = options.action ?? 'synchronize'
  return {
    action,
    number,
    pull_request: {
      number,
      state: action === 'closed' ? 'closed' : 'open',
      merged: options.merged ?? false,
      html_url: `https://github.com/octo/blog/pull/${number}`,
      head: {
        sha: headSha,
        ref: options.headRef ?? 'new-theme',
        repo: { full_name: options.fork ? 'stranger/blog' : 'octo/blog' },
      },
      base: { ref: 'main', repo: { full_name: 'octo/blog' } },
    },
    repository: { full_name: 'octo/blog', default_branch: 'main' },
    sender: { login: 'octocat' },
  }
}

/**
 * A minimal Django project on SQLite that counts its database connections, for the tests of the
 * renderer's and gunicorn's workers: `/db/` answers `pid <worker> opened <connections so far>`,
 * `/broken/` leaves its connection in a state Django does not trust (autocommit off), `/env/`
 * answers FROM_PROJECT_CONF from the environment. `wsgi.application` loads it.
 */
export async function connectionCountingProject(prefix: string): Promise<string> {
  const appDir = await mkdtemp(path.join(tmpdir(), prefix))
  const files: Record<string, string[]> = {
    'settings.py': [
      "SECRET_KEY = 'test'",
      "ALLOWED_HOSTS = ['*']",
      "ROOT_URLCONF = 'urls'",
      'INSTALLED_APPS = []',
      'MIDDLEWARE = []',
      `DATABASES = {'default': {'ENGINE': 'django.db.backends.sqlite3', 'NAME': ${JSON.stringify(path.join(appDir, 'db.sqlite3'))}}}`,
    ],
    'urls.py': [
      'import os',
      'from django.db import connection',
      'from django.db.backends.signals import connection_created',
      'from django.http import HttpResponse',
      'from django.urls import path',
      'opened = []',
      'connection_created.connect(lambda sender, connection, **kwargs: opened.append(1), weak=False)',
      'def query(request):',
      '    with connection.cursor() as cursor:',
      "        cursor.execute('SELECT 1')",
      "    return HttpResponse('pid %d opened %d' % (os.getpid(), len(opened)))",
      'def broken(request):',
      '    connection.set_autocommit(False)',
      "    return HttpResponse('broken')",
      'def env(request):',
      "    return HttpResponse(os.environ.get('FROM_PROJECT_CONF', 'unset'))",
      "urlpatterns = [path('db/', query), path('broken/', broken), path('env/', env)]",
    ],
    'wsgi.py': [
      'import os',
      "os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'settings')",
      'from django.core.wsgi import get_wsgi_application',
      'application = get_wsgi_application()',
    ],
  }
  for (const [name, lines] of Object.entries(files)) await writeFile(path.join(appDir, name), [...lines, ''].join('\n'))
  return appDir
}
