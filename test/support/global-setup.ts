import { mkdir, rm } from 'node:fs/promises'
import { join } from 'node:path'
import type { TestProject } from 'vitest/node'
import { killPostmaster, startCluster, stopCluster, type Cluster } from './postgres.js'
import type { PostgresProvided } from './provided.js'
import { prepareTestbed } from './testbed-prepare.js'
import { cleanupStaleRunDirs, createRunDir, stopRecordedProcesses } from './rundir.js'

/**
 * vitest globalSetup (registered in vitest.config.ts): once per test run, create the run
 * directory and start the private PostgreSQL cluster; at teardown, stop the cluster and every
 * recorded process (gunicorn servers) and delete the directory.
 *
 * TEST_POSTGRES=off skips the cluster (tests that call createDatabase() then fail, saying so).
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  // A run that crashed before its teardown left a directory (and maybe a postgres) behind.
  await cleanupStaleRunDirs((dir) => killPostmaster(join(dir, 'pg', 'data')))

  const runDir = await createRunDir()
  project.provide('testRunDir', runDir)

  let cluster: Cluster | undefined
  let postgres: PostgresProvided
  if (process.env.TEST_POSTGRES === 'off') {
    postgres = { available: false, reason: 'TEST_POSTGRES=off' }
  } else {
    const baseDir = join(runDir, 'pg')
    await mkdir(baseDir, { mode: 0o700 })
    try {
      cluster = await startCluster(baseDir)
    } catch (error) {
      await killPostmaster(join(baseDir, 'data'))
      await rm(runDir, { recursive: true, force: true })
      throw error
    }
    postgres = { available: true, info: cluster.info }
  }
  project.provide('postgres', postgres)

  try {
    project.provide('testbed', await prepareTestbed())
  } catch (error) {
    if (cluster) await stopCluster(cluster)
    await rm(runDir, { recursive: true, force: true })
    throw error
  }

  return async () => {
    await stopRecordedProcesses(runDir)
    if (cluster) await stopCluster(cluster)
    await rm(runDir, { recursive: true, force: true })
  }
}
