// Lets plain `node` run this repository's TypeScript (benchmarks, the demo's helpers): a relative
// `./x.js` import resolves to `./x.ts` when only the TypeScript file exists, as TypeScript's NodeNext
// resolution does. Node 24 strips the types itself:
//   node --experimental-transform-types --import ./test/bench/ts-loader.mjs file.ts
import { register } from 'node:module'

register(
  'data:text/javascript,' +
    encodeURIComponent(`
export async function resolve(specifier, context, next) {
  try {
    return await next(specifier, context)
  } catch (error) {
    if (error?.code === 'ERR_MODULE_NOT_FOUND' && specifier.endsWith('.js') && (specifier.startsWith('.') || specifier.startsWith('/') || specifier.startsWith('file:'))) {
      return next(specifier.slice(0, -3) + '.ts', context)
    }
    throw error
  }
}`),
  import.meta.url,
)
