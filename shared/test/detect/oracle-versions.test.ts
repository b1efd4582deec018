import { existsSync } from 'node:fs'
import { readdir } from 'node:fs/promises'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { beforeAll, describe, expect, test } from 'vitest'
import { inspectPythonFiles, isParseError, type InspectResult } from '../../src/detect/python-oracle.js'
import { spawnRunner } from '../../src/runtime/command.js'
import { PYTHON } from './helpers.js'

/**
 * inspect_settings.py must run on Python 3.8+ (actions use whatever python3 the runner has) and
 * report the same facts on every version: the ast module changed shape across them (ast.Index
 * until 3.9, new node types later). Each interpreter found on this machine is compared with
 * Debian's; versions that are not installed are skipped.
 */

const here = path.dirname(fileURLToPath(import.meta.url))
const fixtures = path.resolve(here, '../../../test/fixtures')
const CANDIDATES = ['3.8', '3.9', '3.10', '3.12', '3.13', '3.14'].flatMap((minor) => [
  `/usr/bin/python${minor}`,
  ...['3.8.18', '3.9.18', '3.10.13', '3.12.1', '3.13.0']
    .filter((full) => full.startsWith(`${minor}.`))
    .map((full) => `/root/.pyenv/versions/${full}/bin/python`),
])
const interpreters = [...new Set(CANDIDATES.filter((candidate) => existsSync(candidate)))]

async function pythonFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true })
  return entries
    .filter((entry) => entry.isFile() && entry.name.endsWith('.py') && !entry.parentPath.includes('migrations'))
    .map((entry) => path.join(entry.parentPath, entry.name))
    .sort()
}

describe.skipIf(interpreters.length === 0)('the oracle on other Python versions', () => {
  let files: string[] = []
  let reference: InspectResult[] = []
  beforeAll(async () => {
    files = await pythonFiles(fixtures)
    reference = await inspectPythonFiles(spawnRunner, PYTHON, files)
  })
  for (const python of interpreters) {
    test(`${python} reports what ${PYTHON} reports for every fixture file`, async () => {
      const other = await inspectPythonFiles(spawnRunner, python, files)
      other.forEach((result, index) => {
        const expected = reference[index]
        if (expected && isParseError(expected)) {
          // Error messages improved over versions ("invalid syntax" → "expected ':'"); the position did not.
          expect(isParseError(result) && result.error.line).toBe(expected.error.line)
        } else {
          expect(result, files[index]).toEqual(expected)
        }
      })
    })
  }
})
