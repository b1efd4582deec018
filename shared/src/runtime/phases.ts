/**
 * Wall-clock time per phase, for the job summary ("where did the time go"). A phase timed twice
 * (a retried step) is one row with the sum.
 */
export class Phases {
  /** `within`: the phase this one is a part of (a row under it in the summary, not added to the total again). */
  readonly list: Array<{ name: string; ms: number; within?: string }> = []

  constructor(private readonly now: () => number) {}

  async time<T>(name: string, fn: () => Promise<T>, within?: string): Promise<T> {
    const started = this.now()
    // A part is listed when it starts, so it sits under its phase in the order the work happened.
    if (within !== undefined) this.add(name, 0, within)
    try {
      return await fn()
    } finally {
      this.add(name, this.now() - started, within)
    }
  }

  /** A timer for the parts of one phase (`Build` → collectstatic, render, …). */
  partsOf(within: string): PhaseTimer {
    return (name, fn) => this.time(name, fn, within)
  }

  add(name: string, ms: number, within?: string): void {
    const existing = this.list.find((phase) => phase.name === name && phase.within === within)
    if (existing) existing.ms += ms
    else this.list.push(within === undefined ? { name, ms } : { name, ms, within })
  }
}

/** Times one named part of a run. */
export type PhaseTimer = <T>(name: string, fn: () => Promise<T>) => Promise<T>

/** For callers that do not time their parts. */
export const untimed: PhaseTimer = (_name, fn) => fn()
