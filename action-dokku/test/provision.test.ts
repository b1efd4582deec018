import { MemoryLogger } from '@django-deploy/shared/runtime'
import { describe, expect, it } from 'vitest'
import { Dokku, type Executor } from '../src/dokku/client.js'
import type { Step, Target } from '../src/plan.js'
import { provision, type EnvironmentTurn } from '../src/provision.js'
import { parseVersion } from '../src/remote-state.js'

/**
 * The order of the provisioning commands on a first deploy, on an executor that answers each
 * command after its own delay and records when each began and ended: what may run at once does,
 * and the app's two environment writers never do.
 */
const target: Target = { mode: 'deploy', app: 'web', baseApp: 'web', postgresService: 'web-db', storageDirectory: 'web-media' }

const steps: Step[] = [
  { kind: 'create-app', title: 'Create app web', args: ['apps:create', 'web'] },
  { kind: 'postgres-create', title: 'Create Postgres service web-db', args: ['postgres:create', 'web-db'] },
  { kind: 'postgres-link', title: 'Link', args: ['postgres:link', 'web-db', 'web', '--no-restart'] },
  { kind: 'storage', title: 'Storage', args: ['storage:ensure-directory', '--chown', 'herokuish', 'web-media'] },
]

interface Span {
  command: string
  from: number
  to: number
}

function timedExecutor(delays: Record<string, number>, failing: string[] = []): { executor: Executor; spans: Span[] } {
  const spans: Span[] = []
  const started = Date.now()
  const executor: Executor = {
    async exec(line) {
      const command = line.split(' ')[0] as string
      const from = Date.now() - started
      await new Promise((resolve) => setTimeout(resolve, delays[command] ?? 5))
      spans.push({ command, from, to: Date.now() - started })
      if (failing.includes(command)) return { exitCode: 1, stdout: '', stderr: ` !     ${command} refused\n` }
      const stdout =
        command === 'storage:ensure-directory' ? '-----> Ensuring /var/lib/dokku/data/storage/web-media exists\n' : ''
      return { exitCode: 0, stdout, stderr: '' }
    },
  }
  return { executor, spans }
}

/** A provisioning context over the timed executor. */
function timedContext(delays: Record<string, number>, failing: string[] = []) {
  const { executor, spans } = timedExecutor(delays, failing)
  const dokku = new Dokku(executor)
  const context = { dokku, log: new MemoryLogger(), target, version: parseVersion('dokku version 0.38.0') }
  /** The config's write, in its turn. */
  const writeConfig = (turn: EnvironmentTurn) =>
    turn(() => dokku.must(['config:import', '--format', 'json', '--no-restart', 'web', '-'])).then(() => undefined)
  return { context, spans, writeConfig }
}

const span = (spans: Span[], command: string): Span => spans.find((entry) => entry.command === command) as Span
const overlap = (a: Span, b: Span): boolean => a.from < b.to && b.from < a.to

describe('provision', () => {
  it('links as soon as the app and the service exist, and never while the config is written', async () => {
    // The service is slow to create, the config's reads are quick: the config is written first,
    // the link waits for the service and then for nothing else.
    const { context, spans, writeConfig } = timedContext({
      'apps:create': 20,
      'postgres:create': 150,
      'config:import': 80,
      'postgres:link': 60,
    })
    const started: string[] = []
    const done = await provision(context, steps, (step) => started.push(step.kind), writeConfig)
    expect(done.map((step) => step.kind)).toEqual(['create-app', 'postgres-create', 'postgres-link', 'storage'])
    expect(started.slice(0, 3)).toEqual(['create-app', 'postgres-create', 'storage'])
    const link = span(spans, 'postgres:link')
    const config = span(spans, 'config:import')
    expect(overlap(link, config)).toBe(false)
    expect(config.from).toBeGreaterThanOrEqual(span(spans, 'apps:create').to)
    expect(link.from).toBeGreaterThanOrEqual(span(spans, 'postgres:create').to)
    // The mount needs the app and the directory, not the service: it ran while the service was created.
    expect(span(spans, 'storage:mount').to).toBeLessThanOrEqual(span(spans, 'postgres:create').to)
  })

  it('waits for its turn when the link comes first', async () => {
    // A quick service and a slow config: the link takes the first turn, the config's write waits for it.
    const { context, spans, writeConfig } = timedContext({
      'apps:create': 10,
      'postgres:create': 10,
      'postgres:link': 120,
      'config:import': 30,
    })
    await provision(
      context,
      steps,
      () => undefined,
      async (turn) => {
        await new Promise((resolve) => setTimeout(resolve, 40)) // the config's reads
        await writeConfig(turn)
      },
    )
    const link = span(spans, 'postgres:link')
    const config = span(spans, 'config:import')
    expect(link.from).toBeLessThan(config.from)
    expect(config.from).toBeGreaterThanOrEqual(link.to)
  })

  it('reports the first failure only after every command it started has ended', async () => {
    const { context, spans } = timedContext({ 'apps:create': 10, 'postgres:create': 120, 'storage:ensure-directory': 10 }, [
      'apps:create',
    ])
    await expect(provision(context, steps, () => undefined)).rejects.toThrow(
      /dokku apps:create failed \(exit 1\): apps:create refused/,
    )
    // The service's creation had ended; nothing that needs the app was sent.
    expect(spans.map((entry) => entry.command).sort()).toEqual(['apps:create', 'postgres:create', 'storage:ensure-directory'])
  })
})
