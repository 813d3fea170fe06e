/**
 * One reader of job_events per replica, fanning new events out to this replica's SSE clients.
 *
 * The hub reads the table only when woken: a local signal after a commit on this replica, a
 * NOTIFY from another one, or a slow safety poll, and only while it has subscribers. Wake-ups set
 * a dirty flag that one loop drains (no recursion, no growing promise chain): it reads events
 * with id > cursor in pages and publishes each page in id order. Events commit in id order
 * (db/repositories/event.repository.ts), so once the hub has read up to n, nothing at or below n
 * can appear later. A subscriber gets every event above the cursor it was handed at subscription.
 */
import type { StoredEvent } from '../db/repositories/event.repository.ts'
import { coerceError } from '../shared/errors.ts'
import type { Logger } from '../shared/logger.ts'
import { eventFrame } from './sse-frame.ts'

/** An event as the hub publishes it: the SSE frame is serialised once for every client. */
export interface HubEvent {
  readonly id: number
  readonly type: string
  readonly jobId: string | null
  readonly workspace: string | null
  readonly frame: string
}

export interface EventSubscriber {
  /** Called synchronously with each page, in id order; must not block or throw. */
  onEvents(events: ReadonlyArray<HubEvent>): void
}

export interface EventHubDeps {
  /** Events with id > afterId, every type, in id order, at most `limit`. */
  readonly readAfter: (afterId: number, limit: number) => Promise<ReadonlyArray<StoredEvent>>
  /** The largest visible id (0 when none). */
  readonly latestId: () => Promise<number>
  readonly logger: Logger
  /** Re-reads this often while anyone listens, covering a lost NOTIFY (default 5 000). */
  readonly safetyPollMs?: number
  readonly pageSize?: number
}

export interface Subscription {
  /** Events with a larger id are delivered to the subscriber; older ones are the caller's to read. */
  readonly cursor: number
  unsubscribe(): void
}

export class EventHub {
  readonly #d: EventHubDeps
  readonly #subs = new Set<EventSubscriber>()
  /** Last id published; null while nobody listens (the table is not followed then). */
  #cursor: number | null = null
  /** Bumped whenever the hub goes cold, so a read started before is discarded. */
  #generation = 0
  #warming: Promise<void> | null = null
  #dirty = false
  #running: Promise<void> | null = null
  #timer: NodeJS.Timeout | null = null
  #closed = false

  constructor(deps: EventHubDeps) {
    this.#d = deps
  }

  /** The last id published (0 before the first read). */
  get cursor(): number {
    return this.#cursor ?? 0
  }

  subscriberCount(): number {
    return this.#subs.size
  }

  /** Something may have committed: read the table if anyone listens. */
  wake(): void {
    this.#dirty = true
    if (this.#running || this.#closed || this.#cursor === null) return
    const run = this.#drain().finally(() => {
      this.#running = null
      if (this.#dirty && this.#cursor !== null && !this.#closed) this.wake()
    })
    this.#running = run
  }

  async subscribe(sub: EventSubscriber): Promise<Subscription> {
    while (this.#cursor === null) {
      if (this.#closed) throw new Error('the event hub is closed')
      await this.#warm()
    }
    // Synchronous from here: no page can be published between reading the cursor and adding.
    this.#subs.add(sub)
    this.#startTimer()
    return { cursor: this.#cursor, unsubscribe: () => this.#unsubscribe(sub) }
  }

  async close(): Promise<void> {
    this.#closed = true
    this.#subs.clear()
    this.#stopTimer()
    await this.#running
  }

  #unsubscribe(sub: EventSubscriber): void {
    if (!this.#subs.delete(sub) || this.#subs.size > 0) return
    this.#cursor = null
    this.#generation += 1
    this.#stopTimer()
  }

  /** Starts following the table from its current end. */
  #warm(): Promise<void> {
    this.#warming ??= (async () => {
      try {
        const latest = await this.#d.latestId()
        if (this.#cursor === null) this.#cursor = latest
      } finally {
        this.#warming = null
      }
      // A commit between that read and the first subscriber's arrival is caught by this pass.
      this.wake()
    })()
    return this.#warming
  }

  async #drain(): Promise<void> {
    const pageSize = this.#d.pageSize ?? 500
    while (this.#dirty && !this.#closed) {
      this.#dirty = false
      const cursor = this.#cursor
      const generation = this.#generation
      if (cursor === null) return
      let page: ReadonlyArray<StoredEvent>
      try {
        page = await this.#d.readAfter(cursor, pageSize)
      } catch (e) {
        this.#d.logger.warn({ err: coerceError(e) }, 'reading events failed; retrying shortly')
        return
      }
      if (generation !== this.#generation || this.#cursor !== cursor) continue
      if (page.length === 0) continue
      this.#cursor = page[page.length - 1]!.id
      this.#publish(page)
      if (page.length === pageSize) this.#dirty = true
    }
  }

  #publish(page: ReadonlyArray<StoredEvent>): void {
    const events: HubEvent[] = page.map((e) => ({
      id: e.id,
      type: e.type,
      jobId: e.jobId,
      workspace: e.workspace,
      frame: eventFrame(e),
    }))
    for (const sub of [...this.#subs]) {
      try {
        sub.onEvents(events)
      } catch (e) {
        this.#d.logger.warn({ err: coerceError(e) }, 'event subscriber failed')
      }
    }
  }

  #startTimer(): void {
    if (this.#timer || this.#closed) return
    this.#timer = setInterval(() => this.wake(), this.#d.safetyPollMs ?? 5000)
    this.#timer.unref()
  }

  #stopTimer(): void {
    if (this.#timer) clearInterval(this.#timer)
    this.#timer = null
  }
}
