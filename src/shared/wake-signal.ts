/**
 * A level-triggered wake-up: `notify()` wakes every waiter, and a waiter that started after a
 * notify it has not seen returns at once, so no wake-up is lost between a claim and a wait.
 */
export class WakeSignal {
  #generation = 0
  #waiters = new Set<() => void>()

  get generation(): number {
    return this.#generation
  }

  notify(): void {
    this.#generation++
    const waiters = [...this.#waiters]
    this.#waiters.clear()
    for (const w of waiters) w()
  }

  /** Resolves on the next notify after `seen`, after `timeoutMs`, or when `signal` aborts. */
  wait(seen: number, timeoutMs: number, signal?: AbortSignal): Promise<void> {
    if (this.#generation !== seen || signal?.aborted) return Promise.resolve()
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer)
        this.#waiters.delete(done)
        signal?.removeEventListener('abort', done)
        resolve()
      }
      const timer = setTimeout(done, timeoutMs)
      this.#waiters.add(done)
      signal?.addEventListener('abort', done, { once: true })
    })
  }
}
