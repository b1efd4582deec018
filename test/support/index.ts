/** The test bed: real Python, PostgreSQL, gunicorn and git around the fixtures in test/fixtures/. */
export {
  PYTHON,
  findAppDir,
  manage,
  pythonEnv,
  runPython,
  type EnvOverrides,
  type ManageOptions,
  type PythonOptions,
} from './python.js'
export { createDatabase, dropDatabase, postgres, psql, uniqueDatabaseName, type PostgresInfo } from './postgres.js'
export { GUNICORN, startGunicorn, type GunicornOptions, type GunicornServer } from './gunicorn.js'
export { freePort } from './ports.js'
export {
  FIXTURES,
  FIXTURES_DIR,
  copyFixture,
  fixturePath,
  fixtureRepo,
  git,
  type CopyOptions,
  type FixtureName,
  type FixtureRepo,
  type RepoOptions,
} from './fixtures.js'
export { makeTempDir, type Cleanup, type CleanupRegistrar } from './rundir.js'
export { mustSucceed, run, type RunOptions, type RunResult } from './process.js'
export { packageIndex } from './testbed.js'
export { readQuickstart, type Quickstart, type QuickstartAction } from './quickstarts.js'
