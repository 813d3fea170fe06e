/**
 * Who owns each job's log, as far as this replica knows (jobs.log_owner). Filled without a query
 * for the jobs created or claimed here (the claim result carries log_owner) and for logs taken
 * over; any other job is looked up once. Bounded: the least recently used entries are dropped.
 */
export class LogOwners {
  readonly #owners = new Map<string, string | null>()
  readonly #lookup: (jobId: string) => Promise<string | null | undefined>
  readonly #max: number

  constructor(lookup: (jobId: string) => Promise<string | null | undefined>, max = 100_000) {
    this.#lookup = lookup
    this.#max = Math.max(1, max)
  }

  set(jobId: string, owner: string | null): void {
    this.#owners.delete(jobId)
    this.#owners.set(jobId, owner)
    if (this.#owners.size > this.#max) {
      const oldest = this.#owners.keys().next()
      if (!oldest.done) this.#owners.delete(oldest.value)
    }
  }

  /** The cached owner: a string, null (no owner recorded), or undefined when not cached. */
  cached(jobId: string): string | null | undefined {
    return this.#owners.get(jobId)
  }

  /** The owner, looked up once when not cached; undefined for a job that does not exist. */
  async resolve(jobId: string): Promise<string | null | undefined> {
    const known = this.#owners.get(jobId)
    if (known !== undefined) return known
    const owner = await this.#lookup(jobId)
    if (owner !== undefined) this.set(jobId, owner)
    return owner
  }

  forget(jobId: string): void {
    this.#owners.delete(jobId)
  }
}
