import path from 'node:path'
import { describe, expect, test } from 'vitest'
import {
  inspectPythonFiles,
  isParseError,
  type InspectResult,
  type ParsedPythonFile,
  type SettingsEvent,
} from '../../src/detect/python-oracle.js'
import { spawnRunner, type CommandRunner } from '../../src/runtime/command.js'
import { ActionError } from '../../src/errors.js'
import { makeTree, PYTHON } from './helpers.js'

/** inspect_settings.py run for real: Python's parser, never execution, never regex. */

async function inspect(source: string): Promise<ParsedPythonFile> {
  const root = await makeTree({ 'settings.py': source })
  const [result] = await inspectPythonFiles(spawnRunner, PYTHON, [path.join(root, 'settings.py')])
  if (!result || isParseError(result)) throw new Error(`unexpected parse error: ${JSON.stringify(result)}`)
  return result
}

function assigned(parsed: ParsedPythonFile, name: string): Extract<SettingsEvent, { type: 'assign' }>[] {
  return parsed.events.filter(
    (event): event is Extract<SettingsEvent, { type: 'assign' }> => event.type === 'assign' && event.name === name,
  )
}

describe('inspect_settings.py', () => {
  test('comments and strings that look like settings are not settings', async () => {
    const parsed = await inspect(`
      """STATIC_ROOT = 'x'"""
      # DEBUG = True
      HELP = "SECRET_KEY = 'abc'"
      DEBUG = False  # DEBUG = True
      notes = '''
      ALLOWED_HOSTS = ["*"]
      '''
    `)
    expect(parsed.events.map((event) => (event.type === 'assign' ? event.name : event.type))).toEqual(['HELP', 'DEBUG', 'notes'])
    expect(assigned(parsed, 'DEBUG')[0]).toMatchObject({ value: { kind: 'literal', value: false }, line: 4, conditional: false })
  })

  test('literals, containers and placeholders for what is not literal', async () => {
    const parsed = await inspect(`
      from pathlib import Path
      BASE_DIR = Path(__file__).resolve().parent.parent
      DATABASES = {
          "default": {
              "ENGINE": "django.db.backends.sqlite3",
              "NAME": BASE_DIR / "db.sqlite3",
              "PORT": -1,
          }
      }
      MIDDLEWARE = (
          "a",
          "b",
      )
      URL = f"sqlite:///{BASE_DIR}/db"
      NOTHING = None
    `)
    expect(assigned(parsed, 'BASE_DIR')[0]?.value).toEqual({
      kind: 'expression',
      source: 'Path(__file__).resolve().parent.parent',
    })
    expect(assigned(parsed, 'DATABASES')[0]?.value).toEqual({
      kind: 'literal',
      value: { default: { ENGINE: 'django.db.backends.sqlite3', NAME: { $expr: 'BASE_DIR / "db.sqlite3"' }, PORT: -1 } },
    })
    expect(assigned(parsed, 'MIDDLEWARE')[0]?.value).toEqual({ kind: 'literal', value: ['a', 'b'] })
    expect(assigned(parsed, 'URL')[0]?.value).toEqual({ kind: 'expression', source: 'f"sqlite:///{BASE_DIR}/db"' })
    expect(assigned(parsed, 'NOTHING')[0]?.value).toEqual({ kind: 'literal', value: null })
  })

  test('environment reads: os.environ, os.getenv, django-environ, decouple, dj-database-url', async () => {
    const parsed = await inspect(`
      import os
      from os import getenv
      import environ
      import dj_database_url
      from decouple import config, Csv
      env = environ.Env()
      A = os.environ["A"]
      B = os.environ.get("B", "b-default")
      C = getenv("C")
      D = env("D", default="d")
      E = env.bool("E", False)
      F = env.db()
      G = config("G", default=False, cast=bool)
      H = dj_database_url.config(default="sqlite:///db.sqlite3", conn_max_age=600)
      I = os.environ.get("I", "0") == "1"
      J = {"default": env.db("DATABASE_URL"), "other": dj_database_url.parse(os.environ["OTHER_URL"])}
      K = config("K", cast=Csv())
    `)
    const value = (name: string) => assigned(parsed, name)[0]?.value
    expect(value('A')).toEqual({ kind: 'env', variable: 'A' })
    expect(value('B')).toEqual({ kind: 'env', variable: 'B', default: 'b-default' })
    expect(value('C')).toEqual({ kind: 'env', variable: 'C' })
    expect(value('D')).toEqual({ kind: 'env', variable: 'D', default: 'd' })
    expect(value('E')).toEqual({ kind: 'env', variable: 'E', cast: 'bool', default: false })
    expect(value('F')).toEqual({ kind: 'env', variable: 'DATABASE_URL', cast: 'db' })
    expect(value('G')).toEqual({ kind: 'env', variable: 'G', default: false, cast: 'bool' })
    expect(value('H')).toEqual({ kind: 'env', variable: 'DATABASE_URL', cast: 'db', default: 'sqlite:///db.sqlite3' })
    expect(value('I')).toEqual({ kind: 'env', variable: 'I', default: '0', expression: 'os.environ.get("I", "0") == "1"' })
    expect(value('J')).toEqual({
      kind: 'literal',
      value: {
        default: { $env: 'DATABASE_URL', cast: 'db' },
        other: { $env: 'OTHER_URL', $expr: 'dj_database_url.parse(os.environ["OTHER_URL"])' },
      },
    })
    expect(value('K')).toEqual({ kind: 'env', variable: 'K', cast: 'Csv()' })
  })

  test('an `env` object arriving through a star import is still recognised', async () => {
    const parsed = await inspect(`
      from .base import *
      SECRET_KEY = env("DJANGO_SECRET_KEY")
      HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["example.com"])
    `)
    expect(assigned(parsed, 'SECRET_KEY')[0]?.value).toEqual({ kind: 'env', variable: 'DJANGO_SECRET_KEY' })
    expect(assigned(parsed, 'HOSTS')[0]?.value).toEqual({
      kind: 'env',
      variable: 'DJANGO_ALLOWED_HOSTS',
      cast: 'list',
      default: ['example.com'],
    })
  })

  test('f-string and concatenated placeholders keep their literal prefix', async () => {
    const parsed = await inspect(`
      DATABASES = {"default": {"NAME": f"sqlite:///{BASE_DIR}/db", "URL": "postgres://" + HOST}}
    `)
    expect(assigned(parsed, 'DATABASES')[0]?.value).toEqual({
      kind: 'literal',
      value: {
        default: {
          NAME: { $expr: 'f"sqlite:///{BASE_DIR}/db"', prefix: 'sqlite:///' },
          URL: { $expr: '"postgres://" + HOST', prefix: 'postgres://' },
        },
      },
    })
  })

  test('modifications: append, insert, extend, +=, remove, item assignment, update, self-concatenation', async () => {
    const parsed = await inspect(`
      MIDDLEWARE = ("a",)
      MIDDLEWARE += ("b",)
      MIDDLEWARE.append("c")
      MIDDLEWARE.insert(1, "whitenoise.middleware.WhiteNoiseMiddleware")
      MIDDLEWARE.extend(["d", OTHER])
      MIDDLEWARE.remove("a")
      MIDDLEWARE = MIDDLEWARE + ["e"]
      MIDDLEWARE = ["first", *MIDDLEWARE]
      STORAGES["staticfiles"]["BACKEND"] = "x.Storage"
      STORAGES["default"].update({"OPTIONS": {}})
      TEMPLATES[0]["OPTIONS"]["context_processors"].append("p")
    `)
    const updates = parsed.events.filter((event) => event.type === 'update')
    expect(updates.map((event) => [event.name, event.op, event.keys, event.index, event.value])).toEqual([
      ['MIDDLEWARE', 'extend', undefined, undefined, ['b']],
      ['MIDDLEWARE', 'append', undefined, undefined, 'c'],
      ['MIDDLEWARE', 'insert', undefined, 1, 'whitenoise.middleware.WhiteNoiseMiddleware'],
      ['MIDDLEWARE', 'extend', undefined, undefined, ['d', { $expr: 'OTHER' }]],
      ['MIDDLEWARE', 'remove', undefined, undefined, 'a'],
      ['MIDDLEWARE', 'extend', undefined, undefined, ['e']],
      ['MIDDLEWARE', 'prepend', undefined, undefined, ['first']],
      ['STORAGES', 'set-item', ['staticfiles', 'BACKEND'], undefined, 'x.Storage'],
      ['STORAGES', 'update', ['default'], undefined, { OPTIONS: {} }],
      ['TEMPLATES', 'append', [0, 'OPTIONS', 'context_processors'], undefined, 'p'],
    ])
  })

  test('list concatenations of other names are described for TypeScript to compute', async () => {
    const parsed = await inspect(`
      INSTALLED_APPS = DJANGO_APPS + THIRD_PARTY_APPS + ["local"]
      OTHER = ["x", *BASE_APPS]
    `)
    expect(assigned(parsed, 'INSTALLED_APPS')[0]).toMatchObject({
      value: { kind: 'expression', source: 'DJANGO_APPS + THIRD_PARTY_APPS + ["local"]' },
      concat: [{ name: 'DJANGO_APPS' }, { name: 'THIRD_PARTY_APPS' }, { items: ['local'] }],
    })
    expect(assigned(parsed, 'OTHER')[0]?.concat).toEqual([{ items: ['x'] }, { name: 'BASE_APPS' }])
  })

  test('statements under if/try/for/with are conditional; function bodies are not settings', async () => {
    const parsed = await inspect(`
      A = 1
      if DEBUG:
          B = 2
      try:
          from .local import *
      except ImportError:
          C = 3
      for x in []:
          D = 4
      with open("f") as f:
          E = 5
      def helper():
          F = 6
      class Thing:
          G = 7
    `)
    expect(
      parsed.events.map((event) => [event.type === 'star-import' ? `*${event.module}` : event.name, event.conditional]),
    ).toEqual([
      ['A', false],
      ['B', true],
      ['*local', true],
      ['C', true],
      ['D', true],
      ['E', true],
    ])
    expect(parsed.events[2]).toMatchObject({ type: 'star-import', module: 'local', level: 1, line: 5 })
  })

  test('star imports, relative and absolute', async () => {
    const parsed = await inspect(`
      from .base import *
      from .. import *
      from mysite.settings.common import *
      from django.conf import settings
    `)
    expect(parsed.events).toEqual([
      { type: 'star-import', module: 'base', level: 1, line: 1, conditional: false },
      { type: 'star-import', module: '', level: 2, line: 2, conditional: false },
      { type: 'star-import', module: 'mysite.settings.common', level: 0, line: 3, conditional: false },
    ])
  })

  test('DJANGO_SETTINGS_MODULE defaults anywhere, also inside main(); sys.path additions', async () => {
    const parsed = await inspect(`
      import os, sys
      from pathlib import Path
      def main():
          os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
          os.environ.setdefault("OTHER", "x")
          sys.path.append(str(Path(__file__).parent / "my_app"))
      if __name__ == "__main__":
          main()
    `)
    expect(parsed.settingsDefaults).toEqual([{ line: 4, how: 'setdefault', module: 'config.settings.local' }])
    expect(parsed.sysPath).toEqual([{ line: 6, source: 'str(Path(__file__).parent / "my_app")', strings: ['my_app'] }])
  })

  test('__all__ and patterns that cannot be followed statically', async () => {
    const parsed = await inspect(`
      from configurations import Configuration
      from split_settings.tools import include
      import importlib
      __all__ = ["DEBUG"]
      include("components/base.py", "components/db.py")
      class Prod(Configuration):
          DEBUG = False
      exec(open("extra.py").read())
      importlib.import_module("x")
    `)
    expect(parsed.definesAll).toBe(true)
    expect(parsed.unsupported.map((entry) => [entry.pattern, entry.line])).toEqual([
      ['split-settings', 5],
      ['django-configurations', 6],
      ['exec', 8],
      ['dynamic-import', 9],
    ])
  })

  test("a syntax error comes back with Python's message and position; other files in the batch still parse", async () => {
    const root = await makeTree({ 'bad.py': 'A = 1\nif DEBUG\n    B = 2\n', 'good.py': 'A = 1\n' })
    const results: InspectResult[] = await inspectPythonFiles(spawnRunner, PYTHON, [
      path.join(root, 'bad.py'),
      path.join(root, 'good.py'),
    ])
    expect(results[0]).toEqual({ error: { type: 'SyntaxError', message: "expected ':'", line: 2, column: 9, text: 'if DEBUG' } })
    expect(results[1]).toMatchObject({ events: [{ type: 'assign', name: 'A' }] })
  })

  test('encoding declarations and non-ASCII values', async () => {
    const root = await makeTree({})
    const file = path.join(root, 'latin.py')
    const { writeFile } = await import('node:fs/promises')
    await writeFile(
      file,
      Buffer.concat([Buffer.from('# -*- coding: latin-1 -*-\nNAME = "caf'), Buffer.from([0xe9]), Buffer.from('"\n')]),
    )
    const [result] = await inspectPythonFiles(spawnRunner, PYTHON, [file])
    expect(result).toMatchObject({ events: [{ name: 'NAME', value: { kind: 'literal', value: 'café' } }] })
  })

  test('paths with non-ASCII characters reach Python intact', async () => {
    const root = await makeTree({ 'projét/settings.py': 'DEBUG = False\n' })
    const [result] = await inspectPythonFiles(spawnRunner, PYTHON, [path.join(root, 'projét', 'settings.py')])
    expect(result).toMatchObject({ events: [{ name: 'DEBUG' }] })
  })

  test('a missing interpreter is an ActionError that says how to get Python', async () => {
    const root = await makeTree({ 'a.py': 'A = 1\n' })
    const error = await inspectPythonFiles(spawnRunner, '/nonexistent/python3', [path.join(root, 'a.py')]).catch(
      (caught: unknown) => caught,
    )
    expect(error).toBeInstanceOf(ActionError)
    expect((error as ActionError).describe()).toMatch(/actions\/setup-python/)
  })

  test('many files are parsed in one Python process', async () => {
    const root = await makeTree({ 'a.py': 'A = 1\n', 'b.py': 'B = 2\n', 'c.py': 'C = 3\n' })
    const calls: string[][] = []
    const recording: CommandRunner = {
      run: (command, args, options) => {
        calls.push([command, ...args])
        return spawnRunner.run(command, args, options)
      },
    }
    const results = await inspectPythonFiles(
      recording,
      PYTHON,
      ['a.py', 'b.py', 'c.py'].map((name) => path.join(root, name)),
    )
    expect(results).toHaveLength(3)
    expect(calls).toHaveLength(1)
  })
})
