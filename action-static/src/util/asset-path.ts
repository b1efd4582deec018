import { fileURLToPath } from 'node:url'

/**
 * The path of a file shipped beside the code (a Python script), from its `new URL(…,
 * import.meta.url)`: a file URL in the sources and tests, a plain path string in the bundle, where
 * ncc copies the asset next to dist/index.js and its relocator rewrites the URL.
 */
export function assetPath(asset: URL | string): string {
  return typeof asset === 'string' ? asset : fileURLToPath(asset)
}
