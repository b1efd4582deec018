#!/usr/bin/env node
// npm run bench [-- <name>... [options for a single benchmark]]
//
// Runs the benchmarks in test/bench/ one after another (never concurrently: each compares against
// a baseline measured in the same run, and two benchmarks sharing two cores would skew both).
// Each prints its own table with ratios against its named baseline.
//
//   npm run bench                      all of them: dokku, static, cloudrun, images
//   npm run bench -- static --repeat 3 one benchmark, with its own options
//   npm run bench -- netlify-upload    only when named: it waits minutes for the rate limit (see the file)
//   npm run bench -- static-e2e        only when named: the action's bundle end to end on ~1,500 and ~10,000 pages (minutes)
//
// The static benchmark compares our Netlify uploader with netlify-cli; the CLI is installed on
// first use into .tools/netlify-cli (git-ignored, never committed). Pass --no-netlify-cli to skip it.
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import path from 'node:path'

const root = path.resolve(import.meta.dirname, '..')
const all = ['dokku', 'static', 'cloudrun', 'images']
// Run only when named: longer than ~2 minutes.
const named = ['netlify-upload', 'static-e2e']
const args = process.argv.slice(2)
const names = args.filter((arg) => all.includes(arg) || named.includes(arg))
const options = args.filter((arg) => !all.includes(arg) && !named.includes(arg))
const selected = names.length ? names : all
if (options.length && selected.length > 1) {
  console.error(
    `bench: options (${options.join(' ')}) apply to one benchmark; name it, e.g. npm run bench -- static ${options.join(' ')}`,
  )
  process.exit(2)
}

const env = { ...process.env }
if (selected.includes('static') && !options.includes('--no-netlify-cli') && !env.NETLIFY_CLI) {
  const cli = path.join(root, '.tools', 'netlify-cli', 'node_modules', '.bin', 'netlify')
  if (!existsSync(cli)) {
    console.log(
      "bench: installing netlify-cli into .tools/netlify-cli (the static benchmark's baseline; not a dependency of the project)",
    )
    const install = spawnSync(
      'npm',
      ['install', '--no-save', '--no-audit', '--no-fund', '--prefix', path.join(root, '.tools', 'netlify-cli'), 'netlify-cli'],
      { stdio: 'inherit' },
    )
    if (install.status !== 0)
      console.error('bench: netlify-cli could not be installed; the static benchmark runs without that baseline')
  }
  if (existsSync(cli)) env.NETLIFY_CLI = cli
}
// netlify-upload compares with netlify-cli only when it is already installed (it says so otherwise).
if (selected.includes('netlify-upload') && !env.NETLIFY_CLI) {
  const cli = path.join(root, '.tools', 'netlify-cli', 'node_modules', '.bin', 'netlify')
  if (existsSync(cli)) env.NETLIFY_CLI = cli
}

let failed = false
for (const name of selected) {
  const file = path.join('test', 'bench', `${name}.bench.ts`)
  console.log(`\n=== ${name} (${file}) ===`)
  const result = spawnSync(
    process.execPath,
    [
      '--no-warnings',
      '--experimental-transform-types',
      '--import',
      './test/bench/ts-loader.mjs',
      file,
      ...options.filter((o) => o !== '--no-netlify-cli'),
    ],
    { cwd: root, stdio: 'inherit', env },
  )
  if (result.status !== 0) {
    console.error(`bench: ${name} exited with ${result.status ?? result.signal}`)
    failed = true
  }
}
process.exit(failed ? 1 : 0)
