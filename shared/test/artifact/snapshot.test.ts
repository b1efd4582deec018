import { existsSync, readdirSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { assembleArtifact, disposeArtifact } from '../../src/artifact/index.js'
import { spawnRunner as runner } from '../../src/runtime/command.js'
import { checkoutState, cleanup, git, makeRepo, tempDir, treeContents, treeText, writeFiles } from './helpers.js'

afterEach(cleanup)

describe('folders without a commit: snapshot of the files on disk', () => {
  it('a folder that is not a git repository is snapshotted (honouring .gitignore) into a temporary repository', async () => {
    const dir = tempDir('plain')
    writeFiles(dir, {
      '.gitignore': '*.pyc\n.env\nnode_modules/\n',
      'manage.py': 'print(1)\n',
      'app/__pycache__/x.pyc': 'bytecode',
      '.env': 'SECRET_KEY=hunter2\n',
      'node_modules/pkg/index.js': 'x',
      'gha-creds-0011223344556677.json': '{"private_key":"x"}',
      'sub/GHA-Creds-x.json': '{}',
      'bin/run': { content: '#!/bin/sh\n', executable: true },
    })
    const artifact = await assembleArtifact({
      repoRoot: dir,
      runner,
      files: [{ path: 'Procfile', content: 'web: x\n' }],
      tempDir: tempDir('scratch'),
    })
    expect(artifact.source).toBe('working-tree')
    expect(artifact.baseCommit).toBeNull()
    expect(artifact.temporaryGitDir).toBe(true)
    expect(artifact.gitDir.startsWith(dir)).toBe(false)
    expect(treeContents(artifact.gitDir, artifact.tree)).toEqual({
      '.gitignore': { mode: '100644', content: '*.pyc\n.env\nnode_modules/\n' },
      'manage.py': { mode: '100644', content: 'print(1)\n' },
      'bin/run': { mode: '100755', content: '#!/bin/sh\n' },
      Procfile: { mode: '100644', content: 'web: x\n' },
    })
    // The credentials file was never even hashed into the temporary object store.
    const stored = git(artifact.gitDir, 'cat-file', '--batch-all-objects', '--batch-check')
    expect(stored).not.toContain(git(dir, 'hash-object', 'gha-creds-0011223344556677.json'))
    expect(stored).not.toContain(git(dir, 'hash-object', 'sub/GHA-Creds-x.json'))
    expect(artifact.warnings[0]).toMatch(/is not a git repository: deploying the files on disk \(honouring \.gitignore\)/)
    expect(existsSync(join(dir, '.git'))).toBe(false)
    // Deterministic without any commit to take a date from.
    const again = await assembleArtifact({ repoRoot: dir, runner, files: [{ path: 'Procfile', content: 'web: x\n' }] })
    expect(again.commit).toBe(artifact.commit)
    expect(git(artifact.gitDir, 'log', '-1', '--format=%an <%ae> %at', artifact.commit)).toBe(
      'django-deploy <django-deploy@users.noreply.invalid> 315532800',
    )

    await disposeArtifact(artifact)
    await disposeArtifact(again)
    expect(existsSync(dirname(artifact.gitDir))).toBe(false)
  })

  it('an empty folder (checkout forgotten) is an error naming working-directory', async () => {
    const dir = tempDir('empty')
    writeFiles(dir, { '.gitignore': '*\n', 'ignored.txt': 'x' })
    const scratch = tempDir('scratch')
    await expect(assembleArtifact({ repoRoot: dir, runner, tempDir: scratch })).rejects.toMatchObject({
      name: 'ActionError',
      input: 'working-directory',
      message: expect.stringMatching(/no files to deploy/),
      hint: expect.stringMatching(/actions\/checkout/),
    })
    // The temporary repository is removed when assembling fails.
    expect(readdirSync(scratch)).toEqual([])
  })

  it('a repository without commits is snapshotted from disk in its own object store, leaving it untouched', async () => {
    const repo = tempDir('unborn')
    git(repo, 'init', '--quiet', '--initial-branch=main')
    writeFiles(repo, { 'manage.py': 'x\n', 'staged.py': 'y\n', 'backend/app.py': 'z\n' })
    git(repo, 'add', 'staged.py')
    const before = checkoutState(repo)
    const artifact = await assembleArtifact({ repoRoot: repo, runner })
    expect(artifact.source).toBe('working-tree')
    expect(artifact.temporaryGitDir).toBe(false)
    expect(artifact.gitDir).toBe(join(repo, '.git'))
    expect(treeText(artifact.gitDir, artifact.tree)).toEqual({ 'manage.py': 'x\n', 'staged.py': 'y\n', 'backend/app.py': 'z\n' })
    expect(artifact.warnings[0]).toMatch(/no commits yet/)
    expect(checkoutState(repo)).toEqual(before)

    const sub = await assembleArtifact({ repoRoot: repo, subdirectory: 'backend', runner })
    expect(treeText(sub.gitDir, sub.tree)).toEqual({ 'app.py': 'z\n' })
  })
})

describe("source: 'working-tree' in a repository with commits", () => {
  it('deploys what is on disk (tracked, changed and untracked, not ignored) and leaves the checkout alone', async () => {
    const repo = makeRepo({
      '.gitignore': 'dist/secret.map\n',
      'manage.py': 'v1\n',
      'old.py': 'gone soon\n',
      'vendor/keep.min.js': 'tracked though ignored?',
    })
    writeFiles(repo, {
      '.gitignore': 'dist/secret.map\nvendor/\n',
      'manage.py': 'v2\n',
      'dist/app.js': 'built',
      'dist/secret.map': 'x',
      'gha-creds-1.json': '{}',
    })
    git(repo, 'rm', '--quiet', 'old.py')
    const before = checkoutState(repo)
    const artifact = await assembleArtifact({
      repoRoot: repo,
      runner,
      source: 'working-tree',
      files: [{ path: 'Procfile', content: 'web: x\n' }],
    })
    expect(artifact.source).toBe('working-tree')
    expect(artifact.baseCommit).toBe(git(repo, 'rev-parse', 'HEAD'))
    expect(treeText(artifact.gitDir, artifact.tree)).toEqual({
      '.gitignore': 'dist/secret.map\nvendor/\n',
      'manage.py': 'v2\n',
      'dist/app.js': 'built',
      // Tracked files stay even when .gitignore now matches them, as in a commit.
      'vendor/keep.min.js': 'tracked though ignored?',
      Procfile: 'web: x\n',
    })
    expect(artifact.uncommitted).toEqual({ changed: [], untracked: [] })
    expect(git(repo, 'log', '-1', '--format=%s', artifact.commit)).toMatch(/^Deploy the working tree on top of [0-9a-f]{12}$/)
    expect(checkoutState(repo)).toEqual(before)
  })
})
