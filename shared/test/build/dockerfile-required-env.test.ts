import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { generateDockerfile } from '../../src/build/dockerfile.js'
import { memoryReader } from '../../src/settings/read-file.js'
import { detect } from '../detect/helpers.js'
import { stagesOf } from './dockerfile-parser.js'

const fixture = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../test/fixtures/required-env')

describe('generateDockerfile: variables the settings need at import', () => {
  it('collectstatic gets placeholders for them on its own RUN line, never as ENV', async () => {
    const project = await detect(fixture, { settingsModule: 'config.settings.production' })
    const result = generateDockerfile(project, {
      readFile: memoryReader({ 'requirements.txt': 'Django>=4.2,<5\ndjango-environ>=0.11\ngunicorn>=21\n' }),
      settingsModule: 'config.settings.production',
    })
    const content = result.files.find((file) => file.path === 'Dockerfile')?.content ?? ''
    const runtime = stagesOf(content)[1]
    if (!runtime) throw new Error('expected two stages')
    const collect = runtime.instructions.find(
      (instruction) => instruction.keyword === 'RUN' && instruction.args.includes('collectstatic'),
    )
    expect(collect?.args).toContain('REDIS_URL=redis://localhost:6379/0')
    expect(collect?.args).toContain('DJANGO_ADMIN_URL=http://localhost/')
    const envLines = runtime.instructions
      .filter((instruction) => instruction.keyword === 'ENV')
      .map((instruction) => instruction.args)
    expect(envLines.join('\n')).not.toMatch(/REDIS_URL|DJANGO_ADMIN_URL/)
  })
})
