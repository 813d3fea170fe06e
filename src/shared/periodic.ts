/**
 * A background pass run at once (or after `firstDelayMs`) and then every `intervalMs`, never two
 * at a time (a tick while a pass runs is skipped). `stop()` clears the timers and waits for a pass
 * in flight; idempotent. The pass must not throw: loops log their own errors and go on.
 */
export class Periodic {
  readonly #pass: () => Promise<unknown>
  readonly #intervalMs: number
  readonly #firstDelayMs: number
  #first: NodeJS.Timeout | null = null
  #timer: NodeJS.Timeout | null = null
  #running: Promise<unknown> | null = null
  #stopping: Promise<void> | null = null

  constructor(pass: () => Promise<unknown>, intervalMs: number, firstDelayMs = 0) {
    this.#pass = pass
    this.#intervalMs = intervalMs
    this.#firstDelayMs = firstDelayMs
  }

  start(): void {
    if (this.#timer || this.#first || this.#stopping) return
    const tick = () => {
      this.#running ??= this.#pass().finally(() => (this.#running = null))
    }
    const repeat = () => {
      this.#first = null
      tick()
      this.#timer = setInterval(tick, this.#intervalMs)
      this.#timer.unref()
    }
    if (this.#firstDelayMs <= 0) return repeat()
    this.#first = setTimeout(repeat, this.#firstDelayMs)
    this.#first.unref()
  }

  /** True once `stop()` was called: a long pass checks it between batches. */
  get stopping(): boolean {
    return this.#stopping !== null
  }

  stop(): Promise<void> {
    this.#stopping ??= (async () => {
      if (this.#first) clearTimeout(this.#first)
      if (this.#timer) clearInterval(this.#timer)
      this.#first = null
      this.#timer = null
      await this.#running
    })()
    return this.#stopping
  }
}
