#!/usr/bin/env node
// Build every action's dist/ with ncc: src/index.ts → dist/index.js, and src/post.ts → dist/post/index.js
// where an action has a post step. The bundles are committed; CI rebuilds and fails on any difference.
import { spawnSync } from 'node:child_process'
import { existsSync, rmSync } from 'node:fs'
import { join } from 'node:path'

const actions = process.argv.slice(2).length ? process.argv.slice(2) : ['action-dokku', 'action-static', 'action-cloudrun']
const ncc = join(import.meta.dirname, '..', 'node_modules', '.bin', 'ncc')

for (const action of actions) {
  rmSync(join(action, 'dist'), { recursive: true, force: true })
  const entries = [['src/index.ts', 'dist']]
  if (existsSync(join(action, 'src', 'post.ts'))) entries.push(['src/post.ts', 'dist/post'])
  for (const [entry, out] of entries) {
    const result = spawnSync(ncc, ['build', entry, '-o', out, '--license', 'licenses.txt', '--quiet'], {
      cwd: action,
      stdio: 'inherit',
    })
    if (result.status !== 0) {
      console.error(`bundle: ncc failed for ${action}/${entry}`)
      process.exit(result.status ?? 1)
    }
  }
  console.log(`bundle: ${action}/dist up to date`)
}
