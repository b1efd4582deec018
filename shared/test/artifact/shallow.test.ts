import { execFileSync } from 'node:child_process'
import { afterEach, describe, expect, it } from 'vitest'
import { assembleArtifact } from '../../src/artifact/index.js'
import { spawnRunner as runner } from '../../src/runtime/command.js'
import { checkoutState, cleanup, commitAll, git, makeRepo, tempDir, treeText, writeFiles } from './helpers.js'
import { join } from 'node:path'

afterEach(cleanup)

/** What actions/checkout does by default: a depth-1 clone of one commit. */
function shallowClone(origin: string): string {
  const clone = join(tempDir('clone'), 'work')
  execFileSync('git', ['clone', '--quiet', '--depth', '1', `file://${origin}`, clone])
  return clone
}

describe('shallow clone (fetch-depth 1)', () => {
  it('assembles from HEAD without history and pushes without "shallow update not allowed"', async () => {
    const origin = makeRepo({ 'manage.py': 'v1\n', 'app/views.py': 'A\n' })
    writeFiles(origin, { 'manage.py': 'v2\n' })
    const head = commitAll(origin, 'Second')
    const clone = shallowClone(origin)
    expect(git(clone, 'rev-parse', '--is-shallow-repository')).toBe('true')
    const before = checkoutState(clone)

    const artifact = await assembleArtifact({ repoRoot: clone, runner, files: [{ path: 'Procfile', content: 'web: x\n' }] })
    expect(artifact.shallow).toBe(true)
    expect(artifact.baseCommit).toBe(head)
    expect(treeText(artifact.gitDir, artifact.tree)).toEqual({ 'manage.py': 'v2\n', 'app/views.py': 'A\n', Procfile: 'web: x\n' })
    expect(checkoutState(clone)).toEqual(before)
    // Another machine with the full history builds the very same commit: nothing depends on history.
    const fromFullClone = await assembleArtifact({ repoRoot: origin, runner, files: [{ path: 'Procfile', content: 'web: x\n' }] })
    expect(fromFullClone.commit).toBe(artifact.commit)

    // The artifact commit has no parent, so pushing it needs no history: a bare remote (standing
    // in for Dokku) accepts it, and the same deploy again is "Everything up-to-date".
    const remote = join(tempDir('remote'), 'app.git')
    execFileSync('git', ['init', '--quiet', '--bare', remote])
    const push = () =>
      execFileSync('git', ['--git-dir', artifact.gitDir, 'push', '--porcelain', remote, `${artifact.commit}:refs/heads/main`], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
      })
    expect(push()).toMatch(/\*\t[0-9a-f]+:refs\/heads\/main\t\[new branch\]/)
    const again = await assembleArtifact({ repoRoot: clone, runner, files: [{ path: 'Procfile', content: 'web: x\n' }] })
    expect(again.commit).toBe(artifact.commit)
    expect(push()).toMatch(/=\t[0-9a-f]+:refs\/heads\/main\t\[up to date\]/)
    expect(git(remote, 'rev-parse', 'main')).toBe(artifact.commit)
    expect(checkoutState(clone)).toEqual(before)
  })

  it('works for a subdirectory of a shallow clone', async () => {
    const origin = makeRepo({ 'backend/manage.py': 'x\n', 'docs/index.md': '#\n' })
    const clone = shallowClone(origin)
    const artifact = await assembleArtifact({ repoRoot: clone, subdirectory: 'backend', runner })
    expect(treeText(artifact.gitDir, artifact.tree)).toEqual({ 'manage.py': 'x\n' })
  })

  it('chains onto the deployed commit fetched into a fresh shallow clone: a fast-forward push', async () => {
    const origin = makeRepo({ 'manage.py': 'v1\n', 'app/views.py': 'A\n' })
    const remote = join(tempDir('remote'), 'app.git')
    execFileSync('git', ['init', '--quiet', '--bare', remote])
    const firstRun = shallowClone(origin)
    const first = await assembleArtifact({ repoRoot: firstRun, runner })
    execFileSync('git', ['--git-dir', first.gitDir, 'push', '--quiet', remote, `${first.commit}:refs/heads/main`])

    // Next workflow run: a new depth-1 checkout that has never seen the deploy commit. The caller
    // fetches what the server has (depth 1) and passes it as parent.
    writeFiles(origin, { 'manage.py': 'v2\n' })
    commitAll(origin, 'Second')
    const secondRun = shallowClone(origin)
    execFileSync('git', ['fetch', '--quiet', '--depth=1', remote, 'main'], { cwd: secondRun })
    const deployed = git(secondRun, 'rev-parse', 'FETCH_HEAD')
    const second = await assembleArtifact({ repoRoot: secondRun, runner, parent: deployed })
    expect(second.parent).toBe(first.commit)
    expect(git(secondRun, 'rev-list', '--objects', second.commit, `^${deployed}`).split('\n')).toHaveLength(3) // commit, root tree, manage.py
    const push = execFileSync(
      'git',
      ['--git-dir', second.gitDir, 'push', '--porcelain', remote, `${second.commit}:refs/heads/main`],
      { encoding: 'utf8' },
    )
    expect(push).toContain(` \t${second.commit}:refs/heads/main\t${first.commit.slice(0, 7)}`) // ' ' = fast-forward
    expect(git(remote, 'rev-parse', 'main')).toBe(second.commit)
  })
})
