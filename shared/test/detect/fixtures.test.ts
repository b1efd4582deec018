import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, test } from 'vitest'
import { ActionError } from '../../src/errors.js'
import { detectProject } from '../../src/detect/detect.js'
import { spawnRunner, type CommandRunner } from '../../src/runtime/command.js'
import { detect, PYTHON } from './helpers.js'

/**
 * The real Django projects in test/fixtures, each against a hand-reviewed expected model in
 * expected/<fixture>.json. Those files are the specification: when one changes, review the diff
 * as a change of behaviour, not as a snapshot to refresh.
 */

const here = path.dirname(fileURLToPath(import.meta.url))
const fixtures = path.resolve(here, '../../../test/fixtures')

const MODELLED = ['flat', 'split-settings', 'nested-src', 'poetry', 'pipfile', 'uv', 'with-dockerfile', 'example-site']

describe('fixture models', () => {
  for (const name of MODELLED) {
    test(name, async () => {
      const expected: unknown = JSON.parse(await readFile(path.join(here, 'expected', `${name}.json`), 'utf8'))
      const model = await detect(path.join(fixtures, name))
      // Through JSON, as consumers see it: no undefined fields, nothing that does not serialise.
      expect(JSON.parse(JSON.stringify(model))).toEqual(expected)
    })
  }
})

test('a settings package (base, dev, production) is read with a single Python process', async () => {
  const calls: string[][] = []
  const runner: CommandRunner = {
    run: (command, args, options) => {
      calls.push([command, ...args])
      return spawnRunner.run(command, args, options)
    },
  }
  await detectProject({ repoRoot: path.join(fixtures, 'uv'), python: PYTHON }, runner)
  expect(calls).toHaveLength(1)
})

describe('fixtures that stop detection', () => {
  test('syntax-error: an ActionError pointing at the line, quoting Python', async () => {
    const error = await detect(path.join(fixtures, 'syntax-error')).catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(ActionError)
    const failure = error as ActionError
    expect(failure.location).toEqual({ file: 'brokensite/settings.py', line: 31, column: 9 })
    expect(failure.message).toBe(
      "Python cannot parse the settings file brokensite/settings.py at line 31, column 9: SyntaxError: expected ':'\n    if DEBUG",
    )
    expect(failure.hint).toBe(
      'Fix the error (`python -m py_compile brokensite/settings.py` shows it locally); the project cannot start with it, so detection stops here.',
    )
  })

  test('not-django: no manage.py, even with a settings.py lying around', async () => {
    const error = await detect(path.join(fixtures, 'not-django')).catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(ActionError)
    const failure = error as ActionError
    expect(failure.input).toBe('working-directory')
    expect(failure.describe()).toBe(
      [
        "Input 'working-directory': No manage.py found in the repository root (working-directory is not set, so the search started at the repository root), searching 4 levels deep and skipping virtualenvs, hidden directories and node_modules, __pycache__, site-packages, build, dist, staticfiles. This does not look like a Django project.",
        'Set working-directory to the folder that contains manage.py (for example "backend"), or commit manage.py if it is missing (`django-admin startproject` creates it).',
      ].join('\n'),
    )
  })
})
