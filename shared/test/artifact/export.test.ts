import { execFileSync } from 'node:child_process'
import { lstatSync, readFileSync, readdirSync, readlinkSync, writeFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { archiveArtifact, assembleArtifact, diffTrees, disposeArtifact, exportArtifact } from '../../src/artifact/index.js'
import { spawnRunner as runner } from '../../src/runtime/command.js'
import { checkoutState, cleanup, commitAll, git, makeRepo, tempDir, writeFiles } from './helpers.js'

afterEach(cleanup)

const project = {
  'manage.py': 'print("manage")\n',
  'mysite/settings.py': 'DEBUG = False\n',
  'bin/start.sh': { content: '#!/bin/sh\nexec gunicorn\n', executable: true },
  'static-link': { symlink: 'mysite' },
  'mysite/broken-link': { symlink: '../nowhere' },
  'with space/ünïcode.txt': 'ok\n',
}

/** path → 'file 644 <content>' | 'file 755 <content>' | 'link -> target', for a folder on disk. */
function describeFolder(root: string): Record<string, string> {
  const result: Record<string, string> = {}
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const full = join(dir, name)
      const info = lstatSync(full)
      const path = relative(root, full)
      if (info.isSymbolicLink()) result[path] = `link -> ${readlinkSync(full)}`
      else if (info.isDirectory()) walk(full)
      else result[path] = `file ${info.mode & 0o111 ? '755' : '644'} ${readFileSync(full, 'utf8')}`
    }
  }
  walk(root)
  return result
}

describe('exportArtifact', () => {
  it('writes the tree to a folder with modes and symlinks, and snapshotting it gives the same tree back', async () => {
    const repo = makeRepo(project)
    const before = checkoutState(repo)
    const artifact = await assembleArtifact({
      repoRoot: repo,
      runner,
      files: [
        { path: 'Dockerfile', content: 'FROM python:3.12\n' },
        { path: 'entry.sh', content: '#!/bin/sh\n', executable: true },
      ],
    })
    const destination = join(tempDir('export'), 'context')
    const result = await exportArtifact({ gitDir: artifact.gitDir, tree: artifact.tree, destination, runner })
    expect(describeFolder(destination)).toEqual({
      'manage.py': 'file 644 print("manage")\n',
      'mysite/settings.py': 'file 644 DEBUG = False\n',
      'mysite/broken-link': 'link -> ../nowhere',
      'bin/start.sh': 'file 755 #!/bin/sh\nexec gunicorn\n',
      'static-link': 'link -> mysite',
      'with space/ünïcode.txt': 'file 644 ok\n',
      Dockerfile: 'file 644 FROM python:3.12\n',
      'entry.sh': 'file 755 #!/bin/sh\n',
    })
    expect(result).toMatchObject({ destination, files: 8, bytes: artifact.stats.bytes })
    expect(result.files).toBe(artifact.stats.files)
    // No .git in a build context, and the user's checkout is untouched.
    expect(readdirSync(destination)).not.toContain('.git')
    expect(checkoutState(repo)).toEqual(before)

    // Round trip: the exported folder, snapshotted as a non-git folder, is the very same tree.
    const back = await assembleArtifact({ repoRoot: destination, runner })
    expect(back.tree).toBe(artifact.tree)
    await disposeArtifact(back)
  })

  it('keeps LF line endings even where core.autocrlf=true (a Windows runner)', async () => {
    const repo = makeRepo({ 'start.sh': { content: '#!/bin/sh\necho hi\n', executable: true } })
    git(repo, 'config', 'core.autocrlf', 'true')
    const artifact = await assembleArtifact({ repoRoot: repo, runner })
    const destination = tempDir('export')
    await exportArtifact({ gitDir: artifact.gitDir, tree: artifact.tree, destination, runner })
    expect(readFileSync(join(destination, 'start.sh'), 'utf8')).toBe('#!/bin/sh\necho hi\n')
  })

  it('refuses a non-empty destination, so stale files never ride along', async () => {
    const repo = makeRepo(project)
    const artifact = await assembleArtifact({ repoRoot: repo, runner })
    const destination = tempDir('export')
    writeFileSync(join(destination, 'stale.txt'), 'old')
    await expect(exportArtifact({ gitDir: artifact.gitDir, tree: artifact.tree, destination, runner })).rejects.toThrow(
      /not empty \(stale\.txt\)/,
    )
  })

  it('exports an artifact that lives in a temporary repository (non-git folder)', async () => {
    const dir = tempDir('plain')
    writeFiles(dir, { 'manage.py': 'x\n', 'run.sh': { content: '#!/bin/sh\n', executable: true } })
    const artifact = await assembleArtifact({ repoRoot: dir, runner, files: [{ path: 'Procfile', content: 'web: x\n' }] })
    const destination = tempDir('export')
    await exportArtifact({ gitDir: artifact.gitDir, tree: artifact.commit, destination, runner })
    expect(describeFolder(destination)).toEqual({
      'manage.py': 'file 644 x\n',
      'run.sh': 'file 755 #!/bin/sh\n',
      Procfile: 'file 644 web: x\n',
    })
    await disposeArtifact(artifact)
  })
})

describe('archiveArtifact', () => {
  it('writes a tar of the commit, byte-for-byte reproducible, with modes and symlinks', async () => {
    const repo = makeRepo(project)
    const artifact = await assembleArtifact({ repoRoot: repo, runner, files: [{ path: 'Procfile', content: 'web: x\n' }] })
    const out = tempDir('archive')
    const first = await archiveArtifact({
      gitDir: artifact.gitDir,
      treeish: artifact.commit,
      output: join(out, 'a/app.tar'),
      runner,
    })
    const second = await archiveArtifact({
      gitDir: artifact.gitDir,
      treeish: artifact.commit,
      output: join(out, 'b/app.tar'),
      runner,
    })
    expect(first.bytes).toBeGreaterThan(0)
    expect(readFileSync(first.path).equals(readFileSync(second.path))).toBe(true)
    const listing = execFileSync('tar', ['-tvf', first.path], { encoding: 'utf8' })
    expect(listing).toMatch(/^-rwxr-xr-x .* bin\/start\.sh$/m)
    expect(listing).toMatch(/^lrwxrwxrwx .* static-link -> mysite$/m)
    expect(listing).toMatch(/^-rw-r--r-- .* Procfile$/m)

    const extracted = tempDir('untar')
    execFileSync('tar', ['-xf', first.path, '-C', extracted])
    expect(readFileSync(join(extracted, 'Procfile'), 'utf8')).toBe('web: x\n')
  })

  it('supports tar.gz and a path prefix', async () => {
    const repo = makeRepo(project)
    const artifact = await assembleArtifact({ repoRoot: repo, runner })
    const result = await archiveArtifact({
      gitDir: artifact.gitDir,
      treeish: artifact.commit,
      output: join(tempDir('archive'), 'app.tgz'),
      format: 'tar.gz',
      prefix: 'app',
      runner,
    })
    expect(readFileSync(result.path).subarray(0, 2)).toEqual(Buffer.from([0x1f, 0x8b]))
    expect(execFileSync('tar', ['-tzf', result.path], { encoding: 'utf8' })).toMatch(/^app\/manage\.py$/m)
  })
})

describe('diffTrees', () => {
  it('lists what changed between two deploys, and everything for a first deploy', async () => {
    const repo = makeRepo(project)
    const first = await assembleArtifact({ repoRoot: repo, runner, files: [{ path: 'Procfile', content: 'web: x\n' }] })
    writeFiles(repo, {
      'mysite/settings.py': 'DEBUG = True\n',
      'mysite/urls.py': 'urls = []\n',
      'bin/start.sh': { content: 'exec gunicorn\n' },
    })
    git(repo, 'rm', '--quiet', 'manage.py')
    git(repo, 'add', '--all')
    commitAll(repo, 'Change things')
    const second = await assembleArtifact({ repoRoot: repo, runner, files: [{ path: 'Procfile', content: 'web: x\n' }] })

    const diff = await diffTrees({ gitDir: second.gitDir, from: first.commit, to: second.tree, runner })
    expect(diff.changes).toEqual([
      { status: 'modified', path: 'bin/start.sh' },
      { status: 'deleted', path: 'manage.py' },
      { status: 'modified', path: 'mysite/settings.py' },
      { status: 'added', path: 'mysite/urls.py' },
    ])
    expect(diff.summary).toBe('4 files changed (1 added, 2 modified, 1 deleted)')

    const none = await diffTrees({ gitDir: second.gitDir, from: second.tree, to: second.commit, runner })
    expect(none.summary).toBe('no files changed')
    const initial = await diffTrees({ gitDir: first.gitDir, from: null, to: first.tree, runner })
    expect(initial.added).toBe(first.stats.files)
    await expect(diffTrees({ gitDir: first.gitDir, from: 'f'.repeat(40), to: first.tree, runner })).rejects.toThrow(
      /is not a tree or commit.*fetch it first/,
    )
  })
})
