import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { ACTIONS, readActionSpec, ROOT, type ActionSpec } from '../../scripts/action-docs.js'
import { workflowErrors } from './lib/parser.js'
import { checkWorkflow } from './lib/workflow-check.js'

/**
 * The repository's own workflows: GitHub's parser accepts them, they use our actions' real
 * inputs and outputs, and they keep the promises CONTRIBUTING.md makes about CI and releases.
 */
const WORKFLOWS = path.join(ROOT, '.github', 'workflows')
const files = readdirSync(WORKFLOWS).filter((name) => /\.ya?ml$/.test(name))
// Read when a test needs it: an action.yml that does not parse fails those tests, not the whole file.
const specs = (): Map<string, ActionSpec> =>
  new Map(ACTIONS.map((action) => [action, readActionSpec(path.join(ROOT, action, 'action.yml'))]))

type Mapping = Record<string, any> // eslint-disable-line @typescript-eslint/no-explicit-any
const load = (name: string): Mapping => parse(readFileSync(path.join(WORKFLOWS, name), 'utf8')) as Mapping
const steps = (job: Mapping): Mapping[] => job.steps as Mapping[]

describe.each(files)('.github/workflows/%s', (name) => {
  const text = readFileSync(path.join(WORKFLOWS, name), 'utf8')

  it("parses with GitHub's workflow parser, without errors", () => {
    expect(workflowErrors(name, text)).toEqual([])
  })

  it('uses only inputs and outputs our actions have, and gives their required inputs', () => {
    expect(checkWorkflow(text, specs()).problems).toEqual([])
  })

  it('declares least-privilege permissions at the top (contents: read) and a concurrency group', () => {
    const workflow = load(name)
    expect(workflow.permissions).toEqual({ contents: 'read' })
    expect(workflow.concurrency?.group).toMatch(/\$\{\{/)
  })

  it('takes Node from .node-version wherever it sets Node up', () => {
    for (const job of Object.values(load(name).jobs as Record<string, Mapping>)) {
      for (const step of steps(job).filter((candidate) => String(candidate.uses ?? '').startsWith('actions/setup-node@'))) {
        expect(step.with?.['node-version-file']).toBe('.node-version')
      }
    }
  })

  it('never puts an expression inside a run: script (values go through env:)', () => {
    for (const job of Object.values(load(name).jobs as Record<string, Mapping>)) {
      for (const step of steps(job).filter((candidate) => typeof candidate.run === 'string'))
        expect(step.run, step.name).not.toMatch(/\$\{\{/)
    }
  })
})

describe('ci.yml', () => {
  const ci = load('ci.yml')

  it('runs .ci/run (install, dist check, type-check, lint, npm test) on a fresh Debian', () => {
    expect(ci.jobs.test.container).toBe('debian:bookworm')
    expect(steps(ci.jobs.test).map((step) => step.run)).toContain('.ci/run')
  })

  it('compares every dist/ with a fresh bundle, and uploads the expected one when they differ', () => {
    const check = steps(ci.jobs['check-dist'])
    expect(check.map((step) => step.run)).toContain('npm run bundle')
    const diff = check.find((step) => step.id === 'diff')
    expect(diff?.run).toContain("-- '*/dist'")
    const upload = check.find((step) => String(step.uses ?? '').startsWith('actions/upload-artifact@'))
    expect(upload?.if).toMatch(/failure\(\) && steps\.diff\.outcome == 'failure'/)
    expect(check.indexOf(upload as Mapping)).toBeGreaterThan(check.indexOf(diff as Mapping))
  })

  it('runs each action through uses: ./action-* and checks what it outputs', () => {
    const job = ci.jobs.actions
    const { usages } = checkWorkflow(readFileSync(path.join(WORKFLOWS, 'ci.yml'), 'utf8'), specs())
    for (const action of ACTIONS) {
      const ids = usages.filter((usage) => usage.job === 'actions' && usage.action === action).map((usage) => usage.stepId)
      expect(ids.length, `${action} is run`).toBeGreaterThan(0)
      // Some later step reads the outputs of the first run of each action.
      const readers = JSON.stringify(steps(job).filter((step) => step.run))
      const read = JSON.stringify(steps(job).map((step) => step.env ?? {}))
      expect(`${readers}${read}`).toMatch(new RegExp(`steps\\.${ids[0]}\\.outputs\\.`))
    }
    const start = steps(job).find((step) => step.id === 'standins')
    expect(start?.run).toContain('test/repo/ci/standins.ts start')
    expect(steps(job).at(-1)).toMatchObject({ if: 'always()', run: expect.stringContaining('standins.ts stop') })
  })

  it('prepares the stand-in job with the same .ci/install that .ci/run uses', () => {
    const install = steps(ci.jobs.actions).find((step) => String(step.name).startsWith('Debian packages'))
    expect(install?.run).toBe('.ci/install')
    expect(readFileSync(path.join(ROOT, '.ci', 'run'), 'utf8')).toMatch(/^source \.ci\/install$/m)
  })
})

describe('release.yml', () => {
  const release = load('release.yml')

  it('runs on per-action version tags only', () => {
    expect(release.on.push.tags).toEqual(['action-dokku-v*', 'action-static-v*', 'action-cloudrun-v*'])
  })

  it('publishes with scripts/publish.ts behind the release environment, with a token for that repository only', () => {
    const job = release.jobs.publish
    expect(job.environment).toBe('release')
    const publishSteps = steps(job).filter((step) => String(step.run ?? '').includes('node scripts/publish.ts'))
    expect(publishSteps.length).toBeGreaterThan(0)
    for (const step of publishSteps) expect(step.run).toContain('--require-changelog')
    const token = steps(job).find((step) => String(step.uses ?? '').startsWith('actions/create-github-app-token@'))
    expect(token?.with?.repositories).toBe('${{ steps.release.outputs.action }}')
  })
})

describe('dependabot.yml', () => {
  it('updates npm and GitHub Actions, but never to TypeScript 7 (it breaks ncc)', () => {
    const config = parse(readFileSync(path.join(ROOT, '.github', 'dependabot.yml'), 'utf8')) as Mapping
    expect(config.updates.map((update: Mapping) => update['package-ecosystem']).sort()).toEqual(['github-actions', 'npm'])
    const npm = config.updates.find((update: Mapping) => update['package-ecosystem'] === 'npm')
    expect(npm.ignore).toContainEqual({ 'dependency-name': 'typescript', versions: ['>=7'] })
  })
})
