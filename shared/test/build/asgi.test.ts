import { execFileSync } from 'node:child_process'
import { describe, expect, it } from 'vitest'
import { ActionError } from '../../src/errors.js'
import { generateDockerfile } from '../../src/build/dockerfile.js'
import { extraPackages } from '../../src/build/extras.js'
import { herokuishDependencies } from '../../src/build/herokuish.js'
import { generateReleaseStep, parseProcfile } from '../../src/build/release.js'
import { containerCommand, gunicornTarget, procfileWebCommand, servesAsgi } from '../../src/build/web-command.js'
import { memoryReader } from '../../src/settings/read-file.js'
import { projectModel, type ModelOverrides } from '../settings/project-model.js'
import { stagesOf } from './dockerfile-parser.js'

/** A project with only an ASGI application (no WSGI_APPLICATION, no wsgi.py): gunicorn + uvicorn's worker. */
const asgiOnly = (overrides: ModelOverrides = {}) =>
  projectModel({ wsgiApplication: undefined, asgiApplication: 'asyncsite.asgi.application', ...overrides })

describe('the web command of an ASGI-only project', () => {
  it('serves the ASGI application with uvicorn.workers.UvicornWorker, without threads', () => {
    expect(servesAsgi(asgiOnly())).toBe(true)
    expect(gunicornTarget(asgiOnly())).toBe('asyncsite.asgi:application')
    const command = containerCommand(asgiOnly())
    expect(command).toMatch(/^exec gunicorn asyncsite\.asgi:application --bind "0\.0\.0\.0:\$\{PORT:-8000\}" /)
    expect(command).toContain(' --worker-class uvicorn.workers.UvicornWorker ')
    expect(command).not.toContain('--threads')
    execFileSync('/bin/sh', ['-n', '-c', command])
    expect(procfileWebCommand(asgiOnly())).toBe(
      'gunicorn asyncsite.asgi:application --worker-class uvicorn.workers.UvicornWorker --worker-tmp-dir /dev/shm --access-logfile -',
    )
    expect(procfileWebCommand(asgiOnly(), 'app')).toMatch(/^gunicorn --chdir app asyncsite\.asgi:application --worker-class /)
  })

  it('a project with both keeps WSGI (threads), and one with neither is an error naming both settings', () => {
    const both = projectModel({ asgiApplication: 'mysite.asgi.application' })
    expect(servesAsgi(both)).toBe(false)
    expect(containerCommand(both)).toMatch(/^exec gunicorn mysite\.wsgi:application .*--threads /)
    const neither = projectModel({ wsgiApplication: undefined })
    expect(() => gunicornTarget(neither)).toThrowError(ActionError)
    expect(() => gunicornTarget(neither)).toThrowError(/No WSGI or ASGI application/)
    expect(() => gunicornTarget(asgiOnly({ asgiApplication: 'application' }))).toThrowError(
      /ASGI_APPLICATION 'application' is not a dotted path/,
    )
  })
})

describe('uvicorn is added the way gunicorn is', () => {
  it('added (with a note) when an ASGI-only project does not declare it; not for WSGI projects', () => {
    const added = extraPackages(asgiOnly(), undefined)
    expect(added.requirements).toEqual(['gunicorn>=22', 'uvicorn>=0.30', 'whitenoise>=6'])
    expect(added.notes.find((note) => note.message.startsWith('uvicorn'))?.message).toContain('uvicorn.workers.UvicornWorker')
    expect(extraPackages(projectModel(), undefined).requirements).not.toContain('uvicorn>=0.30')
  })

  it('not added when declared', () => {
    const declared = asgiOnly({ dependencies: { packages: { django: '>=4.2', uvicorn: '>=0.17' } }, features: { uvicorn: true } })
    expect(extraPackages(declared, undefined).requirements).toEqual(['gunicorn>=22', 'whitenoise>=6'])
  })

  it('herokuish: appended to the deployed requirements.txt; the Dockerfile installs it and its CMD uses the worker', () => {
    const result = herokuishDependencies(asgiOnly(), {
      readFile: memoryReader({ 'requirements.txt': 'Django>=4.2\n' }),
      deployRoot: '',
      database: undefined,
    })
    expect(result.kind === 'append' && result.added).toEqual(['gunicorn>=22', 'uvicorn>=0.30', 'whitenoise>=6'])
    const dockerfile =
      generateDockerfile(asgiOnly(), { readFile: memoryReader({ 'requirements.txt': 'Django>=4.2\n' }) }).files.find(
        (file) => file.path === 'Dockerfile',
      )?.content ?? ''
    const [build, runtime] = stagesOf(dockerfile)
    expect(build!.instructions.some((i) => i.keyword === 'RUN' && i.args.includes('"uvicorn>=0.30"'))).toBe(true)
    const cmd = runtime!.instructions.find((i) => i.keyword === 'CMD')?.args ?? ''
    expect(cmd).toContain('asyncsite.asgi:application')
    expect(cmd).toContain('--worker-class uvicorn.workers.UvicornWorker')
  })

  it('the generated Procfile serves the ASGI application', () => {
    const step = generateReleaseStep(asgiOnly(), { readFile: memoryReader({}) })
    expect(parseProcfile(step.files.find((file) => file.path === 'Procfile')?.content ?? '').web).toMatch(
      /^gunicorn asyncsite\.asgi:application --worker-class uvicorn\.workers\.UvicornWorker /,
    )
  })
})
