import { lstatSync, readFileSync, readdirSync, readlinkSync, writeFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { assembleArtifact, disposeArtifact, exportArtifact } from '../../src/artifact/index.js'
import { spawnRunner as runner } from '../../src/runtime/command.js'
import { checkoutState, cleanup, git, makeRepo, tempDir, writeFiles } from './helpers.js'

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
