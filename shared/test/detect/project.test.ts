import { mkdir, symlink, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { describe, expect, test } from 'vitest'
import { ActionError } from '../../src/errors.js'
import { detect, flatProject, makeTree, managePy, wsgiPy } from './helpers.js'

/** detectProject() over small inline trees: layout, settings module, chain, errors. */

async function error(promise: Promise<unknown>): Promise<ActionError> {
  const caught = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  )
  expect(caught).toBeInstanceOf(ActionError)
  return caught as ActionError
}

describe('finding manage.py', () => {
  test('the shallowest manage.py, skipping virtualenvs, node_modules and build output', async () => {
    const root = await makeTree({
      'venv/pyvenv.cfg': '',
      'venv/manage.py': managePy('x.settings'),
      'env2/bin/activate': '',
      'env2/manage.py': managePy('x.settings'),
      'node_modules/pkg/manage.py': managePy('x.settings'),
      'build/manage.py': managePy('x.settings'),
      '.tox/manage.py': managePy('x.settings'),
      'backend/app/manage.py': managePy('mysite.settings'),
      'backend/app/mysite/settings.py': 'DEBUG = False\n',
      'backend/app/mysite/wsgi.py': wsgiPy('mysite.settings'),
    })
    const model = await detect(root)
    expect(model).toMatchObject({ searchRoot: '', appDir: 'backend/app', managePy: 'backend/app/manage.py' })
    expect(model.settings.files).toEqual(['backend/app/mysite/settings.py'])
    expect(model.wsgiApplication).toBe('mysite.wsgi.application')
  })

  test('several at the same depth, one of them Django: that one, reported', async () => {
    const root = await makeTree({
      'a/manage.py': '# some other tool\nprint("hi")\n',
      'b/manage.py': managePy('mysite.settings'),
      'b/mysite/settings.py': 'DEBUG = False\n',
    })
    const model = await detect(root)
    expect(model.managePy).toBe('b/manage.py')
    expect(model.findings.find((f) => f.code === 'several-manage-py')).toMatchObject({
      level: 'notice',
      message: expect.stringContaining('(a/manage.py, b/manage.py); using b/manage.py'),
    })
  })

  test('two Django projects side by side: an error listing both and naming working-directory', async () => {
    const root = await makeTree({
      'a/manage.py': '# some other tool\nprint("hi")\n',
      'b/manage.py': managePy('mysite.settings'),
      'b/mysite/settings.py': 'DEBUG = False\n',
      'c/manage.py': managePy('mysite.settings'),
      'c/mysite/settings.py': 'DEBUG = False\n',
    })
    const error = await detect(root).then(
      () => undefined,
      (caught: unknown) => caught,
    )
    expect(error).toBeInstanceOf(ActionError)
    expect(error).toMatchObject({ input: 'working-directory' })
    expect(String((error as Error).message)).toContain('(b/manage.py, c/manage.py)')
    expect(String((error as ActionError).hint)).toContain('"b", "c"')
  })

  test('the working-directory input narrows the search; paths stay relative to the repository root', async () => {
    const root = await makeTree({
      ...prefix('site', flatProject('DEBUG = False\n')),
      ...prefix('other', flatProject('DEBUG = True\n')),
    })
    const model = await detect(root, { workingDirectory: './site/' })
    expect(model).toMatchObject({
      searchRoot: 'site',
      appDir: 'site',
      managePy: 'site/manage.py',
      settings: { files: ['site/mysite/settings.py'] },
    })
    expect(model.dependencies.files).toEqual(['site/requirements.txt'])
  })

  test('no manage.py: an ActionError naming where it looked and the working-directory input', async () => {
    const root = await makeTree({ 'app.py': 'print(1)\n', 'docs/manage.txt': '' })
    const failure = await error(detect(root))
    expect(failure.input).toBe('working-directory')
    expect(failure.message).toBe(
      'No manage.py found in the repository root (working-directory is not set, so the search started at the repository root), searching 4 levels deep and skipping virtualenvs, hidden directories and node_modules, __pycache__, site-packages, build, dist, staticfiles. This does not look like a Django project.',
    )
    expect(failure.hint).toMatch(/Set working-directory to the folder that contains manage.py/)
    const inDir = await error(detect(root, { workingDirectory: 'docs' }))
    expect(inDir.message).toMatch(/^No manage.py found in docs\/ \(the working-directory input 'docs'\)/)
  })

  test('a working-directory that does not exist or leaves the repository', async () => {
    const root = await makeTree(flatProject('DEBUG = False\n'))
    expect((await error(detect(root, { workingDirectory: 'nope' }))).describe()).toMatch(
      /^Input 'working-directory': 'nope' is not a directory in the repository\./,
    )
    expect((await error(detect(root, { workingDirectory: '../..' }))).message).toMatch(/outside the repository/)
  })

  test('symbolic links are not followed', async () => {
    const root = await makeTree(flatProject('DEBUG = False\n'))
    await mkdir(path.join(root, 'loop'))
    await symlink(root, path.join(root, 'loop', 'again'))
    expect((await detect(root)).managePy).toBe('manage.py')
  })
})

function prefix(dir: string, files: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(files).map(([file, content]) => [`${dir}/${file}`, content]))
}

describe('the settings module in a real tree', () => {
  const wagtailTree = {
    'manage.py': managePy('mysite.settings.dev'),
    'mysite/__init__.py': '',
    'mysite/wsgi.py': wsgiPy('mysite.settings.dev'),
    'mysite/settings/__init__.py': '',
    'mysite/settings/base.py': 'DEBUG = False\nSTORAGES = {"default": {"BACKEND": "fs"}, "staticfiles": {"BACKEND": "plain"}}\n',
    'mysite/settings/dev.py': 'from .base import *\nDEBUG = True\nSECRET_KEY = "django-insecure-x"\n',
    'mysite/settings/production.py':
      'from .base import *\nDEBUG = False\nSTORAGES["staticfiles"]["BACKEND"] = "manifest"\ntry:\n    from .local import *\nexcept ImportError:\n    pass\n',
    'requirements.txt': 'Django\n',
  }

  test('Wagtail layout: production sibling of the dev default, optional local.py missing is fine', async () => {
    const model = await detect(await makeTree(wagtailTree))
    expect(model.settings).toEqual({
      module: 'mysite.settings.production',
      decidedBy: 'production-sibling',
      reason:
        'mysite/wsgi.py defaults to mysite.settings.dev, a development module; preferred its sibling mysite.settings.production',
      manageDefault: 'mysite.settings.dev',
      wsgiDefault: 'mysite.settings.dev',
      files: ['mysite/settings/base.py', 'mysite/settings/production.py'],
      definesAll: false,
    })
    expect(model.summary).toMatchObject({ debug: 'false', staticfilesBackend: 'manifest', secretKey: 'missing' })
    expect(model.findings.map((f) => f.code)).toEqual([
      'secret-key-missing',
      'allowed-hosts-empty',
      'python-version-missing',
      'settings-dev-default-overridden',
    ])
  })

  test('an existing optional local.py joins the chain (conditionally) and overrides', async () => {
    const model = await detect(await makeTree({ ...wagtailTree, 'mysite/settings/local.py': 'SECRET_KEY = "from-local"\n' }))
    expect(model.settings.files).toEqual(['mysite/settings/base.py', 'mysite/settings/local.py', 'mysite/settings/production.py'])
    // The value itself is redacted (the model is printed); where it came from is not.
    expect(model.facts.SECRET_KEY).toEqual({
      value: { kind: 'literal', value: '<redacted>' },
      at: { file: 'mysite/settings/local.py', line: 1 },
      conditional: true,
    })
    expect(model.summary.secretKey).toBe('literal')
  })

  test('input and environment override the defaults', async () => {
    const root = await makeTree(wagtailTree)
    expect((await detect(root, { settingsModule: 'mysite.settings.dev' })).settings).toMatchObject({
      module: 'mysite.settings.dev',
      decidedBy: 'input',
    })
    const fromEnv = await detect(root, { environment: { DJANGO_SETTINGS_MODULE: 'mysite.settings.dev' } })
    expect(fromEnv.settings).toMatchObject({
      module: 'mysite.settings.dev',
      decidedBy: 'environment',
      files: ['mysite/settings/base.py', 'mysite/settings/dev.py'],
    })
    expect(fromEnv.summary.debug).toBe('true')
    expect((await error(detect(root, { settingsModule: 'mysite.settings.nope' }))).input).toBe('settings-module')
  })

  test('absolute star imports, imports inside try/if, and a cycle between settings files', async () => {
    const model = await detect(
      await makeTree({
        'manage.py': managePy('proj.settings.prod'),
        'proj/__init__.py': '',
        'proj/settings/__init__.py': '',
        'proj/settings/common.py':
          'from proj.settings.prod import *\nINSTALLED_APPS = ["django.contrib.staticfiles"]\nSTATIC_ROOT = "/static"\n',
        'proj/settings/extra.py': 'MIDDLEWARE = ["extra"]\n',
        'proj/settings/prod.py':
          'from proj.settings.common import *\nif True:\n    from .extra import *\ntry:\n    from proj.settings.optional import *\nexcept ImportError:\n    pass\nSECRET_KEY = os.environ["SECRET_KEY"]\n',
      }),
    )
    expect(model.settings.files).toEqual(['proj/settings/common.py', 'proj/settings/extra.py', 'proj/settings/prod.py'])
    expect(model.facts.MIDDLEWARE).toMatchObject({ conditional: true, at: { file: 'proj/settings/extra.py', line: 1 } })
    expect(model.facts.INSTALLED_APPS?.conditional).toBe(false)
    expect(model.summary.secretKey).toBe('env')
  })

  test('an unconditional star import of a missing local module is a warning; installed packages are ignored', async () => {
    const model = await detect(
      await makeTree(
        flatProject(
          'from django.conf.global_settings import *\nfrom mysite.base_settings import *\nfrom .missing import *\nDEBUG = False\n',
        ),
      ),
    )
    expect(
      model.findings.filter((f) => f.code === 'settings-import-unresolved').map((f) => [f.file, f.line, f.message.split(',')[0]]),
    ).toEqual([
      ['mysite/settings.py', 2, 'mysite/settings.py star-imports mysite.base_settings'],
      ['mysite/settings.py', 3, 'mysite/settings.py star-imports mysite.missing'],
    ])
  })

  test('sys.path additions in manage.py are import roots (src layouts, cookiecutter apps folder)', async () => {
    const model = await detect(
      await makeTree({
        'manage.py':
          'import os, sys\nfrom pathlib import Path\nsys.path.insert(0, str(Path(__file__).parent / "src"))\nos.environ.setdefault("DJANGO_SETTINGS_MODULE", "mysite.settings")\n',
        'src/mysite/__init__.py': '',
        'src/mysite/settings.py': 'DEBUG = False\n',
        'src/mysite/wsgi.py': wsgiPy('mysite.settings'),
      }),
    )
    expect(model.settings).toMatchObject({ module: 'mysite.settings', files: ['src/mysite/settings.py'] })
    expect(model.wsgiApplication).toBe('mysite.wsgi.application')
  })

  test('sys.path additions climbing with ".." or .parent are resolved inside the repository', async () => {
    const model = await detect(
      await makeTree({
        'web/manage.py':
          'import os, sys\nfrom pathlib import Path\nsys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))\nsys.path.append(str(Path(__file__).resolve().parent.parent / "apps"))\nos.environ.setdefault("DJANGO_SETTINGS_MODULE", "core.settings")\n',
        'apps/core/__init__.py': '',
        'apps/core/settings.py': 'DEBUG = False\n',
        'lib/README': '',
      }),
    )
    expect(model.settings).toMatchObject({ module: 'core.settings', files: ['apps/core/settings.py'] })
  })

  test('no default anywhere: the only settings.py in the tree', async () => {
    const model = await detect(
      await makeTree({
        'manage.py': 'import django\n',
        'site_cfg/settings.py': 'DEBUG = False\n',
        'site_cfg/wsgi.py': 'application = None\n',
      }),
    )
    expect(model.settings).toMatchObject({ module: 'site_cfg.settings', decidedBy: 'only-settings-file' })
  })

  test('django-configurations and split_settings become findings with guidance, not crashes', async () => {
    const model = await detect(
      await makeTree(
        flatProject(
          'from configurations import Configuration\nfrom split_settings.tools import include\ninclude("components/*.py")\nclass Prod(Configuration):\n    DEBUG = False\n',
        ),
      ),
    )
    const unsupported = model.findings.filter((f) => f.code === 'settings-unsupported-pattern')
    expect(unsupported.map((f) => [f.line, f.message.slice(0, 30)])).toEqual([
      [3, 'include("components/*.py"): sp'],
      [4, 'class Prod: django-configurati'],
    ])
  })

  test('__all__ in a settings module is reported', async () => {
    const model = await detect(await makeTree(flatProject('__all__ = ["DEBUG"]\nDEBUG = False\n')))
    expect(model.settings.definesAll).toBe(true)
    expect(model.findings.map((f) => f.code)).toContain('settings-defines-all')
  })
})

describe('syntax errors', () => {
  test("a settings file that does not parse: ActionError with the location and Python's message", async () => {
    const root = await makeTree(flatProject('DEBUG = False\nif DEBUG\n    pass\n'))
    const failure = await error(detect(root))
    expect(failure.location).toEqual({ file: 'mysite/settings.py', line: 2, column: 9 })
    expect(failure.message).toBe(
      "Python cannot parse the settings file mysite/settings.py at line 2, column 9: SyntaxError: expected ':'\n    if DEBUG",
    )
    expect(failure.hint).toMatch(/python -m py_compile mysite\/settings.py/)
  })

  test('in a base module reached through the chain, and in manage.py', async () => {
    const chain = await makeTree(flatProject('from .base import *\n', { 'mysite/base.py': 'X = (\n' }))
    expect((await error(detect(chain))).location).toMatchObject({ file: 'mysite/base.py', line: 1 })
    const manage = await makeTree({ ...flatProject('DEBUG = False\n'), 'manage.py': 'def main(:\n' })
    expect((await error(detect(manage))).message).toMatch(/^Python cannot parse manage.py manage.py at line 1/)
  })
})

describe('the model as data', () => {
  test('comments and strings that look like settings do not become facts', async () => {
    const settings = `"""STATIC_ROOT = 'x'"""\n# DEBUG = True\nDEBUG = False  # DEBUG = True\nHELP = "ALLOWED_HOSTS = ['*']"\n`
    const model = await detect(await makeTree(flatProject(settings)))
    expect(model.facts.DEBUG?.value).toEqual({ kind: 'literal', value: false })
    expect(model.facts.STATIC_ROOT).toBeUndefined()
    expect(model.facts.ALLOWED_HOSTS).toBeUndefined()
  })

  test('secrets are redacted: SECRET_KEY, its fallback, database passwords', async () => {
    const settings = [
      'import os',
      'SECRET_KEY = os.environ.get("SECRET_KEY", "fallback-secret")',
      'DATABASES = {"default": {"ENGINE": "django.db.backends.postgresql", "PASSWORD": "hunter2", "HOST": "db"}}',
      'DATABASES["default"]["PASSWORD"] = "hunter3"',
      '',
    ].join('\n')
    const model = await detect(await makeTree(flatProject(settings)))
    const json = JSON.stringify(model)
    for (const secret of ['fallback-secret', 'hunter2', 'hunter3']) expect(json).not.toContain(secret)
    expect(model.facts.SECRET_KEY?.value).toEqual({ kind: 'env', variable: 'SECRET_KEY', default: '<redacted>' })
    expect(model.facts.DATABASES?.value).toEqual({
      kind: 'literal',
      value: { default: { ENGINE: 'django.db.backends.postgresql', PASSWORD: '<redacted>', HOST: 'db' } },
    })
    expect(model.facts.DATABASES?.updates?.[0]?.value).toBe('<redacted>')
    expect(model.summary.databaseEngine).toBe('django.db.backends.postgresql')
    expect(model.findings.map((f) => f.code)).toContain('secret-key-insecure-default')
  })

  test('no absolute paths, and the same tree gives the same JSON', async () => {
    const root = await makeTree({
      ...flatProject(
        'import os\nSECRET_KEY = os.environ["SECRET_KEY"]\nINSTALLED_APPS = ["whitenoise.runserver_nostatic", "django.contrib.staticfiles"]\nSTATIC_ROOT = "/srv/static"\n',
      ),
      Procfile: 'web: gunicorn mysite.wsgi\n',
      'requirements.txt': 'gunicorn\nDjango\n',
    })
    const first = JSON.stringify(await detect(root))
    expect(first).not.toContain(root)
    expect(JSON.stringify(await detect(root))).toBe(first)
  })

  test('features from exact dependency names and INSTALLED_APPS; undeclared apps are reported', async () => {
    const model = await detect(
      await makeTree(
        flatProject(
          'INSTALLED_APPS = ["wagtail.admin", "bakery", "storages", "django.contrib.staticfiles"]\nMIDDLEWARE = ["whitenoise.middleware.WhiteNoiseMiddleware"]\nSTATIC_ROOT = "s"\nDATABASES = {"default": {"ENGINE": "django.db.backends.postgresql"}}\n',
          {
            'requirements.txt':
              'Django\ndjango-redis\ndjangorestframework\nwagtail>=6\npsycopg2-binary\nuvicorn[standard]\n# gunicorn\n',
          },
        ),
      ),
    )
    expect(model.features).toEqual({
      wagtail: true,
      djangoBakery: true,
      wagtailBakery: false,
      djangoDistill: false,
      whitenoise: true,
      gunicorn: false,
      uvicorn: true,
      psycopg: false,
      psycopg2: true,
      mysqlclient: false,
      djDatabaseUrl: false,
      djangoEnviron: false,
      djangoStorages: true,
    })
    expect(model.findings.filter((f) => f.code === 'installed-app-not-declared').map((f) => f.message.split(',')[0])).toEqual([
      'The settings use bakery',
      'The settings use storages',
      'The settings use whitenoise.middleware.WhiteNoiseMiddleware',
    ])
    expect(model.findings.map((f) => f.code)).not.toContain('database-driver-not-declared')
  })

  test('PostgreSQL without a driver is reported', async () => {
    const model = await detect(
      await makeTree(flatProject('DATABASES = {"default": {"ENGINE": "django.db.backends.postgresql"}}\n')),
    )
    expect(model.findings.map((f) => f.code)).toContain('database-driver-not-declared')
  })

  test('existing Dockerfile, .dockerignore, Procfile (processes parsed) and app.json, nearest first', async () => {
    const root = await makeTree({
      ...prefix('app', flatProject('DEBUG = False\n')),
      'app/Dockerfile': 'FROM python:3.12-slim\n',
      Dockerfile: 'FROM scratch\n',
      '.dockerignore': '.git\n',
      'app/Procfile':
        '# processes\nweb: python manage.py migrate && gunicorn mysite.wsgi\nrelease:python manage.py migrate --noinput\n\n',
      'app.json': '{}',
      'netlify.toml': '',
    })
    const model = await detect(root)
    expect(model.existing).toEqual({
      dockerfile: 'app/Dockerfile',
      dockerignore: '.dockerignore',
      procfile: {
        file: 'app/Procfile',
        processes: { release: 'python manage.py migrate --noinput', web: 'python manage.py migrate && gunicorn mysite.wsgi' },
      },
      appJson: 'app.json',
      netlifyToml: 'netlify.toml',
    })
    expect(model.findings.find((f) => f.code === 'procfile-web-migrates')).toMatchObject({
      level: 'warning',
      file: 'app/Procfile',
    })
  })

  test('WSGI: WSGI_APPLICATION wins; otherwise the wsgi.py next to the settings; a missing one is reported', async () => {
    const explicit = await detect(await makeTree(flatProject('WSGI_APPLICATION = "mysite.wsgi.application"\n')))
    expect(explicit.wsgiApplication).toBe('mysite.wsgi.application')
    const { 'mysite/wsgi.py': _wsgi, ...noWsgi } = flatProject('DEBUG = False\n')
    const missing = await detect(await makeTree(noWsgi))
    expect(missing.wsgiApplication).toBeUndefined()
    expect(missing.findings.map((f) => f.code)).toContain('wsgi-not-found')
    const root = await makeTree({
      ...flatProject('DEBUG = False\n'),
      'mysite/asgi.py': 'application = get_asgi_application()\n',
      'tools/wsgi.py': 'application = None\n',
    })
    const several = await detect(root)
    expect(several).toMatchObject({ wsgiApplication: 'mysite.wsgi.application', asgiApplication: 'mysite.asgi.application' })
    expect(several.findings.map((f) => f.code)).toContain('several-wsgi-modules')
  })

  test('a file written with CRLF line endings and a BOM parses the same', async () => {
    const root = await makeTree(flatProject('DEBUG = False\n'))
    await writeFile(path.join(root, 'mysite/settings.py'), '\ufeffDEBUG = False\r\nSTATIC_ROOT = "x"\r\n')
    expect((await detect(root)).facts.STATIC_ROOT?.at).toEqual({ file: 'mysite/settings.py', line: 2 })
  })
})
