import { existsSync } from 'node:fs'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { gzipSync } from 'node:zlib'
import { describe, expect, it } from 'vitest'
import { distillArgs } from '../../action-static/src/generate/adapters.js'
import { checkOutput } from '../../action-static/src/generate/checks.js'
import { redirectsFromStubs } from '../../action-static/src/generate/output.js'
import { copyFixture, makeTempDir } from '../support/index.js'
import { harness } from './static-support.js'

/**
 * django-bakery and django-distill cannot be installed here (no PyPI), so the adapters are run
 * against small *fake* packages written below, which implement only the documented command-line
 * surface (their documentation): the options, bakery's wipe-and-write, distill 3.x's interactive prompt
 * without --force, distill 4.x's `distill generate` sub-command, and each package's version
 * attribute. The real packages were NOT run. What is tested: that auto-detection picks the right
 * generator, the exact command lines (non-interactive), and the checks on their output.
 */
const FAKE_BAKERY = {
  'bakery/__init__.py': '__version__ = "0.14.0"\n',
  'bakery/management/__init__.py': '',
  'bakery/management/commands/__init__.py': '',
  'bakery/management/commands/build.py': `
import gzip, os, shutil, sys
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.test import RequestFactory
from django.urls import resolve

class Command(BaseCommand):
    help = "Fake django-bakery build: the documented options only."

    def add_arguments(self, parser):
        parser.add_argument("view_list", nargs="*")
        parser.add_argument("--build-dir")
        parser.add_argument("--keep-build-dir", action="store_true")
        parser.add_argument("--skip-static", action="store_true")
        parser.add_argument("--skip-media", action="store_true")
        parser.add_argument("--pooling", action="store_true")

    def handle(self, *args, **options):
        build_dir = options["build_dir"] or getattr(settings, "BUILD_DIR", None)
        if not build_dir:
            raise CommandError("BUILD_DIR is not set")
        with open(os.path.join(os.path.dirname(__file__), "..", "..", "..", "bakery-calls.txt"), "a") as log:
            log.write(" ".join(sys.argv[1:]) + "\\n")
        if not options["keep_build_dir"] and os.path.exists(build_dir):
            shutil.rmtree(build_dir)
        os.makedirs(build_dir, exist_ok=True)
        if not options["skip_static"]:
            call_command("collectstatic", interactive=False, verbosity=0)
            shutil.copytree(settings.STATIC_ROOT, os.path.join(build_dir, "static"), dirs_exist_ok=True)
        # Like bakery: a RequestFactory request, the view called directly, the status never checked.
        for path in getattr(settings, "FAKE_BAKERY_PATHS", ["/"]):
            request = RequestFactory().get(path)
            match = resolve(path)
            content = match.func(request, *match.args, **match.kwargs).content
            target = os.path.join(build_dir, path.lstrip("/"), "index.html")
            os.makedirs(os.path.dirname(target), exist_ok=True)
            if getattr(settings, "BAKERY_GZIP", False):
                content = gzip.compress(content)
            with open(target, "wb") as out:
                out.write(content)
        for source, destination in getattr(settings, "FAKE_BAKERY_REDIRECTS", {}).items():
            target = os.path.join(build_dir, source.lstrip("/"), "index.html")
            os.makedirs(os.path.dirname(target), exist_ok=True)
            with open(target, "w") as out:
                out.write('<html><head><meta http-equiv="refresh" content="0; url=%s"></head></html>' % destination)
`,
}

function fakeDistill(version: '3.2.7' | '4.0.6'): Record<string, string> {
  const render = `
import os, shutil, sys
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

def render_all(output, force, collectstatic):
    with open(os.path.join(os.path.dirname(__file__), "..", "distill-calls.txt"), "a") as log:
        log.write(" ".join(sys.argv[1:]) + "\\n")
    if os.path.exists(output) and os.listdir(output) and not force:
        # The real 3.x asks before wiping; in CI stdin is closed and the build dies.
        answer = input("Output directory is not empty, delete it? (yes/no) ")
        if answer != "yes":
            raise CommandError("Aborting")
    if os.path.exists(output):
        shutil.rmtree(output)
    os.makedirs(output)
    settings.ALLOWED_HOSTS = ["*"]  # what the real renderer does
    client = Client()
    for path in getattr(settings, "FAKE_DISTILL_PATHS", ["/"]):
        response = client.get(path)
        if response.status_code != 200:
            raise CommandError("%s returned %s" % (path, response.status_code))
        target = os.path.join(output, path.lstrip("/"), "index.html")
        os.makedirs(os.path.dirname(target), exist_ok=True)
        with open(target, "wb") as out:
            out.write(response.content)
    if collectstatic:
        call_command("collectstatic", interactive=False, verbosity=0)
        shutil.copytree(settings.STATIC_ROOT, os.path.join(output, "static"), dirs_exist_ok=True)
`
  const files: Record<string, string> = {
    'django_distill/__init__.py': `__version__ = "${version}"\n`,
    'django_distill/renderer.py': render,
    'django_distill/management/__init__.py': '',
    'django_distill/management/commands/__init__.py': '',
  }
  if (version.startsWith('3')) {
    files['django_distill/management/commands/distill-local.py'] = `
from django.core.management.base import BaseCommand
from django_distill.renderer import render_all

class Command(BaseCommand):
    def add_arguments(self, parser):
        parser.add_argument("output_dir", nargs="?")
        parser.add_argument("--collectstatic", action="store_true")
        parser.add_argument("--quiet", action="store_true")
        parser.add_argument("--force", action="store_true")
        parser.add_argument("--exclude-staticfiles", action="store_true")
        parser.add_argument("--parallel-render", type=int, default=1)
        parser.add_argument("--generate-redirects", action="store_true")

    def handle(self, *args, **options):
        render_all(options["output_dir"], options["force"], options["collectstatic"])
`
  } else {
    files['django_distill/management/commands/distill.py'] = `
from django.core.management.base import BaseCommand, CommandError
from django_distill.renderer import render_all

class Command(BaseCommand):
    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="subcommand", required=True)
        generate = sub.add_parser("generate")
        generate.add_argument("--output-directory", required=True)
        generate.add_argument("--collectstatic", action="store_true")
        generate.add_argument("--force", action="store_true")
        generate.add_argument("--quiet", action="store_true")
        generate.add_argument("--debug", action="store_true")
        generate.add_argument("--parallel-render", type=int, default=1)
        sub.add_parser("list-static-urls")

    def handle(self, *args, **options):
        if options["subcommand"] != "generate":
            raise CommandError("only generate is faked")
        render_all(options["output_directory"], options["force"], options["collectstatic"])
`
  }
  return files
}

const settings = (app: string, extra: string): string =>
  `from .settings import *  # noqa\nINSTALLED_APPS = INSTALLED_APPS + ['${app}']\n${extra}\n`

async function project(files: Record<string, string>): Promise<string> {
  return copyFixture('flat', { files })
}

describe('adapters (fake packages; the real django-bakery / django-distill were not run)', () => {
  it('auto picks django-bakery, runs `build --build-dir`, and turns its redirect stubs into forced _redirects rules', async () => {
    const workspace = await project({
      ...FAKE_BAKERY,
      'mysite/settings_static.py': settings('bakery', "FAKE_BAKERY_REDIRECTS = {'/old/': '/'}"),
    })
    const h = harness({ workspace, inputs: { 'settings-module': 'mysite.settings_static', provider: 'directory' } })
    const result = await h.run()
    expect(result.generated).toMatchObject({ generator: 'bakery', reason: 'django-bakery is in INSTALLED_APPS' })
    expect((await readFile(path.join(workspace, 'bakery-calls.txt'), 'utf8')).trim()).toBe(
      `build --build-dir ${path.join(workspace, '_site')}`,
    )
    expect(await readFile(path.join(workspace, '_site/index.html'), 'utf8')).toContain('Hello from mysite')
    expect(await readFile(path.join(workspace, '_site/_redirects'), 'utf8')).toContain('/old/  /  301!')
    expect(h.log.text()).toMatch(/warning: The site has no 404\.html/)
    expect(existsSync(path.join(workspace, '_site/.django-deploy-static'))).toBe(true) // bakery wiped it; written again
  })

  it('fails a bakery build whose pages were gzipped in place (BAKERY_GZIP)', async () => {
    const workspace = await project({ ...FAKE_BAKERY, 'mysite/settings_static.py': settings('bakery', 'BAKERY_GZIP = True') })
    const h = harness({ workspace, inputs: { 'settings-module': 'mysite.settings_static', provider: 'directory' } })
    await expect(h.run()).rejects.toThrow(/index\.html is gzip-compressed under its plain name/)
    expect(h.summary.join('')).toContain('failed')
  })

  it('reports a non-200 render that bakery wrote as a page (a Bad Request page)', async () => {
    // ALLOWED_HOSTS without "testserver": RequestFactory's host is refused, and the fake (like bakery) writes whatever renders.
    const workspace = await project({
      ...FAKE_BAKERY,
      'mysite/settings_static.py': settings('bakery', "FAKE_BAKERY_PATHS = ['/', '/bad/']"),
      'mysite/urls.py':
        "from django.http import HttpResponseBadRequest\nfrom django.urls import path\nfrom home import views\nurlpatterns = [path('', views.index), path('bad/', lambda request: HttpResponseBadRequest('<h1>Bad Request (400)</h1>'))]\n",
    })
    const h = harness({ workspace, inputs: { 'settings-module': 'mysite.settings_static', provider: 'directory' } })
    await expect(h.run()).rejects.toThrow(/bad\/index\.html is Django's "Bad Request \(400\)" page/)
  })

  for (const version of ['3.2.7', '4.0.6'] as const) {
    it(`auto picks django-distill ${version} and runs it without any prompt`, async () => {
      const workspace = await project({ ...fakeDistill(version), 'mysite/settings_static.py': settings('django_distill', '') })
      // A non-empty output directory written by an earlier run: 3.x would prompt here without --force.
      await mkdir(path.join(workspace, '_site'), { recursive: true })
      await writeFile(path.join(workspace, '_site', '.django-deploy-static'), '')
      await writeFile(path.join(workspace, '_site', 'stale.html'), 'old')
      const h = harness({
        workspace,
        inputs: { 'settings-module': 'mysite.settings_static', provider: 'directory', 'fail-on-broken-links': 'true' },
      })
      const result = await h.run()
      expect(result.generated?.generator).toBe('distill')
      const call = (await readFile(path.join(workspace, 'distill-calls.txt'), 'utf8')).trim()
      const output = path.join(workspace, '_site')
      expect(call).toBe(
        version.startsWith('4')
          ? `distill generate --output-directory ${output} --force --collectstatic`
          : `distill-local ${output} --force --collectstatic`,
      )
      expect(await readFile(path.join(output, 'index.html'), 'utf8')).toContain('Hello from mysite')
      expect(existsSync(path.join(output, 'stale.html'))).toBe(false)
    })
  }

  it('knows the flags of each distill major version', () => {
    expect(distillArgs(3, '/out')).toEqual(['distill-local', '/out', '--force', '--collectstatic'])
    expect(distillArgs(4, '/out')).toEqual(['distill', 'generate', '--output-directory', '/out', '--force', '--collectstatic'])
  })

  it('runs build-command with OUTPUT_DIR and the overlay settings for generator: command', async () => {
    const workspace = await project({})
    const h = harness({
      workspace,
      inputs: {
        generator: 'command',
        'build-command': 'echo "<html>$DJANGO_SETTINGS_MODULE</html>" > "$OUTPUT_DIR/index.html"',
        provider: 'directory',
      },
    })
    await h.run()
    expect(await readFile(path.join(workspace, '_site/index.html'), 'utf8')).toContain('django_deploy_static_settings')
  })
})

describe('output checks on generated trees', () => {
  async function tree(files: Record<string, string | Buffer>): Promise<string> {
    const root = await makeTempDir('static-check-')
    for (const [name, content] of Object.entries(files)) {
      await mkdir(path.dirname(path.join(root, name)), { recursive: true })
      await writeFile(path.join(root, name), content)
    }
    return root
  }

  it('finds broken links and assets, resolving pretty URLs, <base>, srcset, CSS and _redirects', async () => {
    const root = await tree({
      'index.html':
        '<base href="/docs/"><a href="intro/">ok</a><a href="missing/">no</a><img srcset="a.png 1x, gone.png 2x"><a href="/moved/">redirected</a><a href="https://elsewhere.example/">off</a><a href="#top">frag</a><a href="mailto:x@y.z">mail</a>',
      'docs/intro/index.html': '<link rel="stylesheet" href="../s.css"><a href="/docs/page">pretty .html</a>',
      'docs/page.html': '<p>page</p>',
      'docs/a.png': 'png',
      'docs/s.css': '@import "t.css"; body { background: url(bg.png) }',
      'docs/t.css': '',
      _redirects: '/moved/  /docs/intro/  301\n',
      '404.html': '<h1>nope</h1>',
    })
    const report = await checkOutput(root)
    expect(report.broken.map((link) => [link.path, link.from])).toEqual([
      ['/docs/bg.png', ['docs/s.css']],
      ['/docs/gone.png', ['index.html']],
      ['/docs/missing/', ['index.html']],
    ])
    expect(report.offsite).toBe(1)
    expect(report.missing404).toBe(false)
  })

  it('flags in-place gzip, error pages and a missing 404.html', async () => {
    const root = await tree({
      'index.html': gzipSync('<html>hi</html>'),
      'oops/index.html': '<html><body><h1>Server Error (500)</h1></body></html>',
    })
    const report = await checkOutput(root)
    expect(report.gzipped).toEqual(['index.html'])
    expect(report.errorPages).toEqual([{ file: 'oops/index.html', what: 'Django\'s "Server Error (500)" page' }])
    expect(report.missing404).toBe(true)
  })

  it('reads meta-refresh stubs as redirects, but not pages that merely refresh', async () => {
    const root = await tree({
      'old/index.html': '<html><head><meta http-equiv="refresh" content="0; url=/new/"></head><body>Moved.</body></html>',
      'live/index.html': `<html><head><meta http-equiv="refresh" content="60"></head><body>${'Scores. '.repeat(100)}</body></html>`,
    })
    expect(await redirectsFromStubs(root)).toEqual([{ from: '/old/', to: '/new/', status: 301 }])
  })
})

describe('broken links on the example site', () => {
  it('fails with every broken link and the page it is on when fail-on-broken-links is on', async () => {
    const workspace = await copyFixture('example-site')
    process.env.EXAMPLE_BROKEN_LINK = '1'
    try {
      const h = harness({ workspace, inputs: { provider: 'directory' } })
      const error = await h.run().catch((caught: unknown) => caught)
      expect(error).toMatchObject({
        input: 'fail-on-broken-links',
        message: '1 broken link: /blog/this-post-does-not-exist/ (404) is linked from index.html but is not in the site.',
      })
      expect(h.summary.join('')).not.toContain('listed above')
      expect(h.log.text()).toMatch(
        /error: \/blog\/this-post-does-not-exist\/ \(404\) is linked from index\.html but is not in the site/,
      )
      expect(h.summary.join('')).toContain('failed')
    } finally {
      delete process.env.EXAMPLE_BROKEN_LINK
    }
  }, 180_000)
})
