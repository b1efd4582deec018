import { readFile } from 'node:fs/promises'
import { finding } from './findings.js'
import type { Finding } from './model.js'
import { isFile } from './modules.js'
import { dirnameRel, joinRel, type RepoPaths } from './paths.js'
import { mergeSpecs, normalizeName, parseRequirement } from './requirement-names.js'

/**
 * pip requirements files, read the way pip reads them: continuation lines joined, comments
 * dropped, `-r`/`-c` includes followed relative to the including file, options and hashes
 * stripped. Constraint files (`-c`) are listed (the build must copy them) but declare nothing.
 */

export interface RequirementsFiles {
  /** The top file first, then every included file in the order pip reads them. */
  files: string[]
  /** Normalised name → specifier ("" when none). */
  packages: Record<string, string>
  findings: Finding[]
}

export interface LogicalLine {
  text: string
  /** 1-based line where the logical line starts. */
  line: number
}

/** Join `\`-continued lines and drop comments (`#` at the start or after whitespace), as pip does. */
export function logicalLines(content: string): LogicalLine[] {
  const result: LogicalLine[] = []
  let pending: LogicalLine | undefined
  content.split(/\r?\n/).forEach((raw, index) => {
    const continued = /(^|[^\\])\\$/.test(raw)
    const piece = continued ? raw.slice(0, -1) : raw
    pending = pending ? { text: pending.text + piece, line: pending.line } : { text: piece, line: index + 1 }
    if (continued) return
    result.push(pending)
    pending = undefined
  })
  if (pending) result.push(pending)
  return result.map((line) => ({ ...line, text: line.text.replace(/(^|\s+)#.*$/, '').trim() })).filter((line) => line.text !== '')
}

type LineMeaning =
  | { kind: 'include'; constraint: boolean; target: string }
  | { kind: 'requirement'; name: string; spec: string }
  | { kind: 'ignored' }

const INCLUDE = /^(-r|--requirement|-c|--constraint)(?:\s*=\s*|\s+|(?<=^-[rc]))(\S+)/
const EDITABLE = /^(-e|--editable)(?:\s*=\s*|\s+)(\S+)/

export function classifyLine(text: string): LineMeaning {
  const include = INCLUDE.exec(text)
  if (include)
    return { kind: 'include', constraint: include[1] === '-c' || include[1] === '--constraint', target: include[2] as string }
  const editable = EDITABLE.exec(text)
  if (editable) return eggRequirement(editable[2] as string)
  if (text.startsWith('-')) return { kind: 'ignored' } // --index-url, --find-links, --pre, ...
  // Per-requirement options (--hash=..., --config-settings=...) follow the requirement after whitespace.
  const requirementText = text.split(/\s+--?[A-Za-z]/)[0] as string
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(requirementText) || /^[./~]/.test(requirementText)) return eggRequirement(requirementText)
  const requirement = parseRequirement(requirementText)
  return requirement ? { kind: 'requirement', ...requirement } : { kind: 'ignored' }
}

/** `git+https://...#egg=name` names its project in the fragment; a bare path does not name one. */
function eggRequirement(url: string): LineMeaning {
  const egg = /[#&]egg=([A-Za-z0-9._-]+)/.exec(url)
  return egg
    ? { kind: 'requirement', name: normalizeName(egg[1] as string), spec: `@ ${url.replace(/#.*$/, '')}` }
    : { kind: 'ignored' }
}

export async function readRequirementsFiles(top: string, paths: RepoPaths): Promise<RequirementsFiles> {
  const files: string[] = []
  const packages: Record<string, string> = {}
  const findings: Finding[] = []
  const stack: string[] = []

  const read = async (file: string, constraint: boolean): Promise<void> => {
    files.push(file)
    stack.push(file)
    const content = await readFile(paths.abs(file), 'utf8')
    for (const { text, line } of logicalLines(content)) {
      const meaning = classifyLine(text)
      if (meaning.kind === 'requirement') {
        if (!constraint) packages[meaning.name] = mergeSpecs(packages[meaning.name], meaning.spec)
      } else if (meaning.kind === 'include') {
        const target = joinRel(dirnameRel(file), meaning.target).split('/').reduce<string[]>(normalizeSegment, []).join('/')
        if (stack.includes(target)) {
          findings.push(
            finding(
              'warning',
              'requirements-include-cycle',
              `${file} includes ${target}, which includes ${file} again; pip fails on such a cycle. Remove one of the includes.`,
              {
                file,
                line,
              },
            ),
          )
        } else if (files.includes(target)) {
          continue // included twice: pip reads it again, but it adds nothing new
        } else if (!(await isFile(paths.abs(target)))) {
          findings.push(
            finding(
              'warning',
              'requirements-include-missing',
              `${file} includes ${meaning.target}, which does not exist, so pip install fails. Fix the path (it is relative to ${file}).`,
              {
                file,
                line,
              },
            ),
          )
        } else {
          await read(target, constraint || meaning.constraint)
        }
      }
    }
    stack.pop()
  }

  await read(top, false)
  return { files, packages, findings }
}

/** Resolve "." and ".." in a POSIX path built from repository-relative parts. */
function normalizeSegment(parts: string[], segment: string): string[] {
  if (segment === '.' || segment === '') return parts
  if (segment === '..') return parts.slice(0, -1)
  return [...parts, segment]
}
