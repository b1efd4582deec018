import { describe, expect, it } from 'vitest'
import { splitShellWords, UnbalancedQuoteError } from '../../src/runtime/shell-words.js'

describe('splitShellWords', () => {
  it('groups quoted words and honours backslashes, like a shell', () => {
    expect(splitShellWords(`loaddata "my fixture.json" 'x y' a\\ b`)).toEqual(['loaddata', 'my fixture.json', 'x y', 'a b'])
    expect(splitShellWords(`--labels "team=web,tier=front" --x="" --y=''`)).toEqual([
      '--labels',
      'team=web,tier=front',
      '--x=',
      '--y=',
    ])
    expect(splitShellWords(`"say \\"hi\\" \\n" 'it\\'`)).toEqual(['say "hi" \\n', 'it\\'])
    expect(splitShellWords('  \t createcachetable  ')).toEqual(['createcachetable'])
    expect(splitShellWords('')).toEqual([])
  })

  it('expands nothing', () => {
    expect(splitShellWords('echo $HOME ~ * `id` $(id)')).toEqual(['echo', '$HOME', '~', '*', '`id`', '$(id)'])
  })

  it('refuses an unclosed quote, naming which', () => {
    expect(() => splitShellWords(`oops "unclosed`)).toThrowError(new UnbalancedQuoteError('"'))
    expect(() => splitShellWords(`oops 'unclosed`)).toThrowError(/unbalanced single quote/)
  })
})
