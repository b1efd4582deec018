import { ActionError } from '../errors.js'
import type { Finding, ProjectModel } from '../detect/model.js'
import { PREFERRED_MINOR } from '../detect/python-version.js'

/**
 * The base image: the official slim Debian image of the detected Python. Slim because Django
 * needs no compilers at runtime (the build stage has them when a package must compile), Debian
 * (not Alpine) because manylinux wheels install on it without compiling.
 */

/** Used when nothing in the repository names a version: the one open ranges resolve to as well (detect/python-version.ts). */
export const DEFAULT_PYTHON_VERSION = PREFERRED_MINOR

export interface PythonImage {
  /** "3.12" or "3.12.4". */
  version: string
  /** "python:3.12-slim". */
  image: string
  notes: Finding[]
}

export function pythonImage(project: ProjectModel): PythonImage {
  const declared = project.python.version
  if (declared === undefined) {
    return {
      version: DEFAULT_PYTHON_VERSION,
      image: `python:${DEFAULT_PYTHON_VERSION}-slim`,
      notes: [
        {
          level: 'notice',
          code: 'python-version-default',
          message: `No Python version is declared (.python-version, runtime.txt, Pipfile, requires-python); the image uses python:${DEFAULT_PYTHON_VERSION}-slim. Add a .python-version file to choose.`,
        },
      ],
    }
  }
  if (!/^3\.\d{1,2}(\.\d{1,2})?$/.test(declared)) {
    throw new ActionError(
      `Python version '${declared}'${project.python.source ? ` (from ${project.python.source})` : ''} is not a CPython 3 release like 3.12 or 3.12.4.`,
      {
        input: project.python.source === 'input' ? 'python-version' : undefined,
        hint: 'Give a version with an official python:<version>-slim image, e.g. 3.12.',
      },
    )
  }
  return { version: declared, image: `python:${declared}-slim`, notes: [] }
}

/** "3.12.4" → [3, 12]. */
export function minorOf(version: string): [number, number] {
  const [major = 3, minor = 0] = version.split('.').map(Number)
  return [major, minor]
}
