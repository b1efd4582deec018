/**
 * Code-point string order. `localeCompare` depends on the machine's ICU data and locale; the
 * model must sort the same everywhere.
 */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}

/** A copy of `record` with its keys in code-point order, so JSON output is deterministic. */
export function sortedRecord<T>(record: Record<string, T>): Record<string, T> {
  const result: Record<string, T> = {}
  for (const key of Object.keys(record).sort(compareText)) result[key] = record[key] as T
  return result
}
