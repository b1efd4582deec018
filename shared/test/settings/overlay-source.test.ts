import { createHash } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'
import { fixturePath, PYTHON, run } from '../../../test/support/index.js'
import { detectProject } from '../../src/detect/index.js'
import { generateOverlay } from '../../src/settings/overlay.js'
import { memoryReader, repositoryReader } from '../../src/settings/read-file.js'
import { RUNNABLE_FIXTURES } from './deployed-fixture.js'
import { projectModel } from './project-model.js'

/**
 * The overlay's Python body lives in overlay_body.py, loaded as text. These checks keep that file
 * valid Python and keep the generated overlay stable: the snapshot holds each fixture's overlay
 * digest, so any change to the generated text shows up in review (update it with `vitest -u`).
 */
const BODY = fileURLToPath(new URL('../../src/settings/overlay_body.py', import.meta.url))

const digest = (text: string) => `${createHash('sha256').update(text).digest('hex')} (${Buffer.byteLength(text)} bytes)`

describe('the overlay body (overlay_body.py)', () => {
  const cacheDirs: string[] = []
  afterAll(() => Promise.all(cacheDirs.map((dir) => rm(dir, { recursive: true, force: true }))))

  it('byte-compiles with python3 -m py_compile', async () => {
    const cache = await mkdtemp(path.join(tmpdir(), 'overlay-pyc-'))
    cacheDirs.push(cache)
    // PYTHONPYCACHEPREFIX keeps the .pyc out of the source tree.
    const result = await run(PYTHON, ['-m', 'py_compile', BODY], { env: { ...process.env, PYTHONPYCACHEPREFIX: cache } })
    expect(result.stderr).toBe('')
    expect(result.exitCode).toBe(0)
  })
})

describe('the generated overlay', () => {
  it('is unchanged for the hand-built model', () => {
    expect(digest(generateOverlay(projectModel(), { readFile: memoryReader({}) }).file.content)).toMatchSnapshot()
  })

  it.each(RUNNABLE_FIXTURES)('is unchanged for the %s fixture', async (name) => {
    const dir = fixturePath(name)
    const model = await detectProject({ repoRoot: dir, python: PYTHON })
    expect(digest(generateOverlay(model, { readFile: repositoryReader(dir) }).file.content)).toMatchSnapshot()
  })
})
