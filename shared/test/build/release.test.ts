import { describe, expect, it } from 'vitest'
import { generateReleaseStep, parseProcfile } from '../../src/build/release.js'
import { memoryReader } from '../../src/settings/read-file.js'
import { projectModel, type ModelOverrides } from '../settings/project-model.js'

function release(files: Record<string, string>, overrides: ModelOverrides = {}, deployRoot?: string) {
  return generateReleaseStep(projectModel(overrides), {
    readFile: memoryReader(files),
    ...(deployRoot === undefined ? {} : { deployRoot }),
  })
}

describe('generateReleaseStep', () => {
  it('generates a Procfile with release and web when there is none', () => {
    const step = release({})
    expect(step.migrations).toBe('procfile-release')
    expect(step.command).toEqual(['python', 'manage.py', 'migrate', '--noinput'])
    expect(step.files).toHaveLength(1)
    const procfile = step.files[0]
    expect(procfile?.path).toBe('Procfile')
    expect(parseProcfile(procfile?.content ?? '')).toEqual({
      release: 'python manage.py migrate --noinput',
      web: 'gunicorn mysite.wsgi:application --threads 4 --worker-tmp-dir /dev/shm --access-logfile -',
    })
    // the comment explains why release-phase migrations beat migrate-at-start
    expect(procfile?.content).toMatch(/running release keeps serving/)
    // no shell syntax in Procfile commands: Dokku may run them without a shell
    expect(procfile?.content).not.toMatch(/\$\{|&&|\bexec\b/)
  })

  it('manage.py in a subfolder of the deployed directory: commands reach it without a shell (its path, gunicorn --chdir)', () => {
    const model = { searchRoot: '', appDir: 'src', managePy: 'src/manage.py', wsgiApplication: 'config.wsgi.application' }
    const step = generateReleaseStep(projectModel(model), { readFile: memoryReader({}), deployRoot: '' })
    expect(step.command).toEqual(['python', 'src/manage.py', 'migrate', '--noinput'])
    const procfile = step.files[0]?.content ?? ''
    expect(parseProcfile(procfile)).toEqual({
      release: 'python src/manage.py migrate --noinput',
      web: 'gunicorn --chdir src config.wsgi:application --threads 4 --worker-tmp-dir /dev/shm --access-logfile -',
    })
    expect(procfile).not.toMatch(/&&|\bcd\b/)
    // The generated image starts in the folder of manage.py (its WORKDIR): plain commands there.
    const inImage = generateReleaseStep(projectModel(model), {
      readFile: memoryReader({}),
      deployRoot: '',
      processesStartIn: 'manage-py-folder',
    })
    expect(parseProcfile(inImage.files[0]?.content ?? '').release).toBe('python manage.py migrate --noinput')
  })

  it("leaves web out when the user's Dockerfile CMD serves the app", () => {
    const step = release({}, { existing: { dockerfile: 'Dockerfile' } })
    expect(parseProcfile(step.files[0]?.content ?? '')).toEqual({ release: 'python manage.py migrate --noinput' })
  })

  it('puts the Procfile at the root of the deployed directory', () => {
    const model = {
      searchRoot: 'backend',
      appDir: 'backend',
      managePy: 'backend/manage.py',
      settings: { files: ['backend/mysite/settings.py'] },
    }
    expect(release({}, model).files[0]?.path).toBe('Procfile')
    expect(release({ 'backend/Procfile': 'web: gunicorn x\nrelease: ./migrate.sh\n' }, model).migrations).toBe('existing-release')
  })

  it("uses the user's release task and never rewrites their Procfile", () => {
    const step = release({ Procfile: 'web: gunicorn mysite.wsgi\nrelease: python manage.py migrate\n' })
    expect(step).toMatchObject({ migrations: 'existing-release', files: [], notes: [] })
  })

  it('says when the release task does not migrate, or when web migrates at start', () => {
    const step = release({ Procfile: 'web: python manage.py migrate && gunicorn mysite.wsgi\nrelease: python manage.py check\n' })
    expect(step.migrations).toBe('existing-release')
    expect(step.notes.map((note) => note.code)).toEqual(['migrate-at-start', 'release-without-migrate'])
  })

  it('falls back to app.json predeploy for a Procfile without release and no app.json', () => {
    const step = release({ Procfile: 'web: gunicorn mysite.wsgi:application\n' })
    expect(step.migrations).toBe('app-json-predeploy')
    expect(step.files).toEqual([
      {
        path: 'app.json',
        content: '{\n  "scripts": {\n    "dokku": {\n      "predeploy": "python manage.py migrate --noinput"\n    }\n  }\n}\n',
        reason: expect.stringMatching(/no release task/),
      },
    ])
  })

  it('never overwrites an existing app.json, and says what to add instead', () => {
    const step = release({ Procfile: 'web: gunicorn x\n', 'app.json': '{"healthchecks": {}}' })
    expect(step).toMatchObject({ migrations: 'none', files: [] })
    expect(step.notes).toEqual([
      expect.objectContaining({
        level: 'warning',
        code: 'migrations-not-automatic',
        message: expect.stringMatching(/Add "release: python manage.py migrate --noinput" to Procfile/),
      }),
    ])
  })

  it("recognises migrations the user's app.json already runs", () => {
    const appJson = JSON.stringify({ scripts: { dokku: { predeploy: 'python manage.py migrate --noinput' } } })
    expect(release({ Procfile: 'web: gunicorn x\n', 'app.json': appJson }).migrations).toBe('existing-predeploy')
    expect(release({ 'app.json': appJson })).toMatchObject({ migrations: 'existing-predeploy', files: [] })
  })

  describe('with migrations turned off (migrate: false)', () => {
    const off = (files: Record<string, string>, overrides: ModelOverrides = {}) =>
      generateReleaseStep(projectModel(overrides), { readFile: memoryReader(files), migrate: false })

    it('generates only the web process when there is no Procfile', () => {
      const step = off({})
      expect(step.migrations).toBe('none')
      expect(parseProcfile(step.files[0]?.content ?? '')).toEqual({
        web: 'gunicorn mysite.wsgi:application --threads 4 --worker-tmp-dir /dev/shm --access-logfile -',
      })
      expect(step.notes.map((note) => note.code)).toEqual(['migrations-off'])
    })

    it('generates nothing when the Procfile or the Dockerfile already says how to serve, and never an app.json', () => {
      expect(off({ Procfile: 'web: gunicorn x\n' })).toMatchObject({ migrations: 'none', files: [] })
      expect(off({}, { existing: { dockerfile: 'Dockerfile' } })).toMatchObject({ migrations: 'none', files: [] })
    })

    it("warns that the user's own release task still migrates", () => {
      const step = off({ Procfile: 'web: gunicorn x\nrelease: python manage.py migrate\n' })
      expect(step).toMatchObject({ migrations: 'existing-release', files: [] })
      expect(step.notes).toEqual([expect.objectContaining({ level: 'warning', code: 'migrate-off-but-user-migrates' })])
      const appJson = JSON.stringify({ scripts: { dokku: { predeploy: 'python manage.py migrate' } } })
      expect(off({ 'app.json': appJson })).toMatchObject({ migrations: 'existing-predeploy', files: [] })
    })
  })

  it('is deterministic', () => {
    expect(release({})).toEqual(release({}))
  })
})

describe('parseProcfile', () => {
  it('reads process types, ignoring comments and blank lines', () => {
    expect(parseProcfile('# comment\n\nweb: gunicorn a:b  # trailing\r\nworker_1: celery -A x worker\n')).toEqual({
      web: 'gunicorn a:b',
      worker_1: 'celery -A x worker',
    })
  })
})
