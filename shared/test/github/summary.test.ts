import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { formatDuration, renderSummary, writeSummary, type DeploySummary } from '../../src/github/summary.js'
import type { Plan } from '../../src/plan.js'
import { Phases } from '../../src/runtime/index.js'
import { quietSecrets } from './support.js'

let dir: string
let summaryFile: string

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'github-summary-'))
  summaryFile = join(dir, 'step-summary.md')
  writeFileSync(summaryFile, '')
  process.env.GITHUB_STEP_SUMMARY = summaryFile
})
beforeEach(() => writeFileSync(summaryFile, ''))
afterAll(() => {
  delete process.env.GITHUB_STEP_SUMMARY
  rmSync(dir, { recursive: true, force: true })
})

const plan: Plan = {
  action: 'action-dokku',
  summary: [['App', 'blog']],
  files: [{ path: 'Procfile', content: 'web: gunicorn blog.wsgi', reason: 'no Procfile in the repository' }],
  steps: [{ kind: 'ssh', title: "Create app 'blog'", detail: 'dokku apps:create blog' }],
}

const deployed: DeploySummary = {
  action: 'action-dokku',
  outcome: 'deployed',
  target: { kind: 'app', name: 'blog' },
  url: 'https://blog.example.com',
  commit: {
    sha: '2222222222222222222222222222222222222222',
    url: 'https://github.com/octo/blog/commit/2222222222222222222222222222222222222222',
  },
  environment: 'production',
  facts: [['Server', 'dokku.example.com']],
  created: ['app blog', 'PostgreSQL service blog-db'],
  alreadyPresent: ['domain blog.example.com'],
  phases: [
    { name: 'Detect project', ms: 420 },
    { name: 'git push', ms: 95_000 },
    { name: 'Migrate', ms: 12_345 },
  ],
  warnings: ['DEBUG is True in settings.py; the overlay sets it to False'],
  plan,
  runUrl: 'https://github.com/octo/blog/actions/runs/9001',
}

describe('renderSummary', () => {
  it('reads top to bottom: headline, facts, resources, time, warnings, plan', () => {
    const markdown = renderSummary(deployed)
    expect(markdown.split('\n')[0]).toBe('## Deployed blog to [https://blog.example.com](https://blog.example.com/)')
    expect(markdown).toContain('| App | `blog` |')
    expect(markdown).toContain('| URL | [https://blog.example.com](https://blog.example.com/) |')
    expect(markdown).toContain(
      '| Commit | [`2222222`](https://github.com/octo/blog/commit/2222222222222222222222222222222222222222) |',
    )
    expect(markdown).toContain('| Environment | production |')
    expect(markdown).toContain(
      '**Created by this run**\n\n- app blog\n- PostgreSQL service blog-db\n\n**Already present**\n\n- domain blog.example.com',
    )
    expect(markdown).toContain(
      '| Detect project | 420 ms |\n| git push | 1 min 35 s |\n| Migrate | 12.3 s |\n| **Total** | **1 min 48 s** |',
    )
    expect(markdown).toContain('### Warnings\n\n- DEBUG is True in settings.py; the overlay sets it to False')
    expect(markdown).toContain('<details><summary>Plan</summary>\n\n```text\naction-dokku plan\n')
    expect(markdown).toContain('dokku apps:create blog')
    expect(markdown.indexOf('## Deployed')).toBeLessThan(markdown.indexOf('### Resources'))
    expect(markdown.indexOf('### Time')).toBeLessThan(markdown.indexOf('<details>'))
  })

  it('words each outcome without emoji', () => {
    expect(renderSummary({ ...deployed, outcome: 'planned' }).split('\n')[0]).toBe(
      '## Dry run: would deploy blog to [https://blog.example.com](https://blog.example.com/) (nothing was changed)',
    )
    expect(
      renderSummary({ ...deployed, outcome: 'skipped', url: undefined, reason: 'pull request #31 comes from a fork' }).split(
        '\n',
      )[0],
    ).toBe('## Did not deploy blog: pull request #31 comes from a fork')
    expect(
      renderSummary({ ...deployed, outcome: 'failed', url: undefined, reason: 'git push was rejected' }).split('\n')[0],
    ).toBe('## Deploying blog failed: git push was rejected')
    expect(renderSummary({ ...deployed, url: undefined, destination: 'Dokku server dokku.example.com' }).split('\n')[0]).toBe(
      '## Deployed blog to Dokku server dokku.example.com',
    )
    expect(
      renderSummary({
        ...deployed,
        outcome: 'removed',
        url: undefined,
        reason: 'the pull request closed; its review app and database are gone',
      }).split('\n')[0],
    ).toBe('## Removed blog: the pull request closed; its review app and database are gone')
    // Removing a preview: the dry run and a failure say so, instead of "deploy".
    const removing = {
      ...deployed,
      operation: 'remove' as const,
      url: undefined,
      target: { kind: 'app' as const, name: 'blog-pr-7' },
    }
    expect(renderSummary({ ...removing, outcome: 'planned', reason: 'pull request #7 closed' }).split('\n')[0]).toBe(
      '## Dry run: would remove blog-pr-7: pull request #7 closed (nothing was changed)',
    )
    expect(renderSummary({ ...removing, outcome: 'failed', reason: 'the server is unreachable' }).split('\n')[0]).toBe(
      '## Removing blog-pr-7 failed: the server is unreachable',
    )
    expect(renderSummary({ ...removing, outcome: 'skipped', reason: 'no secrets in a fork' }).split('\n')[0]).toBe(
      '## Did not remove blog-pr-7: no secrets in a fork',
    )
    for (const outcome of ['deployed', 'planned', 'skipped', 'failed', 'removed'] as const) {
      expect(renderSummary({ ...deployed, outcome })).not.toMatch(/\p{Extended_Pictographic}/u)
    }
  })

  it('escapes Markdown and HTML in user-controlled strings', () => {
    const markdown = renderSummary({
      ...deployed,
      target: { kind: 'site', name: 'blog` | <b>x</b>' },
      url: 'javascript:alert(1)',
      environment: '<script>alert(1)</script>',
      facts: [['Note | col', '**bold** [link](http://evil) @octo/admins']],
      warnings: ['<img src=x onerror=alert(1)>\n# not a heading'],
      created: ['- not a nested item'],
    })
    // The only raw `<b>` left is inside a code span, where GitHub shows it as text.
    expect(markdown.replace('``blog` \\| <b>x</b>``', '')).not.toMatch(/<(script|img|b)\b/)
    expect(markdown).not.toContain('](javascript:')
    expect(markdown).not.toMatch(/(?<!\\)\]\(http:\/\/evil\)/)
    expect(markdown).toContain('## Deployed blog\\` \\| &lt;b&gt;x&lt;/b&gt; to `javascript:alert(1)`')
    expect(markdown).toContain('| Site | ``blog` \\| <b>x</b>`` |')
    expect(markdown).toContain('| URL | `javascript:alert(1)` |')
    expect(markdown).toContain('| Environment | &lt;script&gt;alert(1)&lt;/script&gt; |')
    expect(markdown).toContain('| Note \\| col | \\*\\*bold\\*\\* \\[link\\](http://evil) @\u2060octo/admins |')
    expect(markdown).toContain('- &lt;img src=x onerror=alert(1)&gt; # not a heading')
    expect(markdown).toContain('- \\- not a nested item')
  })

  it('keeps a plan containing backticks and </details> inside its code block', () => {
    const tricky: Plan = { ...plan, steps: [{ kind: 'command', title: 'Run ```weird``` </details> step' }] }
    const markdown = renderSummary({ ...deployed, plan: tricky })
    expect(markdown).toContain('````text\n')
    expect(markdown).toContain('  1. Run ```weird``` </details> step\n````\n\n</details>')
  })

  it("lists a phase's parts under it and counts them once in the total", async () => {
    let clock = 0
    const phases = new Phases(() => clock)
    const parts = phases.partsOf('Build')
    await phases.time('Build', async () => {
      await parts('collectstatic', async () => void (clock += 1000))
      await parts('Crawl and render', async () => void (clock += 3000))
      clock += 500 // unaccounted work of the phase itself
    })
    await phases.time('Deploy to Netlify', async () => void (clock += 2000))
    const markdown = renderSummary({ ...deployed, phases: phases.list })
    const time = markdown.slice(markdown.indexOf('### Time'), markdown.indexOf('### Warnings'))
    expect(time).toContain(
      [
        '| Build | 4.5 s |',
        '| &nbsp;&nbsp;↳ collectstatic | 1.0 s |',
        '| &nbsp;&nbsp;↳ Crawl and render | 3.0 s |',
        '| Deploy to Netlify | 2.0 s |',
        '| **Total** | **6.5 s** |',
      ].join('\n'),
    )
  })

  it('formats durations for people', () => {
    expect(formatDuration(850)).toBe('850 ms')
    expect(formatDuration(12_340)).toBe('12.3 s')
    expect(formatDuration(125_000)).toBe('2 min 05 s')
  })
})

describe('writeSummary (real @actions/core, temp GITHUB_STEP_SUMMARY)', () => {
  it('appends the rendered summary to the step summary file', async () => {
    expect(await writeSummary(deployed, quietSecrets().secrets)).toBe(true)
    expect(readFileSync(summaryFile, 'utf8')).toBe(`${renderSummary(deployed)}\n`)
  })

  it('refuses to write a summary that contains a secret, and writes nothing', async () => {
    const { secrets } = quietSecrets()
    secrets.add('dokku_ssh_key_line_abcdef')
    const leaking = { ...deployed, warnings: ['ssh said: dokku_ssh_key_line_abcdef'] }
    await expect(writeSummary(leaking, secrets)).rejects.toThrow(
      'Refusing to write the job summary: it contains the value of a secret.',
    )
    expect(readFileSync(summaryFile, 'utf8')).toBe('')
  })

  it('catches a secret even after Markdown escaping changed it', async () => {
    const { secrets } = quietSecrets()
    secrets.add('pass_word*123')
    await expect(writeSummary({ ...deployed, facts: [['db', 'pass_word*123']] }, secrets)).rejects.toThrow(
      /Refusing to write the job summary/,
    )
  })

  it('skips quietly when the runner has no step summary file (a local run)', async () => {
    expect(await writeSummary(deployed, quietSecrets().secrets, undefined, {})).toBe(false)
    expect(readFileSync(summaryFile, 'utf8')).toBe('')
  })
})
