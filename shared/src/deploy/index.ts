/**
 * What a deploy adds to the repository (overlay, release step, Dockerfile) and which project
 * findings it reports. Import from '@django-deploy/shared/deploy'.
 */
export { DATABASE_PROVIDED_FINDINGS, findingsToReport, OVERLAY_FIXED_FINDINGS, type FindingFilter } from './overlay-fixed.js'
export { prepareDeployFiles, type DeployFiles, type DeployFilesOptions } from './prepare.js'
