/**
 * A background pass run at once and then every `intervalMs`, never two at a time (a tick while a
 * pass runs is skipped). `stop()` clears the timer and waits for a pass in flight; idempotent.
 * The pass must not throw: loops log their own errors and go on.
 */
export class Periodic {
  readonly #pass: () => Promise<unknown>
  readonly #intervalMs: number
  #timer: NodeJS.Timeout | null = null
  #running: Promise<unknown> | null = null
  #stopping: Promise<void> | null = null

  constructor(pass: () => Promise<unknown>, intervalMs: number) {
    this.#pass = pass
    this.#intervalMs = intervalMs
  }

  start(): void {
    if (this.#timer || this.#stopping) return
    const tick = () => {
      this.#running ??= this.#pass().finally(() => (this.#running = null))
    }
    tick()
    this.#timer = setInterval(tick, this.#intervalMs)
    this.#timer.unref()
  }

  /** True once `stop()` was called: a long pass checks it between batches. */
  get stopping(): boolean {
    return this.#stopping !== null
  }

  stop(): Promise<void> {
    this.#stopping ??= (async () => {
      if (this.#timer) clearInterval(this.#timer)
      this.#timer = null
      await this.#running
    })()
    return this.#stopping
  }
}
