export { generateDockerfile, databaseFromUrl, CONTAINER_USER, IMAGE_ROOT } from './dockerfile.js'
export type { DockerBuild, DockerfileOptions } from './dockerfile.js'
export { generateReleaseStep, parseProcfile } from './release.js'
export type { MigrationMethod, ReleaseOptions, ReleaseStep } from './release.js'
export {
  containerCommand,
  procfileWebCommand,
  gunicornTarget,
  servesAsgi,
  MIGRATE_COMMAND,
  GUNICORN_DEFAULTS,
  UVICORN_WORKER,
} from './web-command.js'
export { DEFAULT_PYTHON_VERSION } from './python-image.js'
export { databaseKind, extraPackages } from './extras.js'
export type { DatabaseKind, Extras } from './extras.js'
export { herokuishDependencies } from './herokuish.js'
export type { HerokuishDependencies, HerokuishOptions } from './herokuish.js'
export { COMPRESS_COMMAND, herokuishCompileHook, offlineCompression } from './compress.js'
export type { CompileHookOptions, OfflineCompression } from './compress.js'
