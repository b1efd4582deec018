import { ActionError } from '@django-deploy/shared/errors'
import type { DjangoFacts, PreparedDjango } from './django.js'

/**
 * The generators a project may already use, run the way CI needs them:
 *
 * - django-bakery / wagtail-bakery: `manage.py build --build-dir DIR` (the build wipes DIR;
 *   BUILD_DIR is set too, for projects whose views read it).
 * - django-distill 3.x: `manage.py distill-local DIR --force --collectstatic` — without `--force`
 *   it asks on stdin whether to wipe DIR, which hangs a CI job.
 * - django-distill 4.x (a rewrite with one `distill` command): `manage.py distill generate
 *   --output-directory DIR --force --collectstatic`.
 *
 * `auto` picks bakery when `bakery`/`wagtailbakery` is in INSTALLED_APPS, then distill when
 * `django_distill` is, else the crawler (which needs nothing from the project).
 */
export type GeneratorName = 'crawl' | 'bakery' | 'distill' | 'command'

export function chooseGenerator(facts: DjangoFacts): { name: GeneratorName; reason: string } {
  const apps = new Set(facts.installedApps)
  if (apps.has('wagtailbakery') && facts.wagtailBakery) return { name: 'bakery', reason: 'wagtail-bakery is in INSTALLED_APPS' }
  if (apps.has('bakery') && facts.bakery) return { name: 'bakery', reason: 'django-bakery is in INSTALLED_APPS' }
  if (apps.has('django_distill') && facts.distill)
    return { name: 'distill', reason: `django-distill ${facts.distillVersion ?? ''} is in INSTALLED_APPS`.replace('  ', ' ') }
  return { name: 'crawl', reason: 'neither django-bakery nor django-distill is installed' }
}

export function bakeryCommand(outputDir: string): string[] {
  return ['build', '--build-dir', outputDir]
}

/** 3.x or 4.x, from the installed version; when it is unknown, from the commands manage.py offers. */
export async function distillCommand(django: Pick<PreparedDjango, 'facts' | 'manage'>, outputDir: string): Promise<string[]> {
  let major = Number.parseInt(django.facts.distillVersion ?? '', 10)
  if (!Number.isFinite(major)) {
    const commands = await django.manage(['help', '--commands'], 'manage.py help --commands')
    const names = new Set(commands.split(/\s+/))
    if (names.has('distill')) major = 4
    else if (names.has('distill-local')) major = 3
    else
      throw new ActionError('django-distill is installed but manage.py offers neither "distill" nor "distill-local".', {
        input: 'generator',
        hint: "Add 'django_distill' to INSTALLED_APPS, or use generator: crawl.",
      })
  }
  return distillArgs(major, outputDir)
}

export function distillArgs(major: number, outputDir: string): string[] {
  return major >= 4
    ? ['distill', 'generate', '--output-directory', outputDir, '--force', '--collectstatic']
    : ['distill-local', outputDir, '--force', '--collectstatic']
}
