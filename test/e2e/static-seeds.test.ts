import { mkdir, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { startRenderPool } from '../../action-static/src/generate/render.js'
import { urlconfSeeds } from '../../action-static/src/generate/seeds.js'
import { makeTempDir, PYTHON, runPython } from '../support/index.js'

/**
 * The URLconf seeds on a real Django 4.2 resolver: include()s with and without namespaces,
 * i18n_patterns, re_path literals and groups, converters, the admin.
 */
async function project(files: Record<string, string>): Promise<string> {
  const dir = await makeTempDir('static-seeds-')
  for (const [file, content] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(dir, file)), { recursive: true })
    await writeFile(path.join(dir, file), content)
  }
  return dir
}

const SETTINGS = `
SECRET_KEY = "test"
DEBUG = False
ALLOWED_HOSTS = ["*"]
ROOT_URLCONF = "site_urls"
USE_I18N = True
LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", "French"), ("en", "English")]
INSTALLED_APPS = ["django.contrib.admin", "django.contrib.auth", "django.contrib.contenttypes",
                  "django.contrib.sessions", "django.contrib.messages"]
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
TEMPLATES = [{"BACKEND": "django.template.backends.django.DjangoTemplates", "APP_DIRS": True,
              "OPTIONS": {"context_processors": ["django.contrib.auth.context_processors.auth",
                                                 "django.contrib.messages.context_processors.messages",
                                                 "django.template.context_processors.request"]}}]
MIDDLEWARE = ["django.contrib.sessions.middleware.SessionMiddleware",
              "django.contrib.auth.middleware.AuthenticationMiddleware",
              "django.contrib.messages.middleware.MessageMiddleware"]
`

const URLS = `
from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.http import HttpResponse
from django.urls import include, path, re_path

def view(request, **kwargs):
    return HttpResponse("ok")

blog = ([
    path("", view, name="index"),
    path("<slug:slug>/", view, name="post"),
    path("archive/2024/", view, name="archive"),
], "blog")

docs = [
    re_path(r"^intro\\.html$", view),
    re_path(r"^(?P<page>[a-z]+)/$", view),
    re_path(r"^v[0-9]+/$", view),
]

urlpatterns = [
    path("", view),
    path("admin/", admin.site.urls),
    path("blog/", include(blog, namespace="news")),
    re_path(r"^docs/", include(docs)),
    path("u/<int:pk>/", include([path("", view), path("edit/", view)])),
] + i18n_patterns(path("about/", view), path("team/<int:pk>/", view))
`

describe('URLconf seeds', () => {
  it('lists the parameterless patterns through include()s, namespaces and the default language prefix, without the admin', async () => {
    const dir = await project({ 'site_settings.py': SETTINGS, 'site_urls.py': URLS })
    const seeds = await urlconfSeeds({
      python: async (args, what) => {
        const result = await runPython(args, { cwd: dir, env: { DJANGO_SETTINGS_MODULE: 'site_settings', PYTHONPATH: dir } })
        if (result.exitCode !== 0) throw new Error(`${what}: ${result.stderr}`)
        return result.stdout
      },
    })
    expect(seeds.paths).toEqual(['/', '/blog/', '/blog/archive/2024/', '/docs/intro.html', '/fr/about/'])
    // <slug>, (?P<page>), v[0-9]+, the two under u/<int:pk>/, team/<int:pk>/.
    expect(seeds.withParameters).toBe(6)
    expect(seeds.admin).toBeGreaterThan(10)
  })

  it('are the same when the renderer lists them in the project it loaded', async () => {
    const dir = await project({ 'site_settings.py': SETTINGS, 'site_urls.py': URLS })
    const env = { DJANGO_SETTINGS_MODULE: 'site_settings', PYTHONPATH: dir }
    const alone = await urlconfSeeds({
      python: async (args) => (await runPython(args, { cwd: dir, env })).stdout,
    })
    const pool = await startRenderPool({
      python: PYTHON,
      appDir: dir,
      env,
      workers: 1,
      host: 'localhost',
      requestTimeoutMs: 10_000,
      startTimeoutMs: 30_000,
      listSeeds: true,
    })
    try {
      expect(pool.seedsError).toBeUndefined()
      expect(pool.seeds).toEqual(alone)
      expect(pool.seeds?.paths).toContain('/fr/about/')
    } finally {
      await pool.close()
    }
  })

  it('fails with the Python error when the URLconf does not import', async () => {
    const dir = await project({ 'site_settings.py': SETTINGS, 'site_urls.py': 'import nonexistent_module\n' })
    const error = await urlconfSeeds({
      python: async (args, what) => {
        const result = await runPython(args, { cwd: dir, env: { DJANGO_SETTINGS_MODULE: 'site_settings', PYTHONPATH: dir } })
        if (result.exitCode !== 0) throw new Error(`${what}: ${result.stderr}`)
        return result.stdout
      },
    }).catch((caught: unknown) => caught as Error)
    expect(String(error)).toMatch(/Listing the URL patterns.*No module named 'nonexistent_module'/s)
  })
})
