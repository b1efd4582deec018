import { describe, expect, it, onTestFinished } from 'vitest'
import { parseProcfile } from '@django-deploy/shared/build'
import { inputSourceFrom } from '@django-deploy/shared/inputs'
import { spawnRunner } from '@django-deploy/shared/runtime'
import { readInputs as readCloudRunInputs } from '../../action-cloudrun/src/inputs.js'
import { prepareProject as prepareCloudRun } from '../../action-cloudrun/src/project.js'
import { readInputs as readDokkuInputs } from '../../action-dokku/src/inputs.js'
import { prepareProject as prepareDokku } from '../../action-dokku/src/project.js'
import { copyFixture } from '../support/index.js'

/**
 * Project layouts where manage.py is not where the dependency files are (app-subfolder:
 * requirements.txt at the root, app/manage.py): what each road generates, read for real by the
 * settings reader (Python), before anything remote.
 */
const dokkuInputs = (values: Record<string, string> = {}) =>
  readDokkuInputs(
    inputSourceFrom({
      host: 'dokku.example.com',
      app: 'shop',
      'ssh-host-key': 'dokku.example.com ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIE3yP0y1Qm1h2Ab4P2aCk6m8m1p8eXkq0cV7a4c6J8tT',
      ...values,
    }),
    () => undefined,
  )
const cloudRunInputs = (values: Record<string, string> = {}) =>
  readCloudRunInputs(
    inputSourceFrom({ region: 'europe-west1', service: 'shop', 'project-id': 'demo-proj', 'allow-sqlite': 'true', ...values }),
    () => undefined,
  )
const procfileOf = (files: Array<{ path: string; content: string }>) =>
  parseProcfile(files.find((file) => file.path === 'Procfile')?.content ?? '')

describe('manage.py in a subfolder of the deployed folder (app/manage.py, requirements.txt at the root)', () => {
  it('herokuish: the Procfile runs app/manage.py by its path and gunicorn changes into app/', async () => {
    const repo = await copyFixture('app-subfolder', { cleanup: onTestFinished })
    const prepared = await prepareDokku(dokkuInputs(), repo, spawnRunner, {})
    expect(prepared.builder).toBe('herokuish')
    expect(procfileOf(prepared.files)).toEqual({
      release: 'python app/manage.py migrate --noinput',
      web: expect.stringMatching(/^gunicorn --chdir app shop\.wsgi:application /),
    })
    expect(prepared.managePath).toBe('app/manage.py')
    // The deployed requirements.txt carries what the Procfile needs.
    expect(prepared.files.find((file) => file.path === 'requirements.txt')?.content).toMatch(/gunicorn/)
  })

  it("the generated Dockerfile: processes start in its WORKDIR (the folder of manage.py), so the Procfile's commands are plain", async () => {
    const repo = await copyFixture('app-subfolder', { cleanup: onTestFinished })
    const prepared = await prepareDokku(dokkuInputs({ builder: 'dockerfile' }), repo, spawnRunner, {})
    expect(procfileOf(prepared.files).release).toBe('python manage.py migrate --noinput')
    expect(prepared.files.find((file) => file.path === 'Dockerfile')?.content).toMatch(/^WORKDIR \/app\/app$/m)
    expect(prepared.managePath).toBe('manage.py')
  })
})

describe('working-directory set to the folder of manage.py while the dependency files sit above it', () => {
  it('Dokku: a warning that names the file, where it is and the fix (no "installs nothing" riddle)', async () => {
    const repo = await copyFixture('app-subfolder', { cleanup: onTestFinished })
    const prepared = await prepareDokku(dokkuInputs({ 'working-directory': 'app' }), repo, spawnRunner, {})
    const codes = prepared.notes.map((note) => note.code)
    expect(codes).toContain('dependencies-outside-working-directory')
    expect(codes).not.toContain('no-dependency-files')
    const note = prepared.notes.find((candidate) => candidate.code === 'dependencies-outside-working-directory')
    expect(note?.message).toMatch(
      /^requirements\.txt is above working-directory \(app\/\).*Set working-directory to the folder that holds both/,
    )
  })

  it('Cloud Run: refused before any gcloud command, naming the file above and the input to change', async () => {
    const repo = await copyFixture('app-subfolder', { cleanup: onTestFinished })
    const failure = prepareCloudRun(cloudRunInputs({ 'working-directory': 'app' }), repo, spawnRunner, {})
    await expect(failure).rejects.toThrow(/requirements\.txt is above it, outside what is built/)
    await expect(failure).rejects.toMatchObject({ hint: expect.stringContaining('Set working-directory') })
  })

  it('Cloud Run from the root builds from there: WORKDIR app/, requirements.txt installed', async () => {
    const repo = await copyFixture('app-subfolder', { cleanup: onTestFinished })
    const prepared = await prepareCloudRun(cloudRunInputs(), repo, spawnRunner, {})
    const dockerfile = prepared.files.find((file) => file.path === 'Dockerfile')?.content ?? ''
    expect(dockerfile).toMatch(/requirements\.txt/)
    expect(dockerfile).toMatch(/^WORKDIR \/app\/app$/m)
  })
})

describe('a runtime.txt that disagrees with the Pipfile it sits beside', () => {
  it('both roads warn, naming both files and what each says; the build uses runtime.txt', async () => {
    const repo = await copyFixture('pipfile', { cleanup: onTestFinished, files: { 'runtime.txt': 'python-3.12.7\n' } })
    const expected =
      'The Python version is declared more than once and the declarations disagree: runtime.txt says 3.12.7, which the build uses, but Pipfile says 3.11, Pipfile.lock says 3.11. Keep one declaration, or make them agree.'
    const dokku = await prepareDokku(dokkuInputs({ builder: 'dockerfile' }), repo, spawnRunner, {})
    expect(dokku.notes.find((note) => note.code === 'python-version-disagree')?.message).toBe(expected)
    expect(dokku.files.find((file) => file.path === 'Dockerfile')?.content).toMatch(/^FROM python:3\.12(\.7)?-slim/m)
    const cloudRun = await prepareCloudRun(cloudRunInputs(), repo, spawnRunner, {})
    expect(cloudRun.notes.find((note) => note.code === 'python-version-disagree')?.message).toBe(expected)
  })
})
