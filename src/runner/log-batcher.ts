/**
 * Batches a step's output lines for its StepSource: one push in flight at a time, lines kept in
 * order, at most `delayMs` of added latency; a failed push is retried (the source makes retries
 * idempotent), never dropped.
 */
import type { ExecLine } from './executors/script-executor.ts'
import type { StopReason } from './step-source.ts'

export class LogBatcher {
  readonly #push: (lines: ExecLine[]) => Promise<StopReason | null>
  readonly #delayMs: number
  readonly #onStop: (reason: StopReason) => void
  readonly #onError: (e: unknown) => void
  #pending: ExecLine[] = []
  #timer: NodeJS.Timeout | null = null
  #inFlight: Promise<void> | null = null
  /** drain() was called: lines are kept for the caller, never pushed. */
  #holding = false

  constructor(opts: {
    push: (lines: ExecLine[]) => Promise<StopReason | null>
    delayMs: number
    onStop: (reason: StopReason) => void
    onError: (e: unknown) => void
  }) {
    this.#push = opts.push
    this.#delayMs = opts.delayMs
    this.#onStop = opts.onStop
    this.#onError = opts.onError
  }

  add(lines: ReadonlyArray<ExecLine>): void {
    this.#pending.push(...lines)
    if (this.#holding || this.#inFlight || this.#timer) return
    if (this.#delayMs <= 0) this.#send()
    else this.#timer = setTimeout(() => this.#send(), this.#delayMs)
  }

  #send(): void {
    this.#timer = null
    if (this.#pending.length === 0 || this.#inFlight) return
    const batch = this.#pending
    this.#pending = []
    this.#inFlight = this.#pushWithRetry(batch).finally(() => {
      this.#inFlight = null
      if (this.#pending.length > 0 && !this.#holding) this.#send()
    })
  }

  async #pushWithRetry(batch: ExecLine[]): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        const stop = await this.#push(batch)
        if (stop) this.#onStop(stop)
        return
      } catch (e) {
        this.#onError(e)
        if (attempt >= 20) return
        await new Promise((r) => setTimeout(r, Math.min(2000, 50 * 2 ** attempt)))
      }
    }
  }

  /**
   * Waits for the push in flight, then hands back what is still buffered instead of sending it
   * (the caller stores those lines itself, e.g. with the step's result).
   */
  async drain(): Promise<ExecLine[]> {
    this.#holding = true
    if (this.#timer) clearTimeout(this.#timer)
    this.#timer = null
    while (this.#inFlight) await this.#inFlight
    const rest = this.#pending
    this.#pending = []
    return rest
  }

  /** Sends everything buffered and waits until it is stored. */
  async flush(): Promise<void> {
    this.#holding = false
    if (this.#timer) clearTimeout(this.#timer)
    this.#timer = null
    while (this.#inFlight || this.#pending.length > 0) {
      if (!this.#inFlight) this.#send()
      await this.#inFlight
    }
  }
}
