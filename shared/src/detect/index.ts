/** Project detection: `detectProject()` and the model it produces. */
export { detectProject } from './detect.js'
export { effectiveValue, stringItems } from './settings-facts.js'
export { checkRequiredEnv, missingRequiredEnv, type ProvidedEnv } from './required-env.js'
export type { FindingCode } from './findings.js'
export type * from './model.js'
