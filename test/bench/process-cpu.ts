import { readdirSync, readFileSync } from 'node:fs'

/** Linux clock ticks per second, the unit of CPU times in /proc (USER_HZ, 100 on every Linux ABI in use). */
const CLOCK_TICKS = 100

/**
 * CPU seconds (user + system) used by the processes of a process group, including their children
 * that have exited and been waited for (a migrate process under a shell), from /proc/<pid>/stat
 * (Linux). Cumulative: take the difference of two readings to measure a stretch of time.
 */
export function processGroupCpuSeconds(group: number | undefined): number {
  if (group === undefined) return NaN
  let ticks = 0
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    let stat: string
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8')
    } catch {
      continue // gone meanwhile
    }
    // Fields after "(comm)": state ppid pgrp ... utime(14) stime(15) cutime(16) cstime(17), numbered from 3.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    if (Number(fields[2]) !== group) continue
    ticks += [11, 12, 13, 14].reduce((sum, index) => sum + Number(fields[index]), 0)
  }
  return ticks / CLOCK_TICKS
}
