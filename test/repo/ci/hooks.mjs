// Lets Node run the repository's TypeScript test bed outside vitest (for the CI workflow's stand-ins):
// Node strips the types itself; this maps the `./x.js` imports of our TypeScript style to the `.ts`
// files on disk, and hands the test bed's `import('vitest')` (used only for `inject`) a stand-in
// that answers with what the launcher's global setup provided.
import { existsSync } from 'node:fs'
import { registerHooks } from 'node:module'
import { fileURLToPath } from 'node:url'

const root = new URL('../../../', import.meta.url).href
const shim = new URL('./vitest-shim.mjs', import.meta.url).href

registerHooks({
  resolve(specifier, context, nextResolve) {
    const parent = context.parentURL ?? ''
    if (specifier === 'vitest' && parent.startsWith(root) && /\/test\/(support|standins|repo)\//.test(parent)) {
      return { url: shim, shortCircuit: true }
    }
    if (/^\.\.?\//.test(specifier) && specifier.endsWith('.js') && parent.endsWith('.ts')) {
      const candidate = new URL(`${specifier.slice(0, -3)}.ts`, parent)
      if (existsSync(fileURLToPath(candidate))) return nextResolve(candidate.href, context)
    }
    return nextResolve(specifier, context)
  },
})
