import { inputSourceFrom } from '@django-deploy/shared/inputs'
import { readInputs, type CloudRunInputs } from '../src/inputs.js'
import type { ServiceFacts } from '../src/plan.js'

/** Inputs as the action reads them (defaults of action.yml), from `with:` values. */
export function inputsOf(values: Record<string, string> = {}): CloudRunInputs {
  return readInputs(
    inputSourceFrom({ region: 'europe-west1', service: 'blog', 'project-id': 'demo-proj', ...values }),
    () => undefined,
  )
}

/** What `run services describe` / `projects describe` told us. */
export function factsOf(overrides: Partial<ServiceFacts> = {}): ServiceFacts {
  return {
    project: 'demo-proj',
    region: 'europe-west1',
    exists: false,
    projectNumber: '123456789012',
    urls: [],
    trafficPinned: false,
    ...overrides,
  }
}

export const DIGEST = `sha256:${'ab'.repeat(32)}`
export const IMAGE = `europe-west1-docker.pkg.dev/demo-proj/cloud-run-source-deploy/blog@${DIGEST}`
export const WHERE = ['--region', 'europe-west1', '--project', 'demo-proj']
