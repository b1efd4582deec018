import { mkdir, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { copyFixture, PYTHON, type CleanupRegistrar, type FixtureName } from '../../../test/support/index.js'
import { detectProject } from '../../src/detect/index.js'
import type { ProjectModel } from '../../src/detect/model.js'
import type { GeneratedFile } from '../../src/plan.js'
import { generateOverlay, type Overlay } from '../../src/settings/overlay.js'
import { repositoryReader, type ReadFile } from '../../src/settings/read-file.js'

/**
 * What a deploy artifact looks like for a fixture, built the way the actions build it: a copy of
 * the fixture, detected with the real detectProject(), with the generated overlay written beside
 * its settings module. Shared by the end-to-end tests of the overlay and of the Dockerfile.
 */
export interface DeployedFixture {
  /** The copy's root (= the deployed directory). */
  dir: string
  /** Where manage.py is. */
  appDir: string
  model: ProjectModel
  overlay: Overlay
  readFile: ReadFile
}

/** Fixtures with a manage.py that runs (not syntax-error, not not-django). */
export const RUNNABLE_FIXTURES = [
  'flat',
  'split-settings',
  'nested-src',
  'poetry',
  'pipfile',
  'uv',
  'with-dockerfile',
  'example-site',
] as const satisfies readonly FixtureName[]

/** Text each fixture's home page contains (read from its templates), to know `/` is the real page. */
export const HOME_TEXT: Record<(typeof RUNNABLE_FIXTURES)[number], string> = {
  flat: 'Hello from mysite',
  'split-settings': 'Welcome to mysite',
  'nested-src': 'Welcome',
  poetry: 'Widget',
  pipfile: 'Started a journal.',
  uv: 'Kindred',
  'with-dockerfile': 'Hello from a project with its own Dockerfile',
  'example-site': 'Welcome to the Example Site',
}

export async function deployedFixture(name: FixtureName, cleanup: CleanupRegistrar): Promise<DeployedFixture> {
  const dir = await copyFixture(name, { cleanup })
  const model = await detectProject({ repoRoot: dir, python: PYTHON })
  const readFile = repositoryReader(dir)
  const overlay = generateOverlay(model, { readFile })
  await writeGenerated(dir, [overlay.file])
  return { dir, appDir: join(dir, model.appDir), model, overlay, readFile }
}

/** Write generated files into the deployed directory, as the artifact builder does. */
export async function writeGenerated(dir: string, files: readonly GeneratedFile[]): Promise<void> {
  for (const file of files) {
    const target = join(dir, file.path)
    await mkdir(dirname(target), { recursive: true })
    await writeFile(target, file.content)
  }
}

/** A strong key, as an action would generate: passes check W009. */
export const STRONG_SECRET_KEY = 'e2e-7Hk2pQ9vXw4mZr8sLt6nYb3cFd5gJh1aKe0uWo-PiR_yTq2xNv9bMz4lCs8d'
