import { afterEach, describe, expect, it } from 'vitest'
import { assembleArtifact } from '../../src/artifact/index.js'
import { spawnRunner as runner } from '../../src/runtime/command.js'
import { checkoutState, cleanup, git, makeRepo, treeText, writeFiles } from './helpers.js'
import { join } from 'node:path'

afterEach(cleanup)

/** A monorepo: the Django app lives in backend/, next to a frontend and shared files. */
const monorepo = {
  'README.md': '# mono\n',
  'frontend/package.json': '{}',
  'backend/manage.py': 'print(1)\n',
  'backend/app/settings.py': 'X = 1\n',
  'backend/Procfile': 'web: mine\n',
}

describe('subdirectory (monorepo)', () => {
  it('makes the folder the artifact root, with generated paths relative to it', async () => {
    const repo = makeRepo(monorepo)
    const before = checkoutState(repo)
    const artifact = await assembleArtifact({
      repoRoot: repo,
      subdirectory: 'backend',
      runner,
      files: [{ path: 'Dockerfile', content: 'FROM python\n' }],
    })
    expect(treeText(artifact.gitDir, artifact.tree)).toEqual({
      'manage.py': 'print(1)\n',
      'app/settings.py': 'X = 1\n',
      Procfile: 'web: mine\n',
      Dockerfile: 'FROM python\n',
    })
    expect(artifact.baseTree).toBe(git(repo, 'rev-parse', 'HEAD:backend'))
    expect(artifact.subdirectory).toBe('backend')
    expect(git(repo, 'log', '-1', '--format=%B', artifact.commit)).toContain('Source-Directory: backend')
    expect(checkoutState(repo)).toEqual(before)
  })

  it('accepts ./, trailing slashes and backslashes, and a repoRoot inside the repository', async () => {
    const repo = makeRepo(monorepo)
    const plain = await assembleArtifact({ repoRoot: repo, subdirectory: 'backend/app', runner })
    for (const spelling of ['./backend/app/', 'backend\\app', 'backend//app']) {
      expect((await assembleArtifact({ repoRoot: repo, subdirectory: spelling, runner })).tree).toBe(plain.tree)
    }
    const nested = await assembleArtifact({ repoRoot: join(repo, 'backend'), subdirectory: 'app', runner })
    expect(nested.tree).toBe(plain.tree)
    expect(nested.subdirectory).toBe('backend/app')
  })

  it('reports collisions and uncommitted files relative to the folder', async () => {
    const repo = makeRepo(monorepo)
    await expect(
      assembleArtifact({
        repoRoot: repo,
        subdirectory: 'backend',
        runner,
        files: [{ path: 'Procfile', content: 'web: generated\n' }],
      }),
    ).rejects.toMatchObject({
      message: expect.stringMatching(/already has Procfile in 'backend\/'/),
      location: { file: 'backend/Procfile' },
    })
    writeFiles(repo, { 'backend/manage.py': 'edited\n', 'frontend/package.json': '{"edited":true}' })
    const artifact = await assembleArtifact({ repoRoot: repo, subdirectory: 'backend', runner })
    // Changes outside the deployed folder are none of the deploy's business.
    expect(artifact.uncommitted).toEqual({ changed: ['manage.py'], untracked: [] })
    expect(artifact.warnings[0]).toMatch(/^Uncommitted files in 'backend\/' are not deployed/)
  })

  it('names the working-directory input when the folder is missing, untracked, a file, or outside', async () => {
    const repo = makeRepo(monorepo)
    await expect(assembleArtifact({ repoRoot: repo, subdirectory: 'api', runner })).rejects.toMatchObject({
      name: 'ActionError',
      input: 'working-directory',
      message: expect.stringMatching(/The folder 'api' does not exist in the repository \(HEAD, [0-9a-f]{12}\)/),
    })
    writeFiles(repo, { 'generated/manage.py': 'x' })
    await expect(assembleArtifact({ repoRoot: repo, subdirectory: 'generated', runner })).rejects.toMatchObject({
      input: 'working-directory',
      message: expect.stringMatching(/exists on disk but not in the commit being deployed/),
    })
    await expect(assembleArtifact({ repoRoot: repo, subdirectory: 'README.md', runner })).rejects.toMatchObject({
      input: 'working-directory',
      message: expect.stringMatching(/is a file in the repository/),
    })
    await expect(assembleArtifact({ repoRoot: repo, subdirectory: '../elsewhere', runner })).rejects.toMatchObject({
      input: 'working-directory',
    })
    await expect(assembleArtifact({ repoRoot: repo, subdirectory: '/abs/path', runner })).rejects.toMatchObject({
      input: 'working-directory',
    })
    await expect(assembleArtifact({ repoRoot: join(repo, 'nope'), runner, input: 'path' })).rejects.toMatchObject({
      input: 'path',
      message: expect.stringMatching(/does not exist/),
    })
  })
})
