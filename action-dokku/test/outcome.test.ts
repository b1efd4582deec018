import { describe, expect, it } from 'vitest'
import { parsePush } from '../src/deliver/outcome.js'

// stderr as git prints it: remote lines padded with spaces, some with Dokku's \e[1G\e[K prefix.
const remote = (lines: string[]) => lines.map((line) => `remote: ${line}        `).join('\n')

describe('parsePush', () => {
  it('a deploy: fast-forward ref, URLs from "Application deployed:"', () => {
    const stderr =
      remote([
        '-----> Releasing blog...',
        '=====> Application deployed:',
        '       http://blog.dokku.me',
        '       https://blog.example.com',
        '',
      ]) + '\nTo ssh://dokku.example.com/blog\n'
    const outcome = parsePush(
      0,
      'To ssh://dokku@dokku.example.com:22/blog\n \t1111111:refs/heads/main\t1111111..2222222\nDone\n',
      stderr,
    )
    expect(outcome).toMatchObject({ status: 'deployed', urls: ['http://blog.dokku.me', 'https://blog.example.com'] })
  })

  it('"deploy did not complete" exits 0 but is a failure, quoting Dokku', () => {
    const stderr = remote([
      '\u001b[1G\u001b[K-----> WARNING: deploy did not complete, you must push to main.',
      "\u001b[1G\u001b[K-----> for example, try 'git push <dokku> master:main'",
    ])
    const outcome = parsePush(0, '*\tabc:refs/heads/master\t[new branch]\nDone\n', stderr)
    expect(outcome.status).toBe('not-deployed')
    expect(outcome.quoted).toEqual([
      '-----> WARNING: deploy did not complete, you must push to main.',
      "-----> for example, try 'git push <dokku> master:main'",
    ])
  })

  it('"Everything up-to-date" is a success with nothing deployed', () => {
    expect(parsePush(0, '=\tabc:refs/heads/main\t[up to date]\nDone\n', 'Everything up-to-date\n').status).toBe('up-to-date')
  })

  it("a failed release phase: rejected, with Dokku's ! lines quoted", () => {
    const stderr = `${remote(['-----> Checking for release task', '       Executing release task from Procfile in ephemeral container: python manage.py migrate --noinput', ' !     Execution of release task failed: python manage.py migrate --noinput'])}\nTo ssh://h/blog\n ! [remote rejected] abc -> main (pre-receive hook declined)\nerror: failed to push some refs to 'ssh://h/blog'\n`
    const outcome = parsePush(
      1,
      'To ssh://h/blog\n!\tabc:refs/heads/main\t[remote rejected] (pre-receive hook declined)\nDone\n',
      stderr,
    )
    expect(outcome).toMatchObject({
      status: 'rejected',
      reason: 'pre-receive hook declined',
      quoted: ['Execution of release task failed: python manage.py migrate --noinput'],
    })
  })

  it('a held deploy lock, a non-fast-forward, and a dropped connection', () => {
    const locked = parsePush(
      1,
      '!\tabc:refs/heads/main\t[remote rejected] (pre-receive hook declined)\n',
      remote([
        ' !     blog currently has a deploy lock in place. Exiting...',
        " !     Run 'apps:unlock' to release the existing deploy lock",
      ]),
    )
    expect(locked.status).toBe('locked')
    expect(
      parsePush(1, '!\tabc:refs/heads/main\t[rejected] (fetch first)\n', ' ! [rejected]        abc -> main (fetch first)\n'),
    ).toMatchObject({ status: 'rejected', reason: 'fetch first' })
    expect(parsePush(128, '', 'fatal: Could not read from remote repository.\n')).toMatchObject({
      status: 'failed',
      quoted: ['fatal: Could not read from remote repository.'],
    })
  })
})
