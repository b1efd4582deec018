/**
 * Wall-clock time per phase, for the job summary ("where did the time go"). A phase timed twice
 * (a retried step) is one row with the sum.
 */
export class Phases {
  readonly list: Array<{ name: string; ms: number }> = []

  constructor(private readonly now: () => number) {}

  async time<T>(name: string, fn: () => Promise<T>): Promise<T> {
    const started = this.now()
    try {
      return await fn()
    } finally {
      this.add(name, this.now() - started)
    }
  }

  add(name: string, ms: number): void {
    const existing = this.list.find((phase) => phase.name === name)
    if (existing) existing.ms += ms
    else this.list.push({ name, ms })
  }
}
