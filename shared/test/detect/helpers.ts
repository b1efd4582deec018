import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { onTestFinished } from 'vitest'
import { detectProject } from '../../src/detect/detect.js'
import type { DetectOptions, ProjectModel } from '../../src/detect/model.js'

/** Debian's Python: the one the test machines have (CONTRIBUTING.md). */
export const PYTHON = '/usr/bin/python3'

/** Strip the common indentation of a template literal, so inline Python reads naturally in tests. */
export function dedent(text: string): string {
  const lines = text.replace(/^\n/, '').split('\n')
  const indents = lines.filter((line) => line.trim() !== '').map((line) => /^ */.exec(line)?.[0].length ?? 0)
  const common = Math.min(...indents)
  return lines.map((line) => line.slice(common)).join('\n')
}

/** A temporary directory with these files (path → content, dedented), removed after the test. */
export async function makeTree(files: Record<string, string>): Promise<string> {
  const root = await mkdtemp(path.join(tmpdir(), 'detect-'))
  onTestFinished(() => rm(root, { recursive: true, force: true }))
  for (const [file, content] of Object.entries(files)) {
    const target = path.join(root, file)
    await mkdir(path.dirname(target), { recursive: true })
    await writeFile(target, dedent(content))
  }
  return root
}

export function detect(root: string, options: Partial<DetectOptions> = {}): Promise<ProjectModel> {
  return detectProject({ repoRoot: root, python: PYTHON, ...options })
}

/** The manage.py `django-admin startproject` writes, defaulting to `module`. */
export function managePy(module: string): string {
  return dedent(`
    #!/usr/bin/env python
    import os
    import sys


    def main():
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "${module}")
        from django.core.management import execute_from_command_line
        execute_from_command_line(sys.argv)


    if __name__ == "__main__":
        main()
  `)
}

export function wsgiPy(module: string): string {
  return dedent(`
    import os
    from django.core.wsgi import get_wsgi_application
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "${module}")
    application = get_wsgi_application()
  `)
}

/** A minimal flat project: manage.py, mysite/{settings,wsgi}.py and whatever `extra` adds. */
export function flatProject(settings: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    'manage.py': managePy('mysite.settings'),
    'mysite/__init__.py': '',
    'mysite/wsgi.py': wsgiPy('mysite.settings'),
    'mysite/settings.py': settings,
    'requirements.txt': 'Django>=4.2\n',
    ...extra,
  }
}
