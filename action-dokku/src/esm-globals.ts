import path from 'node:path'
import { fileURLToPath } from 'node:url'

/**
 * The bundle is an ES module, but ssh2's bundled WebAssembly helpers (poly1305) are CommonJS that
 * read the free variable `__dirname` at load time, which ES modules do not have. Defining it on
 * globalThis before they load keeps them working. Imported first by the entry points.
 */
const scope = globalThis as { __dirname?: string; __filename?: string }
scope.__filename ??= fileURLToPath(import.meta.url)
scope.__dirname ??= path.dirname(scope.__filename)
