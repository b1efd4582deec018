import { stat } from 'node:fs/promises'
import { joinRel, type RepoPaths } from './paths.js'

/**
 * Python module names ↔ files, the way `import` finds them: `a.b.c` is `<root>/a/b/c.py` or
 * `<root>/a/b/c/__init__.py` for the first import root that has it. The roots are manage.py's
 * directory (Python puts the script's directory on sys.path) plus directories manage.py or
 * wsgi.py add to sys.path.
 */

export async function isFile(absolute: string): Promise<boolean> {
  try {
    return (await stat(absolute)).isFile()
  } catch {
    return false
  }
}

export async function isDirectory(absolute: string): Promise<boolean> {
  try {
    return (await stat(absolute)).isDirectory()
  } catch {
    return false
  }
}

export interface ResolvedModule {
  module: string
  /** Repository-relative file. */
  file: string
  /** True for `__init__.py`: relative imports inside it are relative to the module itself. */
  isPackage: boolean
  /** The import root it was found under. */
  root: string
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/

export function isModuleName(name: string): boolean {
  return name.split('.').every((part) => IDENTIFIER.test(part))
}

export async function resolveModule(
  module: string,
  roots: readonly string[],
  paths: RepoPaths,
): Promise<ResolvedModule | undefined> {
  if (!isModuleName(module)) return undefined
  const parts = module.split('.')
  for (const root of roots) {
    const moduleFile = joinRel(root, ...parts.slice(0, -1), `${parts[parts.length - 1]}.py`)
    if (await isFile(paths.abs(moduleFile))) return { module, file: moduleFile, isPackage: false, root }
    const packageFile = joinRel(root, ...parts, '__init__.py')
    if (await isFile(paths.abs(packageFile))) return { module, file: packageFile, isPackage: true, root }
  }
  return undefined
}

/**
 * The absolute module name of `from <dots><name> import *` inside `current`.
 * Returns undefined when the dots climb above the top-level package.
 */
export function absoluteImportName(
  current: { module: string; isPackage: boolean },
  level: number,
  name: string,
): string | undefined {
  if (level === 0) return name
  const packageParts = current.isPackage ? current.module.split('.') : current.module.split('.').slice(0, -1)
  // Python: "attempted relative import beyond top-level package" when the dots climb too far.
  const keep = packageParts.length - (level - 1)
  if (keep < 1) return undefined
  return [...packageParts.slice(0, keep), ...(name === '' ? [] : name.split('.'))].join('.')
}

/** `mysite/wsgi.py` under root "" → "mysite.wsgi"; undefined when the path is not importable from the root. */
export function moduleNameOf(file: string, root: string): string | undefined {
  if (root !== '' && !file.startsWith(`${root}/`)) return undefined
  const inside = root === '' ? file : file.slice(root.length + 1)
  if (!inside.endsWith('.py')) return undefined
  let parts = inside.slice(0, -3).split('/')
  if (parts[parts.length - 1] === '__init__') parts = parts.slice(0, -1)
  const name = parts.join('.')
  return name !== '' && isModuleName(name) ? name : undefined
}
