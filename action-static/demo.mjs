#!/usr/bin/env node
// The demo: run the bundled action (dist/index.js) exactly as GitHub runs it — INPUT_* variables,
// GITHUB_OUTPUT and GITHUB_STEP_SUMMARY files — on the example site in test/fixtures/example-site,
// with provider: directory. No account, no network. The site ends up in ./_site.
//
//   node action-static/demo.mjs            (npm run demo)
import { spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'

const repo = path.resolve(import.meta.dirname, '..')
const scratch = mkdtempSync(path.join(tmpdir(), 'action-static-demo-'))

// The action runs `python3` from PATH, as on a runner after actions/setup-python. Here, use the
// first python3 that has Django (Debian's /usr/bin/python3 on this project's machines).
const candidates = [...new Set(['python3', '/usr/bin/python3'])]
const python = candidates.find((candidate) => spawnSync(candidate, ['-c', 'import django'], { stdio: 'ignore' }).status === 0)
if (!python) {
  console.error(
    'demo: no python3 with Django found (tried python3 and /usr/bin/python3). Install Django 4.2 (apt-get install python3-django).',
  )
  process.exit(1)
}
const bin = path.join(scratch, 'bin')
mkdirSync(bin)
symlinkSync(
  spawnSync(python, ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' }).stdout.trim(),
  path.join(bin, 'python3'),
)

const outputFile = path.join(scratch, 'output')
const summaryFile = path.join(scratch, 'summary.md')
const env = {
  ...process.env,
  PATH: `${bin}${path.delimiter}${process.env.PATH}`,
  GITHUB_WORKSPACE: repo,
  GITHUB_OUTPUT: outputFile,
  GITHUB_STEP_SUMMARY: summaryFile,
  RUNNER_TEMP: scratch,
  'INPUT_WORKING-DIRECTORY': 'test/fixtures/example-site',
  INPUT_PROVIDER: 'directory',
  'INPUT_OUTPUT-DIR': '_site',
  'INPUT_BASE-URL': 'http://localhost:8000',
  INPUT_GENERATOR: 'auto',
  'INPUT_FAIL-ON-BROKEN-LINKS': 'true',
  INPUT_MODE: 'all',
  INPUT_TIMEOUT: '10',
  'INPUT_DRY-RUN': 'false',
}
for (const name of Object.keys(env)) if (name.startsWith('GITHUB_EVENT') || name === 'GITHUB_REPOSITORY') delete env[name]
for (const file of [outputFile, summaryFile]) rmSync(file, { force: true })
spawnSync('touch', [outputFile, summaryFile])

process.stdout.write('Running action-static (dist/index.js) on test/fixtures/example-site with provider: directory …\n\n')
const result = spawnSync(process.execPath, [path.join(repo, 'action-static', 'dist', 'index.js')], {
  env,
  stdio: 'inherit',
  cwd: repo,
})
const outputs = Object.fromEntries(
  [...readFileSync(outputFile, 'utf8').matchAll(/^([\w-]+)<<(\S+)\n([\s\S]*?)\n\2$/gm)].map((match) => [match[1], match[3]]),
)
rmSync(scratch, { recursive: true, force: true })
if (result.status !== 0) {
  console.error(`\ndemo: the action failed (exit code ${result.status}); see the log above.`)
  process.exit(result.status ?? 1)
}
const site = path.join(repo, outputs['output-dir'] ?? '_site')
process.stdout.write(`
────────────────────────────────────────────────────────────────
The static site is in ${site}
  ${outputs.pages} pages, ${outputs.files} files (plus _redirects and _headers for Netlify)

Look at it:
  python3 -m http.server 8000 -d ${path.relative(process.cwd(), site) || '.'}
  then open http://localhost:8000/
(A plain file server ignores _redirects/_headers; Netlify applies them.)
────────────────────────────────────────────────────────────────
`)
