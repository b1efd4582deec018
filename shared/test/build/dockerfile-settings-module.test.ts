import { describe, expect, it } from 'vitest'
import { generateDockerfile } from '../../src/build/dockerfile.js'
import { BUILD_SECRET_KEY } from '../../src/settings/environment.js'
import { memoryReader } from '../../src/settings/read-file.js'
import { projectModel } from '../settings/project-model.js'
import { envOf, stagesOf } from './dockerfile-parser.js'

/**
 * `settingsModule`: the image of a project deployed without the overlay (settings-patch: none)
 * must run, and collect static files, with the project's own module; the overlay module would
 * not exist in that image.
 */
const reader = memoryReader({ 'requirements.txt': 'Django>=4.2\n' })

function runtimeOf(content: string) {
  const runtime = stagesOf(content)[1]
  if (!runtime) throw new Error('expected two stages')
  const of = (keyword: string) =>
    runtime.instructions.filter((instruction) => instruction.keyword === keyword).map((instruction) => instruction.args)
  return { env: Object.assign({}, ...of('ENV').map(envOf)) as Record<string, string>, runs: of('RUN') }
}

describe('generateDockerfile settingsModule', () => {
  it('defaults to the overlay module', () => {
    const result = generateDockerfile(projectModel(), { readFile: reader })
    const content = result.files[0]?.content ?? ''
    expect(result.settingsModule).toBe('mysite.settings_deploy')
    expect(runtimeOf(content).env.DJANGO_SETTINGS_MODULE).toBe('mysite.settings_deploy')
    expect(content).toContain('#   Settings:     mysite.settings_deploy (the production overlay of mysite.settings)')
  })

  it('sets the given module as DJANGO_SETTINGS_MODULE and never names the overlay', () => {
    const result = generateDockerfile(projectModel(), { readFile: reader, settingsModule: 'mysite.settings' })
    const content = result.files.find((file) => file.path === 'Dockerfile')?.content ?? ''
    expect(result.settingsModule).toBe('mysite.settings')
    const { env, runs } = runtimeOf(content)
    expect(env.DJANGO_SETTINGS_MODULE).toBe('mysite.settings')
    // collectstatic runs under that ENV, with the build-time placeholders only
    expect(runs).toContain(`SECRET_KEY=${BUILD_SECRET_KEY} python manage.py collectstatic --noinput`)
    expect(content).toContain("#   Settings:     mysite.settings (the project's own; no production overlay)")
    expect(content).not.toContain('settings_deploy')
  })

  it("does not ask a user's own Dockerfile to use an overlay that is not deployed", () => {
    const result = generateDockerfile(projectModel({ existing: { dockerfile: 'Dockerfile' } }), {
      readFile: reader,
      settingsModule: 'mysite.settings',
    })
    expect(result).toMatchObject({ files: [], generated: false, settingsModule: 'mysite.settings' })
    expect(result.notes[0]?.message).toBe(
      'Using your Dockerfile as is. Make sure it runs collectstatic and does not migrate at start.',
    )
  })
})
