/**
 * The deploy artifact: "the repository at HEAD (or a subfolder) plus generated files" as a git
 * tree and commit (for `git push`), or a folder (for builds and uploads). See README.md.
 */
export { assembleArtifact, disposeArtifact } from './assemble.js'
export { exportArtifact } from './export.js'
export type { ExportOptions, ExportResult } from './export.js'
export { isSecretPath } from './paths.js'
export type { Identity } from './identity.js'
export type { UncommittedChanges } from './status.js'
export type { Artifact, ArtifactFile, ArtifactSource, ArtifactStats, AssembleOptions } from './types.js'
