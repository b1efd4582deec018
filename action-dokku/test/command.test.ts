import { execFileSync } from 'node:child_process'
import { describe, expect, it } from 'vitest'
import { commandLine, DokkuArgumentError } from '../src/dokku/command.js'

/** Split a command line exactly as Dokku does for non-git commands: `printf '%s' "$CMD" | xargs -n 1`. */
function dokkuSplit(line: string): string[] {
  const out = execFileSync(
    'bash',
    ['-c', 'readarray -t args < <(printf "%s" "$1" | xargs -n 1); printf "%s\\0" "${args[@]}"', 'bash', line],
    { encoding: 'utf8' },
  )
  return out.split('\0').slice(0, -1)
}

describe('commandLine', () => {
  it('round-trips awkward arguments through the same xargs split Dokku uses', () => {
    const args = [
      'run',
      '--no-tty',
      'blog',
      'python',
      'manage.py',
      'shell',
      '-c',
      `print("it's $HOME \\ done")`,
      'a  b\tc',
      '*',
      '`id`',
    ]
    const line = commandLine(args)
    expect(dokkuSplit(line)).toEqual(args)
  })

  it('keeps git-family commands as plain words and refuses what Dokku would not unquote', () => {
    expect(commandLine(['git:report', 'blog', '--git-deploy-branch'])).toBe('git:report blog --git-deploy-branch')
    expect(() => commandLine(['git:from-image', 'blog', 'img', 'John Doe'])).toThrowError(DokkuArgumentError)
    expect(() => commandLine(['git:set', 'blog', "it's"])).toThrowError(/plain words/)
  })

  it('refuses newlines and words Dokku reads as its own global flags anywhere', () => {
    expect(() => commandLine(['config:set', 'blog', 'A=line\nbreak'])).toThrowError(/line break/)
    expect(() => commandLine(['run', 'blog', 'python', 'x --trace'])).toThrowError(/--trace/)
    expect(() => commandLine(['run', 'blog', '--app'])).toThrowError(/global flags/)
    expect(commandLine(['postgres:destroy', 'blog', '--force'], { allowFlags: ['--force'] })).toBe(
      'postgres:destroy blog --force',
    )
    expect(commandLine(['apps:destroy', 'blog'], { globalFlags: ['--force'] })).toBe('--force apps:destroy blog')
  })
})
