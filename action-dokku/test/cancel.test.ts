import { describe, expect, it } from 'vitest'
import { MemoryLogger } from '@django-deploy/shared/runtime'
import { releaseCancelledDeploy } from '../src/cancel.js'
import type { Executor } from '../src/dokku/client.js'

/** A server that knows exactly the commands given (Dokku's words for anything else). */
function server(answers: Record<string, { exitCode: number; stdout?: string; stderr?: string }>): Executor & { sent: string[] } {
  const sent: string[] = []
  return {
    sent,
    exec: async (command) => {
      sent.push(command)
      const answer = answers[command]
      if (!answer)
        return {
          exitCode: 1,
          stdout: '',
          stderr: ` !     \`${command}\` is not a dokku command.\n !     See \`dokku help\` for a list of available commands.\n`,
        }
      return { stdout: '', stderr: '', ...answer }
    },
  }
}

describe('releaseCancelledDeploy', () => {
  it('cancels the build with builds:cancel (Dokku 0.38+)', async () => {
    const dokku = server({ 'builds:cancel blog': { exitCode: 0, stdout: '-----> Killing app deploy\n' } })
    expect(await releaseCancelledDeploy(dokku, 'blog', new MemoryLogger())).toBe('cancelled')
    expect(dokku.sent).toEqual(['builds:cancel blog'])
  })

  it('falls back to apps:unlock where builds:cancel does not exist', async () => {
    const dokku = server({ 'apps:unlock blog': { exitCode: 0, stdout: '-----> Deploy lock removed\n' } })
    const log = new MemoryLogger()
    expect(await releaseCancelledDeploy(dokku, 'blog', log)).toBe('unlocked')
    expect(dokku.sent).toEqual(['builds:cancel blog', 'apps:unlock blog'])
    expect(log.text()).toContain('Deploy lock of blog removed')
  })

  it('reports an app that was not deploying any more', async () => {
    const dokku = server({ 'builds:cancel blog': { exitCode: 0, stdout: '-----> App not currently deploying\n' } })
    expect(await releaseCancelledDeploy(dokku, 'blog', new MemoryLogger())).toBe('nothing')
  })
})
