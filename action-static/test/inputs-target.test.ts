import { describe, expect, it } from 'vitest'
import type { EventContext } from '@django-deploy/shared/github'
import { inputSourceFrom } from '@django-deploy/shared/inputs'
import { MemoryLogger } from '@django-deploy/shared/runtime'
import { readInputs } from '../src/inputs.js'
import { decideTarget } from '../src/target.js'

function read(values: Record<string, string>) {
  const log = new MemoryLogger()
  return { inputs: readInputs(inputSourceFrom(values), (value) => log.setSecret(value)), log }
}

describe('readInputs', () => {
  it('has defaults that deploy nothing: provider directory, _site, all, 15 minutes', () => {
    const { inputs } = read({})
    expect(inputs).toMatchObject({
      provider: 'directory',
      outputDir: '_site',
      mode: 'all',
      generator: 'auto',
      production: 'auto',
      failOnBrokenLinks: true,
      prComment: true,
      githubDeployment: true,
      timeoutMs: 900_000,
      dryRun: false,
    })
  })

  it('masks the secrets before anything else, including the password inside database-url', () => {
    const { log } = read({
      'netlify-auth-token': 'nfp_secret123',
      'database-url': 'postgres://u:p%40ss!word@db/x',
      'github-token': 'ghs_abcdef',
    })
    expect([...log.secrets]).toEqual(
      expect.arrayContaining(['nfp_secret123', 'postgres://u:p%40ss!word@db/x', 'p@ss!word', 'ghs_abcdef']),
    )
  })

  it('names the input and the fix for every invalid combination', () => {
    const cases: Array<[Record<string, string>, string, RegExp]> = [
      [{ generator: 'command' }, 'build-command', /required with generator: command/],
      [{ generator: 'hugo' }, 'generator', /must be one of/],
      [{ provider: 'netlify', 'netlify-site-id': 'a', 'netlify-site-name': 'b' }, 'netlify-site-name', /together/],
      [{ provider: 'netlify', 'netlify-site-name': 'My Site' }, 'netlify-site-name', /not a valid/],
      [{ mode: 'deploy' }, 'mode', /needs provider: netlify/],
      [{ 'base-url': 'https://example.org/blog/' }, 'base-url', /has a path/],
      [{ 'base-url': 'example.org' }, 'base-url', /not a URL/],
      [{ 'extra-paths': 'search/' }, 'extra-paths', /not a path/],
      [{ 'output-dir': '../elsewhere' }, 'output-dir', /outside the repository/],
      [{ 'output-dir': '.' }, 'output-dir', /cannot be the repository/],
      [{ 'output-dir': '/srv/site' }, 'output-dir', /outside the repository|GITHUB_WORKSPACE/],
      [{ 'working-directory': 'site/../../x' }, 'working-directory', /outside the repository/],
      [{ 'database-url': 'localhost:5432' }, 'database-url', /not a database URL/],
      [{ alias: 'pr-1', production: 'true' }, 'alias', /production: true/],
      [{ timeout: '0' }, 'timeout', /minutes/],
    ]
    for (const [values, input, message] of cases) {
      let caught: unknown
      try {
        read(values)
      } catch (error) {
        caught = error
      }
      expect(caught, JSON.stringify(values)).toMatchObject({ input })
      expect((caught as Error).message).toMatch(message)
    }
  })

  it('warns about inputs it will ignore and sanitises the alias', () => {
    const { inputs } = read({ 'netlify-auth-token': 'nfp_x12345', 'build-command': 'make', alias: 'Feature/X' })
    expect(inputs.warnings.join('\n')).toMatch(/netlify-auth-token is ignored because provider is 'directory'/)
    expect(inputs.warnings.join('\n')).toMatch(/build-command is ignored/)
    expect(inputs).toMatchObject({ alias: 'feature-x', aliasInput: 'Feature/X' })
  })
})

function context(overrides: Partial<EventContext>): EventContext {
  return {
    eventName: 'push',
    repo: { owner: 'octo', repo: 'blog' },
    repository: 'octo/blog',
    sha: 'a'.repeat(40),
    checkoutSha: 'a'.repeat(40),
    ref: 'refs/heads/main',
    refName: 'main',
    defaultBranch: 'main',
    onDefaultBranch: true,
    actor: 'octocat',
    runId: '1',
    runAttempt: '1',
    runUrl: 'https://github.com/octo/blog/actions/runs/1',
    serverUrl: 'https://github.com',
    apiUrl: 'https://api.github.com',
    ...overrides,
  }
}

const pr = {
  number: 12,
  headSha: 'b'.repeat(40),
  headRef: 'Feature/Login',
  headRepository: 'octo/blog',
  baseRef: 'main',
  baseRepository: 'octo/blog',
  fromFork: false,
  state: 'open',
  merged: false,
}

describe('decideTarget', () => {
  it('publishes production on a push to the default branch (auto)', () => {
    expect(decideTarget({ production: 'auto' }, context({}), undefined)).toMatchObject({
      target: { kind: 'production' },
      environment: 'production',
      preview: false,
    })
  })

  it('uses pr-<N> on pull requests, whatever the branch is called', () => {
    const decision = decideTarget(
      { production: 'auto' },
      context({ eventName: 'pull_request', pullRequest: pr, onDefaultBranch: false, refName: 'Feature/Login' }),
      undefined,
    )
    expect(decision).toMatchObject({ target: { kind: 'alias', alias: 'pr-12' }, environment: 'pr-12 preview', preview: true })
  })

  it('uses a sanitised branch alias for other branches, and the alias input over everything but production: true', () => {
    expect(
      decideTarget(
        { production: 'auto' },
        context({ ref: 'refs/heads/Feature/Login', refName: 'Feature/Login', onDefaultBranch: false }),
        undefined,
      ).target,
    ).toEqual({ kind: 'alias', alias: 'feature-login' })
    expect(decideTarget({ production: 'auto', alias: 'staging' }, context({}), undefined).target).toEqual({
      kind: 'alias',
      alias: 'staging',
    })
    expect(decideTarget({ production: 'false' }, context({}), undefined).target).toEqual({ kind: 'alias', alias: 'main' })
    expect(decideTarget({ production: 'false' }, undefined, undefined).target).toEqual({ kind: 'draft' })
    expect(
      decideTarget({ production: 'true' }, context({ eventName: 'pull_request', pullRequest: pr }), undefined).target,
    ).toEqual({ kind: 'production' })
  })

  it('never publishes a workflow_run build of a pull request to production', () => {
    const run = context({
      eventName: 'workflow_run',
      onDefaultBranch: false,
      workflowRun: {
        id: 1,
        name: 'build',
        event: 'pull_request',
        conclusion: 'success',
        headSha: pr.headSha,
        headBranch: 'x',
        headRepository: 'stranger/blog',
        pullRequestNumbers: [],
      },
    })
    expect(() => decideTarget({ production: 'true' }, run, pr)).toThrow(expect.objectContaining({ input: 'production' }))
    expect(decideTarget({ production: 'auto' }, run, pr).target).toEqual({ kind: 'alias', alias: 'pr-12' })
  })
})
