/**
 * The deploy artifact: "the repository at HEAD (or a subfolder) plus generated files" as a git
 * tree and commit (for `git push`), a folder or a tarball (for builds and uploads). See README.md.
 */
export { assembleArtifact, disposeArtifact } from './assemble.js'
export { archiveArtifact, exportArtifact } from './export.js'
export type { ArchiveOptions, ArchiveResult, ExportOptions, ExportResult } from './export.js'
export { diffTrees, summarize } from './diff.js'
export type { ChangeStatus, DiffOptions, TreeChange, TreeDiff } from './diff.js'
export { isSecretPath } from './paths.js'
export type { Identity } from './identity.js'
export type { UncommittedChanges } from './status.js'
export type { Artifact, ArtifactFile, ArtifactSource, ArtifactStats, AssembleOptions } from './types.js'
