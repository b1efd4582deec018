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
  for (const { fields } of processTable()) {
    if (Number(fields[2]) !== group) continue
    ticks += [11, 12, 13, 14].reduce((sum, index) => sum + Number(fields[index]), 0)
  }
  return ticks / CLOCK_TICKS
}

/**
 * Every process's /proc/<pid>/stat, split into the fields after "(comm)" (numbered from 3:
 * state ppid pgrp ... utime(14) stime(15) cutime(16) cstime(17)). Processes that exit while it
 * reads are left out.
 */
export function processTable(): Array<{ pid: number; fields: string[] }> {
  const table: Array<{ pid: number; fields: string[] }> = []
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    let stat: string
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8')
    } catch {
      continue // gone meanwhile
    }
    table.push({ pid: Number(entry), fields: stat.slice(stat.lastIndexOf(')') + 2).split(' ') })
  }
  return table
}
