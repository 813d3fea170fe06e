/**
 * Runs tasks one after another per key, in this process (a task runs whether or not the one
 * before it failed); keys with nothing queued cost nothing.
 */
export class KeyedTurns {
  readonly #last = new Map<string, Promise<void>>()

  run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const mine = (this.#last.get(key) ?? Promise.resolve()).then(task)
    const settled = mine.then(
      () => undefined,
      () => undefined,
    )
    this.#last.set(key, settled)
    void settled.then(() => {
      if (this.#last.get(key) === settled) this.#last.delete(key)
    })
    return mine
  }

  /** Settles once every task queued for `key` so far has settled. */
  async idle(key: string): Promise<void> {
    await this.#last.get(key)
  }

  /** Settles once every task queued so far has settled. */
  async allIdle(): Promise<void> {
    await Promise.all([...this.#last.values()])
  }
}
