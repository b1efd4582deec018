import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { ACTIONS, generatedFiles, readActionSpec, ROOT, type ActionSpec } from '../../scripts/action-docs.js'
import { workflowErrors } from './lib/parser.js'
import { checkWorkflow, fencedBlocks, ourAction } from './lib/workflow-check.js'

/**
 * The documentation keeps its promises: generated tables match action.yml, every example workflow
 * parses with GitHub's parser and uses only inputs and outputs that exist, links resolve, and each
 * action README covers the events and the problems newcomers meet.
 */
type Mapping = Record<string, any> // eslint-disable-line @typescript-eslint/no-explicit-any

function markdownFiles(): string[] {
  const docs = existsSync(path.join(ROOT, 'docs'))
    ? readdirSync(path.join(ROOT, 'docs'), { recursive: true, encoding: 'utf8' })
        .filter((file) => file.endsWith('.md'))
        .map((file) => path.join('docs', file))
    : []
  return [
    'README.md',
    'SECURITY.md',
    'CONTRIBUTING.md',
    'CHANGELOG.md',
    ...ACTIONS.map((action) => `${action}/README.md`),
    ...docs,
  ]
}

const read = (file: string) => readFileSync(path.join(ROOT, file), 'utf8')
const specs = (): Map<string, ActionSpec> =>
  new Map(ACTIONS.map((action) => [action, readActionSpec(path.join(ROOT, action, 'action.yml'))]))

interface Example {
  file: string
  line: number
  text: string
  workflow: Mapping
  /** Set when the block is not YAML at all (the workflow is then empty). */
  yamlError?: string
}

function examples(file: string): Example[] {
  return fencedBlocks(read(file))
    .filter((block) => block.lang === 'yaml' || block.lang === 'yml')
    .map((block) => {
      try {
        return { file, line: block.line, text: block.content, workflow: (parse(block.content) ?? {}) as Mapping }
      } catch (error) {
        return { file, line: block.line, text: block.content, workflow: {}, yamlError: (error as Error).message }
      }
    })
}

const steps = (workflow: Mapping): Mapping[] =>
  Object.values((workflow.jobs ?? {}) as Record<string, Mapping>).flatMap((job) => (Array.isArray(job.steps) ? job.steps : []))
const events = (workflow: Mapping): Mapping =>
  typeof workflow.on === 'string'
    ? { [workflow.on]: null }
    : Array.isArray(workflow.on)
      ? Object.fromEntries(workflow.on.map((name: string) => [name, null]))
      : (workflow.on ?? {})

describe('generated tables', () => {
  it('every README input/output table and the overlay variable table are what scripts/action-docs.ts generates', async () => {
    const stale = (await generatedFiles())
      .filter((entry) => entry.current !== entry.expected)
      .map((entry) => path.relative(ROOT, entry.file))
    expect(stale, 'run: node scripts/action-docs.ts').toEqual([])
  })

  it.each(ACTIONS)('%s/README.md lists exactly the inputs and outputs of action.yml', (action) => {
    const spec = readActionSpec(path.join(ROOT, action, 'action.yml'))
    const readme = read(`${action}/README.md`)
    const region = (name: string) =>
      readme.slice(readme.indexOf(`<!-- generated:${name}`), readme.indexOf(`<!-- /generated:${name} -->`))
    const names = (text: string) => [...text.matchAll(/^\| `([a-z0-9-]+)` \|/gm)].map((match) => match[1])
    expect(names(region('inputs'))).toEqual(spec.inputs.map((input) => input.name))
    expect(names(region('outputs'))).toEqual(spec.outputs.map((output) => output.name))
  })
})

describe.each(markdownFiles().filter((file) => existsSync(path.join(ROOT, file))))('%s', (file) => {
  const blocks = examples(file)

  it.skipIf(blocks.length === 0)("every yaml example is a complete workflow that GitHub's parser accepts", () => {
    for (const example of blocks) {
      expect(example.yamlError, `${file}:${example.line}`).toBeUndefined()
      expect(
        Object.keys(example.workflow ?? {}),
        `${file}:${example.line} must be a whole workflow file (on: and jobs:)`,
      ).toEqual(expect.arrayContaining(['on', 'jobs']))
      expect(workflowErrors(`${file}:${example.line}`, example.text), `${file}:${example.line}`).toEqual([])
    }
  })

  it.skipIf(blocks.length === 0)(
    'every example uses only inputs and outputs our actions have, and gives their required inputs',
    () => {
      const actions = specs()
      for (const example of blocks.filter((block) => !block.yamlError))
        expect(checkWorkflow(example.text, actions).problems, `${file}:${example.line}`).toEqual([])
    },
  )

  it('links only to files that exist, and to headings that exist', () => {
    const text = read(file)
    const prose = text.replace(/^(`{3,}|~{3,})[^\n]*\n[\s\S]*?^\1\s*$/gm, '')
    const targets = [...prose.matchAll(/!?\[[^\]]*\]\((?:<([^>]+)>|([^)\s]+))(?:\s+"[^"]*")?\)/g)].map(
      (match) => (match[1] ?? match[2]) as string,
    )
    for (const target of targets.filter((link) => !/^[a-z][a-z0-9+.-]*:/i.test(link))) {
      const [filePart = '', anchor] = target.split('#')
      const resolved = filePart ? path.join(path.dirname(path.join(ROOT, file)), filePart) : path.join(ROOT, file)
      expect(existsSync(resolved), `${file} links to ${target}`).toBe(true)
      if (anchor && statSync(resolved).isFile() && resolved.endsWith('.md'))
        expect(headingSlugs(readFileSync(resolved, 'utf8')), `${file} links to ${target}`).toContain(anchor)
    }
  })
})

/** GitHub's heading anchors: lowercase, punctuation dropped, spaces to dashes. */
function headingSlugs(markdown: string): string[] {
  const prose = markdown.replace(/^(`{3,}|~{3,})[^\n]*\n[\s\S]*?^\1\s*$/gm, '')
  return [...prose.matchAll(/^#{1,6}\s+(.+)$/gm)].map((match) =>
    (match[1] ?? '')
      .trim()
      .toLowerCase()
      .replace(/`/g, '')
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-'),
  )
}

describe.each(ACTIONS)('%s/README.md', (action) => {
  const readme = read(`${action}/README.md`)
  const own = examples(`${action}/README.md`).filter((example) =>
    steps(example.workflow).some((step) => ourAction(String(step.uses ?? '')) === action),
  )

  it('shows its action published as django-deploy/<action>@v1, never a path into this repository', () => {
    const uses = own
      .flatMap((example) => steps(example.workflow).map((step) => String(step.uses ?? '')))
      .filter((uses) => ourAction(uses) === action)
    expect(uses.length).toBeGreaterThan(0)
    for (const value of uses) expect(value).toBe(`django-deploy/${action}@v1`)
  })

  it('has copy-paste workflows for a push to main, pull requests (with the closed event), a manual deploy with an environment choice, all with concurrency', () => {
    const on = own.map((example) => events(example.workflow))
    expect(on.some((trigger) => 'push' in trigger && JSON.stringify(trigger.push ?? {}).includes('main'))).toBe(true)
    const closing = own.filter((example) => {
      const trigger = events(example.workflow)
      const types = (trigger.pull_request ?? trigger.pull_request_target)?.types ?? []
      return types.includes('closed')
    })
    expect(closing.length, 'a workflow that cleans up when a pull request closes').toBeGreaterThan(0)
    const manual = own.find((example) => events(example.workflow).workflow_dispatch?.inputs?.environment?.type === 'choice')
    expect(manual, 'a workflow_dispatch deploy with an environment choice').toBeDefined()
    for (const example of own)
      expect(
        example.workflow.concurrency ??
          Object.values(example.workflow.jobs as Record<string, Mapping>).some((job) => job.concurrency),
        `${action}/README.md:${example.line} has no concurrency`,
      ).toBeTruthy()
  })

  it('has a troubleshooting section on DisallowedHost, CSRF behind HTTPS, static files with DEBUG off, shallow clones, host keys and media', () => {
    const troubleshooting = readme.slice(readme.indexOf('## Troubleshooting'))
    expect(readme).toContain('## Troubleshooting')
    for (const topic of [
      /DisallowedHost/,
      /CSRF/,
      /Static files 404 with `DEBUG` off/,
      /Shallow clones/,
      /Host key verification/,
      /media/i,
    ])
      expect(troubleshooting).toMatch(topic)
  })
})

describe('action-static/README.md', () => {
  it('documents the fork-safe two-workflow pattern: build on pull_request without secrets, deploy on workflow_run without PR code', () => {
    const all = examples('action-static/README.md')
    const build = all.find(
      (example) =>
        'pull_request' in events(example.workflow) && steps(example.workflow).some((step) => step.with?.mode === 'build'),
    )
    expect(build?.workflow.permissions).toEqual({ contents: 'read' })
    expect(steps(build?.workflow ?? {}).some((step) => String(step.uses).startsWith('actions/upload-artifact@'))).toBe(true)
    const deploy = all.find((example) => 'workflow_run' in events(example.workflow))
    expect(events(deploy?.workflow ?? {}).workflow_run.workflows).toEqual([build?.workflow.name])
    const deploySteps = steps(deploy?.workflow ?? {})
    expect(
      deploySteps.some((step) => String(step.uses).startsWith('actions/checkout@')),
      'the deploy half never checks out PR code',
    ).toBe(false)
    expect(deploySteps.find((step) => ourAction(String(step.uses)) === 'action-static')?.with?.mode).toBe('deploy')
  })
})

describe('README.md', () => {
  const readme = read('README.md')
  const scripts = (JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts

  it('states the two commands, and package.json has them', () => {
    expect(readme).toContain('`npm run demo`')
    expect(readme).toContain('`npm test`')
    expect(readme).toContain('.ci/run')
    // Each command prepares a fresh machine itself, then runs (scripts/test.sh, scripts/demo.sh).
    expect(scripts.test).toBe('bash scripts/test.sh')
    expect(read('scripts/test.sh')).toMatch(/^source \.ci\/install$/m)
    expect(read('scripts/test.sh')).toMatch(/npm ci/)
    expect(read('scripts/test.sh')).toMatch(/vitest run/)
    expect(scripts.demo).toBe('bash scripts/demo.sh')
    expect(read('scripts/demo.sh')).toMatch(/node@24/)
    expect(read('scripts/demo.sh')).toMatch(/python3-django/)
    expect(read('scripts/demo.sh')).toMatch(/exec node action-static\/demo\.mjs/)
    expect(existsSync(path.join(ROOT, 'action-static', 'demo.mjs'))).toBe(true)
  })

  it('explains the three roads and gives a quickstart workflow for each action', () => {
    for (const road of ['Fastest to production', 'Mostly-static content on a CDN', 'Needs to scale'])
      expect(readme).toContain(road)
    const used = examples('README.md')
      .flatMap((example) => steps(example.workflow).map((step) => ourAction(String(step.uses ?? ''))))
      .filter(Boolean)
    expect(new Set(used)).toEqual(new Set(ACTIONS))
  })
})

describe('SECURITY.md, LICENSE, CHANGELOG.md, CONTRIBUTING.md', () => {
  it('SECURITY.md covers host keys, secrets, pull requests from forks, and what a Dokku deploy key can do (dokku-acl)', () => {
    const security = read('SECURITY.md')
    for (const topic of [
      /## Reporting/,
      /host key/i,
      /secret/i,
      /fork/i,
      /deploy key/i,
      /dokku-acl/,
      /config:show/,
      /ssh-keys:remove/,
    ])
      expect(security).toMatch(topic)
  })

  it('LICENSE is the MIT licence', () => {
    expect(read('LICENSE')).toMatch(/^MIT License\n\nCopyright \(c\) \d{4} .+\n\nPermission is hereby granted, free of charge/)
  })

  it('CHANGELOG.md follows Keep a Changelog with an Unreleased section per action', () => {
    const changelog = read('CHANGELOG.md')
    expect(changelog).toContain('keepachangelog.com')
    for (const action of ACTIONS) {
      const part = changelog.slice(changelog.indexOf(`## ${action}\n`))
      expect(changelog).toContain(`## ${action}\n`)
      expect(part).toMatch(/^### \[Unreleased\]$/m)
    }
  })

  it('CONTRIBUTING.md says how to run, test, bundle and release', () => {
    const contributing = read('CONTRIBUTING.md')
    for (const heading of ['## Run, test, bundle, release', '### Releasing an action']) expect(contributing).toContain(heading)
    for (const command of [
      'npm run demo',
      'npm test',
      'npm run bundle',
      'node scripts/action-docs.ts',
      'node scripts/publish.ts',
    ])
      expect(contributing).toContain(command)
  })
})
