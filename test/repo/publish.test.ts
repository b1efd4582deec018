import { spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { cpSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ACTIONS, ROOT } from '../../scripts/action-docs.js'
import {
  changelogSection,
  compareVersions,
  floatingTags,
  parseVersion,
  publish,
  publishedChangelog,
  rewriteReadmeLinks,
} from '../../scripts/publish.js'
import { copyFixture, freePort, makeTempDir, run, type RunResult } from '../support/index.js'
import { parseActionFile } from './lib/parser.js'

/**
 * scripts/publish.ts for real, against local bare repositories (no network): what users get when
 * they write `uses: django-deploy/action-x@v1` is a repository with a valid root action.yml and a
 * bundle that runs on its own.
 *
 * The bundles are built fresh into temporary directories (the committed dist/ may be mid-rebuild
 * by an action's owner; the release workflow also bundles the tagged sources and checks they match).
 */
const NCC = path.join(ROOT, 'node_modules', '.bin', 'ncc')
const dists = new Map<string, string>()
const remotes = new Map<string, string>()
let work: string
const cleanups: Array<() => void> = []

async function bundle(action: string, out: string): Promise<void> {
  const entries: Array<[string, string]> = [['src/index.ts', out]]
  if (existsSync(path.join(ROOT, action, 'src', 'post.ts'))) entries.push(['src/post.ts', path.join(out, 'post')])
  for (const [entry, to] of entries) {
    const result = await run(NCC, ['build', entry, '-o', to, '--license', 'licenses.txt', '--no-cache', '--quiet'], {
      cwd: path.join(ROOT, action),
      timeoutMs: 300_000,
    })
    if (result.exitCode !== 0) throw new Error(`ncc build ${action}/${entry} failed:\n${result.stdout}${result.stderr}`)
  }
}

function git(cwd: string, args: string[]): string {
  const result = spawnSync('git', args, { cwd, encoding: 'utf8' })
  if (result.status !== 0) throw new Error(`git ${args.join(' ')}: ${result.stderr}`)
  return result.stdout.trim()
}

function clone(action: string, ref: string): string {
  const dir = path.join(work, `clone-${action}-${ref}-${randomBytes(3).toString('hex')}`)
  git(work, ['clone', '--quiet', '--branch', ref, remotes.get(action) as string, dir])
  return dir
}

function listFiles(dir: string, prefix = ''): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    if (entry.name === '.git') return []
    const relative = prefix ? `${prefix}/${entry.name}` : entry.name
    return entry.isDirectory() ? listFiles(path.join(dir, entry.name), relative) : [relative]
  })
}

beforeAll(async () => {
  work = await makeTempDir('publish-', (fn) => void cleanups.push(() => void fn()))
  await Promise.all(
    ACTIONS.map(async (action) => {
      const dist = path.join(work, `${action}-dist`)
      await bundle(action, dist)
      dists.set(action, dist)
      const remote = path.join(work, `${action}.git`)
      git(work, ['init', '--quiet', '--bare', remote])
      remotes.set(action, remote)
    }),
  )
}, 600_000)

afterAll(() => {
  for (const fn of cleanups) fn()
})

describe.each(ACTIONS)('publishing %s to its own repository', (action) => {
  let first: ReturnType<typeof publish>
  let published: string

  beforeAll(() => {
    first = publish({
      action,
      version: '1.0.0',
      remote: remotes.get(action) as string,
      dist: dists.get(action),
      repo: 'django-deploy/django-deploy-actions',
      log: () => undefined,
    })
    published = clone(action, 'v1.0.0')
  })

  it('holds exactly action.yml, dist/, README.md, LICENSE and CHANGELOG.md, tagged v1.0.0, v1.0 and v1', () => {
    expect(first).toMatchObject({ tag: 'v1.0.0', moved: ['v1.0', 'v1'], unchanged: false })
    const files = listFiles(published)
    expect(files.filter((file) => !file.startsWith('dist/')).sort()).toEqual([
      'CHANGELOG.md',
      'LICENSE',
      'README.md',
      'action.yml',
    ])
    expect(files.filter((file) => file.startsWith('dist/')).sort()).toEqual(
      listFiles(dists.get(action) as string)
        .map((file) => `dist/${file}`)
        .sort(),
    )
    const tags = git(published, ['tag', '--list']).split('\n').sort()
    expect(tags).toEqual(['v1', 'v1.0', 'v1.0.0'])
    for (const tag of tags) expect(git(published, ['rev-parse', `${tag}^{commit}`])).toBe(first.commit)
    expect(git(published, ['cat-file', '-t', 'v1.0.0'])).toBe('tag') // annotated: the release notes
    expect(git(published, ['rev-parse', '--abbrev-ref', 'HEAD'])).toBe('HEAD')
    expect(git(published, ['ls-remote', '--heads', remotes.get(action) as string])).toContain('refs/heads/main')
  })

  it("has a root action.yml that GitHub's parser accepts, whose entry points are in the published dist/", () => {
    const { errors, template } = parseActionFile('action.yml', readFileSync(path.join(published, 'action.yml'), 'utf8'))
    expect(errors).toEqual([])
    expect(template?.runs.using).toBe('node24')
    if (template?.runs.using !== 'node24') return
    for (const entry of [template.runs.main, template.runs.post].filter((value): value is string => value !== undefined)) {
      expect(existsSync(path.join(published, entry)), entry).toBe(true)
    }
  })

  it('has a README whose relative links all resolve inside the published repository, a LICENSE (MIT) and its own CHANGELOG', () => {
    const readme = readFileSync(path.join(published, 'README.md'), 'utf8')
    const prose = readme.replace(/^(`{3,}|~{3,})[\s\S]*?^\1/gm, '')
    const targets = [...prose.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)].map((match) => match[1] as string)
    expect(targets.length).toBeGreaterThan(0)
    for (const target of targets.filter((link) => !/^(?:[a-z][a-z0-9+.-]*:|#)/i.test(link))) {
      expect(existsSync(path.join(published, target.replace(/[?#].*$/, ''))), `README.md links to ${target}`).toBe(true)
    }
    for (const target of targets.filter((link) => link.startsWith('https://github.com/django-deploy/django-deploy-actions/'))) {
      expect(target).toMatch(
        new RegExp(`^https://github\\.com/django-deploy/django-deploy-actions/(blob|tree)/${git(ROOT, ['rev-parse', 'HEAD'])}/`),
      )
    }
    expect(readFileSync(path.join(published, 'LICENSE'), 'utf8')).toMatch(/^MIT License/)
    const changelog = readFileSync(path.join(published, 'CHANGELOG.md'), 'utf8')
    expect(changelog).toMatch(/^# Changelog/)
    expect(changelog).toContain('## [Unreleased]')
    for (const other of ACTIONS.filter((name) => name !== action)) expect(changelog).not.toContain(`## ${other}`)
  })

  it('has a dist/index.js that runs on its own: a dry run on a fixture prints the plan and exits 0', async () => {
    const result = await dryRun(action, path.join(published, 'dist', 'index.js'))
    expect(result.exitCode, `${result.stdout}\n${result.stderr}`).toBe(0)
    expect(result.stdout).toContain(`${action} plan`)
  })

  it('publishes the same version again as a no-op, and refuses to change a published version', () => {
    const again = publish({
      action,
      version: '1.0.0',
      remote: remotes.get(action) as string,
      dist: dists.get(action),
      repo: 'django-deploy/django-deploy-actions',
      log: () => undefined,
    })
    expect(again).toMatchObject({ unchanged: true, commit: first.commit, moved: [] })
    const changed = changedDist(action, 'changed')
    expect(() =>
      publish({ action, version: '1.0.0', remote: remotes.get(action) as string, dist: changed, log: () => undefined }),
    ).toThrow(/already published .* different content/)
    expect(git(work, ['--git-dir', remotes.get(action) as string, 'rev-parse', 'v1.0.0^{commit}'])).toBe(first.commit)
  })

  it('a new version moves v1 (and v1.1) and keeps every older tag where it was', () => {
    const second = publish({
      action,
      version: '1.1.0',
      remote: remotes.get(action) as string,
      dist: changedDist(action, 'v1.1.0'),
      repo: 'django-deploy/django-deploy-actions',
      log: () => undefined,
    })
    expect(second).toMatchObject({ tag: 'v1.1.0', moved: ['v1.1', 'v1'] })
    expect(second.commit).not.toBe(first.commit)
    const remote = remotes.get(action) as string
    const at = (ref: string) => git(work, ['--git-dir', remote, 'rev-parse', `${ref}^{commit}`])
    expect(at('v1')).toBe(second.commit)
    expect(at('v1.1')).toBe(second.commit)
    expect(at('v1.1.0')).toBe(second.commit)
    expect(at('v1.0.0')).toBe(first.commit)
    expect(at('v1.0')).toBe(first.commit)
    expect(git(work, ['--git-dir', remote, 'rev-list', '--count', 'main'])).toBe('2') // history kept, not force-pushed
    expect(git(work, ['--git-dir', remote, 'merge-base', '--is-ancestor', first.commit, 'main'])).toBe('')

    // A patch for the older line moves v1.0 only: v1 stays on the newest release.
    const patch = publish({ action, version: '1.0.1', remote, dist: changedDist(action, 'v1.0.1'), log: () => undefined })
    expect(patch.moved).toEqual(['v1.0'])
    expect(at('v1')).toBe(second.commit)
    expect(at('v1.0')).toBe(patch.commit)
  })
})

/** A copy of the fresh bundle with one extra file, as a later version of the action would differ. */
function changedDist(action: string, marker: string): string {
  const dir = path.join(work, `${action}-dist-${marker}`)
  if (!existsSync(dir)) {
    cpSync(dists.get(action) as string, dir, { recursive: true })
    writeFileSync(path.join(dir, 'release-marker.txt'), `${marker}\n`)
  }
  return dir
}

/** The bundle run the way the runner runs it, with INPUT_DRY-RUN=true on the flat fixture. */
async function dryRun(action: string, entry: string): Promise<RunResult> {
  const workspace = await copyFixture('flat')
  const runner = await makeTempDir('runner-')
  const bin = path.join(runner, 'bin')
  // Actions run `python3` from PATH (actions/setup-python on a runner); here Debian's, which has Django.
  await run('mkdir', ['-p', bin])
  await run('ln', ['-s', '/usr/bin/python3', path.join(bin, 'python3')])
  const files = {
    GITHUB_OUTPUT: path.join(runner, 'output'),
    GITHUB_STEP_SUMMARY: path.join(runner, 'summary'),
    GITHUB_STATE: path.join(runner, 'state'),
  }
  for (const file of Object.values(files)) writeFileSync(file, '')
  const env: NodeJS.ProcessEnv = {
    PATH: `${bin}:${process.env.PATH ?? '/usr/bin:/bin'}`,
    HOME: runner,
    RUNNER_TEMP: runner,
    GITHUB_WORKSPACE: workspace,
    ...files,
    'INPUT_DRY-RUN': 'true',
    'INPUT_WORKING-DIRECTORY': '.',
  }
  if (action === 'action-static') Object.assign(env, { INPUT_PROVIDER: 'directory', 'INPUT_OUTPUT-DIR': '_site' })
  if (action === 'action-dokku') {
    const keyFile = path.join(runner, 'key')
    await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', keyFile])
    // Nothing listens on the port: a dry run without the server's state still prints the plan.
    Object.assign(env, {
      INPUT_HOST: '127.0.0.1',
      INPUT_PORT: String(await freePort()),
      INPUT_APP: 'blog',
      'INPUT_SSH-PRIVATE-KEY': readFileSync(keyFile, 'utf8'),
      'INPUT_SSH-HOST-KEY': `SHA256:${randomBytes(32).toString('base64').replace(/=+$/, '')}`,
      INPUT_TIMEOUT: '1',
    })
  }
  if (action === 'action-cloudrun')
    // The flat fixture keeps SQLite, which Cloud Run refuses without allow-sqlite.
    Object.assign(env, {
      'INPUT_PROJECT-ID': 'demo-proj',
      INPUT_REGION: 'europe-west1',
      INPUT_SERVICE: 'blog',
      'INPUT_ALLOW-SQLITE': 'true',
    })
  return run(process.execPath, [entry], { cwd: workspace, env, timeoutMs: 120_000 })
}

describe('versions and floating tags', () => {
  it('parses X.Y.Z and X.Y.Z-pre, and refuses anything else', () => {
    expect(parseVersion('v1.2.3')).toMatchObject({ major: 1, minor: 2, patch: 3, text: '1.2.3' })
    expect(parseVersion('2.0.0-rc.1')).toMatchObject({ prerelease: 'rc.1' })
    expect(() => parseVersion('1.2')).toThrow(/not a version/)
    expect(compareVersions(parseVersion('1.0.0-rc.2'), parseVersion('1.0.0'))).toBeLessThan(0)
    expect(compareVersions(parseVersion('1.0.0-rc.10'), parseVersion('1.0.0-rc.9'))).toBeGreaterThan(0)
  })

  it('moves vX.Y and vX only for the newest release of the line, never for a pre-release', () => {
    const published = ['1.0.0', '1.1.0', '2.0.0'].map(parseVersion)
    expect(floatingTags(parseVersion('1.1.1'), published)).toEqual(['v1.1', 'v1'])
    expect(floatingTags(parseVersion('1.0.1'), published)).toEqual(['v1.0'])
    expect(floatingTags(parseVersion('2.0.0-rc.1'), published)).toEqual([])
    expect(floatingTags(parseVersion('3.0.0'), published)).toEqual(['v3.0', 'v3'])
  })
})

describe('README links and the CHANGELOG in the published repository', () => {
  const options = {
    action: 'action-dokku',
    repo: 'o/mono',
    ref: 'abc123',
    published: new Set(['action.yml', 'README.md', 'LICENSE', 'CHANGELOG.md']),
    exists: (file: string) =>
      ['SECURITY.md', 'docs/x.md', 'action-dokku/src/main.ts'].includes(file)
        ? ('file' as const)
        : file === 'docs'
          ? ('dir' as const)
          : undefined,
  }

  it('keeps links to published files, makes links into the monorepo absolute at the released commit, and leaves code blocks alone', () => {
    const markdown = [
      'See [security](../SECURITY.md#reporting), [the code](src/main.ts), [docs](../docs/), [x](/docs/x.md)',
      '[metadata](action.yml) [licence](../LICENSE) ![logo](https://example.org/logo.png) [top](#inputs)',
      '<a href="../SECURITY.md">s</a>',
      '[ref]: ../docs/x.md',
      '```yaml',
      'not: [a link](../nowhere.md)',
      '```',
    ].join('\n')
    expect(rewriteReadmeLinks(markdown, options).split('\n')).toEqual([
      'See [security](https://github.com/o/mono/blob/abc123/SECURITY.md#reporting), [the code](https://github.com/o/mono/blob/abc123/action-dokku/src/main.ts), [docs](https://github.com/o/mono/tree/abc123/docs/), [x](https://github.com/o/mono/blob/abc123/docs/x.md)',
      '[metadata](action.yml) [licence](LICENSE) ![logo](https://example.org/logo.png) [top](#inputs)',
      '<a href="https://github.com/o/mono/blob/abc123/SECURITY.md">s</a>',
      '[ref]: https://github.com/o/mono/blob/abc123/docs/x.md',
      '```yaml',
      'not: [a link](../nowhere.md)',
      '```',
    ])
  })

  it('refuses a link to a file that does not exist (a broken link would ship)', () => {
    expect(() => rewriteReadmeLinks('[gone](../docs/gone.md)', options)).toThrow(/does not exist/)
  })

  it("extracts one action's part of CHANGELOG.md, headings one level up, and a version's section as release notes", () => {
    const changelog = [
      '# Changelog',
      '',
      'intro',
      '',
      '## action-dokku',
      '',
      '### [Unreleased]',
      '',
      '#### Fixed',
      '- a',
      '',
      '### [1.0.0] - 2026-01-01',
      '',
      '#### Added',
      '- first',
      '',
      '## action-static',
      '',
      '### [Unreleased]',
      '- s',
      '',
    ].join('\n')
    const own = publishedChangelog(changelog, 'action-dokku')
    expect(own).toContain('## [Unreleased]\n\n### Fixed\n- a')
    expect(own).toContain('## [1.0.0] - 2026-01-01\n\n### Added\n- first')
    expect(own).not.toContain('action-static')
    expect(changelogSection(changelog, 'action-dokku', '1.0.0')).toBe('### Added\n- first')
    expect(changelogSection(changelog, 'action-dokku', '9.9.9')).toBeUndefined()
  })

  it('requires a changelog section for the version when asked (the release workflow asks)', () => {
    expect(() =>
      publish({
        action: 'action-static',
        version: '9.9.9',
        remote: path.join(ROOT, 'nonexistent.git'),
        dist: path.join(ROOT, 'action-static'),
        requireChangelog: true,
        log: () => undefined,
      }),
    ).toThrow(/no '### \[9\.9\.9\]' section/)
  })
})
