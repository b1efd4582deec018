import { execFileSync } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { assembleArtifact } from '../../src/artifact/index.js'
import { ActionError } from '../../src/errors.js'
import { spawnRunner } from '../../src/runtime/command.js'
import type { CommandRunner } from '../../src/runtime/command.js'
import { checkoutState, cleanup, commitAll, git, makeRepo, treeContents, treeText, writeFiles } from './helpers.js'

const runner = spawnRunner

afterEach(cleanup)

const project = {
  'manage.py': 'print("manage")\n',
  'mysite/settings.py': 'DEBUG = False\n',
  'bin/start.sh': { content: '#!/bin/sh\nexec gunicorn\n', executable: true },
  'static-link': { symlink: 'mysite' },
}

describe('assembleArtifact from HEAD', () => {
  it('gives HEAD plus the generated files, exactly', async () => {
    const repo = makeRepo(project)
    const artifact = await assembleArtifact({
      repoRoot: repo,
      runner,
      files: [
        { path: 'Procfile', content: 'web: gunicorn mysite.wsgi\n', reason: 'no Procfile' },
        { path: 'deploy/entry.sh', content: '#!/bin/sh\n', executable: true },
      ],
    })
    expect(treeContents(artifact.gitDir, artifact.tree)).toEqual({
      'manage.py': { mode: '100644', content: 'print("manage")\n' },
      'mysite/settings.py': { mode: '100644', content: 'DEBUG = False\n' },
      'bin/start.sh': { mode: '100755', content: '#!/bin/sh\nexec gunicorn\n' },
      'static-link': { mode: '120000', content: 'mysite' },
      Procfile: { mode: '100644', content: 'web: gunicorn mysite.wsgi\n' },
      'deploy/entry.sh': { mode: '100755', content: '#!/bin/sh\n' },
    })
    expect(artifact.files).toEqual(['Procfile', 'deploy/entry.sh'])
    expect(artifact.baseCommit).toBe(git(repo, 'rev-parse', 'HEAD'))
    expect(artifact.baseTree).toBe(git(repo, 'rev-parse', 'HEAD^{tree}'))
    expect(artifact.source).toBe('head')
    expect(artifact.gitDir).toBe(join(repo, '.git'))
    expect(artifact.temporaryGitDir).toBe(false)
    expect(artifact.parent).toBeNull()
    expect(artifact.shallow).toBe(false)
    expect(artifact.warnings).toEqual([])
    // The commit points at the tree and has no parent (pushing it needs no history).
    expect(git(repo, 'rev-parse', `${artifact.commit}^{tree}`)).toBe(artifact.tree)
    expect(git(repo, 'rev-list', '--parents', '-n', '1', artifact.commit)).toBe(artifact.commit)
    // Stats: 6 files; bytes = sum of blob sizes (a symlink counts its target).
    const bytes = [
      'print("manage")\n',
      'DEBUG = False\n',
      '#!/bin/sh\nexec gunicorn\n',
      'mysite',
      'web: gunicorn mysite.wsgi\n',
      '#!/bin/sh\n',
    ].join('').length
    expect(artifact.stats).toMatchObject({ files: 6, bytes })
    expect(artifact.stats.durationMs).toBeGreaterThanOrEqual(0)
  })

  it("without generated files the tree is HEAD's own tree", async () => {
    const repo = makeRepo(project)
    const artifact = await assembleArtifact({ repoRoot: repo, runner })
    expect(artifact.tree).toBe(git(repo, 'rev-parse', 'HEAD^{tree}'))
    expect(artifact.files).toEqual([])
  })

  it('leaves the branch, index, working tree and refs exactly as they were', async () => {
    const repo = makeRepo(project)
    // A realistic dirty checkout: a staged change, an unstaged change, an untracked file.
    writeFiles(repo, { 'mysite/settings.py': 'DEBUG = True\n' })
    git(repo, 'add', 'mysite/settings.py')
    writeFiles(repo, { 'manage.py': 'changed on disk\n', 'notes.txt': 'todo\n' })
    const before = checkoutState(repo)
    const artifact = await assembleArtifact({ repoRoot: repo, runner, files: [{ path: 'Procfile', content: 'web: x\n' }] })
    expect(checkoutState(repo)).toEqual(before)
    // The commit exists as an object only: no branch, tag or reflog entry points at it.
    expect(git(repo, 'for-each-ref', '--contains', artifact.commit)).toBe('')
    expect(git(repo, 'reflog', '--all', '--format=%H')).not.toContain(artifact.commit)
  })

  it('deploys HEAD, not uncommitted changes, and reports them', async () => {
    const repo = makeRepo(project)
    writeFiles(repo, {
      'manage.py': 'edited\n',
      'build/app.js': 'x',
      'gha-creds-0123456789abcdef.json': '{"type":"external_account"}',
    })
    git(repo, 'rm', '--quiet', 'mysite/settings.py')
    const artifact = await assembleArtifact({ repoRoot: repo, runner })
    expect(treeText(artifact.gitDir, artifact.tree)['manage.py']).toBe('print("manage")\n')
    expect(treeText(artifact.gitDir, artifact.tree)['mysite/settings.py']).toBe('DEBUG = False\n')
    expect(treeText(artifact.gitDir, artifact.tree)['build/app.js']).toBeUndefined()
    // The credentials file is not worth a warning: it is never deployed and always there after auth.
    expect(artifact.uncommitted).toEqual({ changed: ['manage.py', 'mysite/settings.py'], untracked: ['build/'] })
    expect(artifact.warnings).toEqual([
      'Uncommitted files are not deployed, only HEAD is: 2 modified (manage.py, mysite/settings.py), 1 untracked (build/).',
    ])
  })

  it('is deterministic: same inputs, same tree and commit, whatever the clock says', async () => {
    const repo = makeRepo(project)
    const files = [{ path: 'Procfile', content: 'web: x\n' }]
    const first = await assembleArtifact({ repoRoot: repo, runner, files })
    await new Promise((resolve) => setTimeout(resolve, 1100))
    const second = await assembleArtifact({ repoRoot: repo, runner, files: [...files] })
    expect(second.tree).toBe(first.tree)
    expect(second.commit).toBe(first.commit)
    // Identity and dates are HEAD's, never the runner's config or the current time.
    const raw = git(repo, 'cat-file', 'commit', first.commit)
    expect(raw).toContain('author Ada Author <ada@example.com> 1709283600 +0100')
    expect(raw).toContain('committer Carl Committer <carl@example.com> 1709370000 +0200')
    const head = git(repo, 'rev-parse', 'HEAD')
    expect(raw.slice(raw.indexOf('\n\n') + 2)).toBe(
      `Deploy ${head.slice(0, 12)}: Initial commit\n\nSource-Commit: ${head}\nGenerated-File: Procfile`,
    )
    // A different generated file is a different tree.
    const third = await assembleArtifact({ repoRoot: repo, runner, files: [{ path: 'Procfile', content: 'web: y\n' }] })
    expect(third.tree).not.toBe(first.tree)
  })

  it("uses an explicit identity and message, defaulting the date to HEAD's committer date", async () => {
    const repo = makeRepo(project)
    const artifact = await assembleArtifact({
      repoRoot: repo,
      runner,
      author: { name: 'Deploy Bot', email: 'bot@example.com' },
      message: 'Release 1',
    })
    const raw = git(repo, 'cat-file', 'commit', artifact.commit)
    expect(raw).toContain('author Deploy Bot <bot@example.com> 1709370000 +0200')
    expect(raw.endsWith('\n\nRelease 1')).toBe(true)
  })

  it('refuses to replace tracked files unless asked, listing every collision', async () => {
    const repo = makeRepo({ ...project, Procfile: 'web: mine\n', 'app.json': '{}' })
    const attempt = assembleArtifact({
      repoRoot: repo,
      runner,
      files: [
        { path: 'Procfile', content: 'web: generated\n' },
        { path: 'app.json', content: '{"generated":true}' },
        { path: 'Dockerfile', content: 'FROM python\n' },
      ],
    })
    await expect(attempt).rejects.toBeInstanceOf(ActionError)
    await expect(attempt).rejects.toMatchObject({
      message: expect.stringMatching(/already has Procfile, app\.json; the action never replaces your own files/),
      location: { file: 'Procfile' },
    })

    const allowed = await assembleArtifact({
      repoRoot: repo,
      runner,
      files: [{ path: 'Procfile', content: 'web: generated\n', overwrite: true }],
    })
    expect(treeText(allowed.gitDir, allowed.tree).Procfile).toBe('web: generated\n')
    expect(allowed.overwritten).toEqual(['Procfile'])
  })

  it('refuses a generated file where the repository has a folder, or under a tracked file', async () => {
    const repo = makeRepo(project)
    await expect(
      assembleArtifact({ repoRoot: repo, runner, files: [{ path: 'mysite', content: 'x', overwrite: true }] }),
    ).rejects.toThrow(/mysite \(the repository has a folder there\)/)
    await expect(
      assembleArtifact({ repoRoot: repo, runner, files: [{ path: 'manage.py/extra', content: 'x' }] }),
    ).rejects.toThrow(/manage\.py\/extra \(the repository has a file at manage\.py\)/)
    await expect(assembleArtifact({ repoRoot: repo, runner, files: [{ path: '../escape', content: 'x' }] })).rejects.toThrow(
      /not in canonical form/,
    )
    await expect(
      assembleArtifact({ repoRoot: repo, runner, files: [{ path: '.git/hooks/pre-receive', content: 'x' }] }),
    ).rejects.toThrow(/inside \.git/)
  })

  it('never includes gha-creds-*.json: drops committed ones and refuses generated ones', async () => {
    const repo = makeRepo({
      ...project,
      'gha-creds-a1b2c3d4e5f60718.json': '{"private_key":"x"}',
      'nested/GHA-CREDS-x.json': '{}',
    })
    const artifact = await assembleArtifact({ repoRoot: repo, runner })
    expect(Object.keys(treeText(artifact.gitDir, artifact.tree)).sort()).toEqual([
      'bin/start.sh',
      'manage.py',
      'mysite/settings.py',
      'static-link',
    ])
    expect(artifact.excluded).toEqual(['gha-creds-a1b2c3d4e5f60718.json', 'nested/GHA-CREDS-x.json'])
    expect(artifact.warnings.join('\n')).toMatch(
      /hold Google Cloud credentials: gha-creds-a1b2c3d4e5f60718\.json, nested\/GHA-CREDS-x\.json/,
    )

    await expect(
      assembleArtifact({ repoRoot: repo, runner, files: [{ path: 'config/gha-creds-1.json', content: '{}' }] }),
    ).rejects.toThrow(/Refusing to put 'config\/gha-creds-1\.json' into the deploy artifact/)
  })
})

describe('parent chaining', () => {
  it('builds on the previous deploy so only changed objects travel', async () => {
    const repo = makeRepo(project)
    const first = await assembleArtifact({ repoRoot: repo, runner, files: [{ path: 'Procfile', content: 'web: x\n' }] })

    writeFiles(repo, { 'mysite/settings.py': 'DEBUG = False\nALLOWED_HOSTS = ["*"]\n' })
    commitAll(repo, 'Allow all hosts', '2024-03-03T12:00:00Z')
    const second = await assembleArtifact({
      repoRoot: repo,
      runner,
      parent: first.commit,
      files: [{ path: 'Procfile', content: 'web: x\n' }],
    })

    expect(second.parent).toBe(first.commit)
    expect(second.unchanged).toBe(false)
    expect(git(repo, 'rev-parse', `${second.commit}^`)).toBe(first.commit)
    // What `git push` would send to a remote that has `first`: the commit, the trees on the path
    // to the change, and the one changed blob. Nothing else.
    const objects = git(repo, 'rev-list', '--objects', second.commit, `^${first.commit}`).split('\n')
    const types = objects.map((line) => git(repo, 'cat-file', '-t', line.split(' ')[0] ?? ''))
    expect(types.filter((type) => type === 'blob')).toHaveLength(1)
    expect(objects.find((line) => line.endsWith(' mysite/settings.py'))).toBeDefined()
    expect(types.filter((type) => type === 'commit')).toHaveLength(1)
    expect(types.filter((type) => type === 'tree')).toHaveLength(2) // root and mysite/
  })

  it('returns the parent itself when it already has the same tree (a no-op push)', async () => {
    const repo = makeRepo(project)
    const first = await assembleArtifact({ repoRoot: repo, runner, files: [{ path: 'Procfile', content: 'web: x\n' }] })
    // A new commit that changes nothing in the deployed files (e.g. an empty CI-trigger commit).
    execFileSync('git', ['commit', '--quiet', '--allow-empty', '-m', 'Trigger CI'], {
      cwd: repo,
      env: { ...process.env, GIT_COMMITTER_DATE: '2024-04-01T00:00:00Z' },
    })
    const again = await assembleArtifact({
      repoRoot: repo,
      runner,
      parent: first.commit,
      files: [{ path: 'Procfile', content: 'web: x\n' }],
    })
    expect(again.commit).toBe(first.commit)
    expect(again.unchanged).toBe(true)

    const forced = await assembleArtifact({
      repoRoot: repo,
      runner,
      parent: first.commit,
      reuseUnchangedParent: false,
      files: [{ path: 'Procfile', content: 'web: x\n' }],
    })
    expect(forced.commit).not.toBe(first.commit)
    expect(forced.unchanged).toBe(false)
    expect(git(repo, 'rev-parse', `${forced.commit}^`)).toBe(first.commit)
  })

  it('accepts a revision name and explains a parent that is not in the repository', async () => {
    const repo = makeRepo(project)
    const viaName = await assembleArtifact({ repoRoot: repo, runner, parent: 'main', reuseUnchangedParent: false })
    expect(viaName.parent).toBe(git(repo, 'rev-parse', 'main'))
    await expect(assembleArtifact({ repoRoot: repo, runner, parent: 'deadbeef'.repeat(5) })).rejects.toMatchObject({
      name: 'ActionError',
      message: expect.stringMatching(/parent commit 'deadbeef.*' .* is not in the local repository/),
      hint: expect.stringMatching(/git fetch --depth=1/),
    })
  })
})

describe('repository corner cases', () => {
  it('reports submodules as referenced only', async () => {
    const inner = makeRepo({ 'lib.py': 'x = 1\n' })
    const repo = makeRepo(project)
    git(repo, '-c', 'protocol.file.allow=always', 'submodule', '--quiet', 'add', inner, 'vendor/lib')
    commitAll(repo, 'Add submodule')
    const artifact = await assembleArtifact({ repoRoot: repo, runner })
    expect(artifact.submodules).toEqual(['vendor/lib'])
    expect(artifact.stats.files).toBe(5) // project + .gitmodules; the submodule is not a file
    expect(artifact.warnings.join('\n')).toMatch(/Submodules are referenced by commit only.*vendor\/lib/)
  })

  it.runIf(process.getuid?.() === 0)("explains git's dubious-ownership refusal (real check, needs root to chown)", async () => {
    const repo = makeRepo(project)
    execFileSync('chown', ['-R', '54321:54321', repo])
    await expect(assembleArtifact({ repoRoot: repo, runner })).rejects.toMatchObject({
      name: 'ActionError',
      input: 'working-directory',
      message: expect.stringMatching(/dubious ownership/),
      hint: expect.stringContaining(`git config --global --add safe.directory "${repo}"`),
    })
  })

  it("explains a dubious-ownership refusal (git's message fed through the runner)", async () => {
    const repo = makeRepo(project)
    const refusing: CommandRunner = {
      run: async (command, args, options) =>
        args[0] === 'rev-parse' && args.includes('--show-toplevel')
          ? { exitCode: 128, stdout: '', stderr: `fatal: detected dubious ownership in repository at '${repo}'\n` }
          : runner.run(command, args, options),
    }
    await expect(assembleArtifact({ repoRoot: repo, runner: refusing })).rejects.toMatchObject({
      input: 'working-directory',
      hint: expect.stringContaining(`git config --global --add safe.directory "${repo}"`),
    })
  })

  it('says so when git itself is missing', async () => {
    const repo = makeRepo(project)
    const noGit: CommandRunner = { run: (command, args, options) => spawnRunner.run(`${command}-not-installed`, args, options) }
    await expect(assembleArtifact({ repoRoot: repo, runner: noGit })).rejects.toThrow(/git is not installed/)
  })

  it('does not pick up an index or git dir from the environment', async () => {
    const repo = makeRepo(project)
    const decoy = join(repo, 'decoy-index')
    writeFileSync(decoy, 'not an index')
    const saved = { GIT_INDEX_FILE: process.env.GIT_INDEX_FILE, GIT_DIR: process.env.GIT_DIR }
    process.env.GIT_INDEX_FILE = decoy
    process.env.GIT_DIR = '/nonexistent'
    try {
      const artifact = await assembleArtifact({ repoRoot: repo, runner, files: [{ path: 'Procfile', content: 'web: x\n' }] })
      expect(treeText(artifact.gitDir, artifact.tree).Procfile).toBe('web: x\n')
    } finally {
      for (const [key, value] of Object.entries(saved)) {
        if (value === undefined) delete process.env[key]
        else process.env[key] = value
      }
    }
  })
})
