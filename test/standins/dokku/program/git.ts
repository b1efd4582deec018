/**
 * The git plugin: `git-receive-pack` / `git-upload-pack` over SSH with Dokku's path handling and
 * app auto-creation, the pre-receive hook (`git-hook`) with Dokku's deploy-branch rules, and
 * git:report / git:set.
 */
import { spawnSync } from 'node:child_process'
import { chmodSync, existsSync, statSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { createApp, isValidAppName, lockHeld, NotImplemented, verifyApp } from './apps.js'
import { deploy } from './deploy.js'
import { parseFlags } from './flags.js'
import { fail, hookLine, warn } from './output.js'
import { reportCommand } from './report.js'
import { appRepo, loadApp, loadGlobal, lockFile, ROOT, saveGlobal, updateApp, type App } from './state.js'

/** cmd-git-glob: strip quotes (unless escaped) and the leading slash from git's path argument. */
function appFromPath(raw: string): string {
  return raw
    .replace(/(?<!\\)'/g, '')
    .replace(/\\'/g, "'")
    .replace(/^\//, '')
}

function computedDeployBranch(app: App | undefined, fallback = 'master'): string {
  return app?.deployBranch || loadGlobal().deployBranch || fallback
}

function createHook(name: string): void {
  const repo = appRepo(name)
  if (!existsSync(path.join(repo, 'refs'))) spawnSync('git', ['init', '-q', '--bare', repo], { stdio: 'ignore' })
  const hook = path.join(repo, 'hooks', 'pre-receive')
  writeFileSync(
    hook,
    `#!/usr/bin/env bash\nset -e\nset -o pipefail\n\ncat | DOKKU_ROOT="${process.env.DOKKU_ROOT}" ${path.join(ROOT, 'bin', 'dokku')} git-hook ${name}\n`,
  )
  chmodSync(hook, 0o755)
}

export async function gitCommand(command: string, args: string[]): Promise<void> {
  if (command === 'git-hook') return gitHook(args[0] ?? '')
  if (command === 'git-upload-pack') {
    const name = appFromPath(args[0] ?? '')
    isValidAppName(name)
    if (!loadApp(name)) await createApp(name).catch(() => undefined)
    const result = spawnSync('git-upload-pack', [appRepo(name)], { stdio: 'inherit' })
    process.exitCode = result.status ?? 1
    return
  }
  if (command.startsWith('git-')) {
    const name = appFromPath(args[0] ?? '')
    if (!loadApp(name)) isValidAppName(name)
    if (command === 'git-receive-pack' && !existsSync(path.join(appRepo(name), 'refs'))) {
      if (!loadApp(name)) await createApp(name)
      createHook(name)
    }
    const remote = command === 'git-receive-pack' ? `${command} '${appRepo(name)}'` : [command, ...args].join(' ')
    const result = spawnSync('git-shell', ['-c', remote], { stdio: 'inherit' })
    process.exitCode = result.status ?? 1
    return
  }
  switch (command) {
    case 'git:report':
      return reportCommand('git', args, (app) => gitReport(app))
    case 'git:set': {
      const { flags, positional } = parseFlags(command, args, { bool: ['global'] })
      const [appName, property, value] = flags.global ? ['--global', ...positional] : positional
      if (property !== 'deploy-branch')
        fail(
          `Invalid property specified, valid properties include: deploy-branch, keep-git-dir, rev-env-var, source-image, archive-max-files, archive-max-size`,
        )
      if (appName === '--global') {
        saveGlobal({ ...loadGlobal(), deployBranch: value || undefined })
      } else {
        const app = verifyApp(appName ?? '')
        updateApp(app.name, (latest) => ({ ...latest, deployBranch: value || undefined }))
      }
      return
    }
    case 'git:help':
      return
    default:
      throw new NotImplemented()
  }
}

function gitReport(app: App): Record<string, string> {
  const global = loadGlobal()
  const branch = computedDeployBranch(app)
  let sha = ''
  const head = spawnSync('git', ['rev-parse', 'HEAD'], { cwd: appRepo(app.name), encoding: 'utf8' })
  if (head.status === 0) sha = head.stdout.trim()
  let updated = ''
  try {
    updated = String(Math.floor(statSync(path.join(appRepo(app.name), 'refs', 'heads', branch)).mtimeMs / 1000))
  } catch {
    /* never pushed */
  }
  return {
    '--git-computed-archive-max-files': '10000',
    '--git-computed-archive-max-size': '1073741824',
    '--git-computed-deploy-branch': branch,
    '--git-computed-keep-git-dir': 'false',
    '--git-deploy-branch': app.deployBranch ?? '',
    '--git-global-archive-max-files': '',
    '--git-global-archive-max-size': '',
    '--git-global-deploy-branch': global.deployBranch ?? '',
    '--git-global-keep-git-dir': '',
    '--git-keep-git-dir': '',
    '--git-last-updated-at': updated,
    '--git-rev-env-var': 'GIT_REV',
    '--git-sha': sha,
    '--git-source-image': '',
  }
}

/** cmd-git-hook, run by the bare repository's pre-receive hook with `oldrev newrev ref` lines on stdin. */
async function gitHook(name: string): Promise<void> {
  const app = loadApp(name)
  if (!app) isValidAppName(name)
  const input = await new Promise<string>((resolve) => {
    const chunks: Buffer[] = []
    process.stdin.on('data', (chunk: Buffer) => chunks.push(chunk))
    process.stdin.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')))
  })
  const deployBranch = computedDeployBranch(app)
  for (const line of input.split('\n')) {
    const [, newrev, refname] = line.trim().split(' ')
    if (!newrev || !refname) continue
    if (refname === `refs/heads/${deployBranch}` || refname === `refs/tags/${deployBranch}`) {
      await receive(name, newrev)
    } else if (!app?.deployBranch && !loadGlobal().deployBranch) {
      const branch = refname.replace(/^refs\/heads\//, '').replace(/^refs\/tags\//, '')
      hookLine(`-----> Set ${branch} as deploy-branch`)
      if (loadApp(name)) updateApp(name, (latest) => ({ ...latest, deployBranch: branch }))
      await receive(name, newrev)
    } else {
      hookLine(`-----> WARNING: deploy did not complete, you must push to ${deployBranch}.`)
      hookLine(`-----> for example, try 'git push <dokku> ${refname.replace(/^refs\/heads\//, '')}:${deployBranch}'`)
    }
  }
}

/** git_receive_app: take the exclusive deploy lock (or fail if another deploy holds it), build, release. */
async function receive(name: string, rev: string): Promise<void> {
  if (lockHeld(name)) {
    warn(`${name} currently has a deploy lock in place. Exiting...`)
    fail("Run 'apps:unlock' to release the existing deploy lock")
  }
  writeFileSync(lockFile(name), String(process.pid))
  try {
    await deploy(name, rev)
  } finally {
    spawnSync('rm', ['-f', lockFile(name)])
  }
}
