/**
 * Runs what a committed orchestrator transaction asked for: `_server` lines, domain events,
 * wake-ups (now, or at a retry's ready time), stop requests to workers and log ends.
 */
import type { DomainEvent } from '../shared/events.ts'
import type { Logger } from '../shared/logger.ts'
import type { Clock } from '../shared/clock.ts'
import type { AfterCommit } from '../flow/after-commit.ts'
import type { JobLogs } from '../logs/job-logs.ts'
import { coerceError } from '../shared/errors.ts'

export interface EffectsTargets {
  readonly jobLogs: JobLogs
  /** Wakes claimers here and on other replicas (dispatch/ready-signal.ts). */
  readonly ready: { notify(): void }
  readonly clock: Clock
  readonly logger: Logger
  readonly emit: (events: ReadonlyArray<DomainEvent>) => void
  readonly stopJob: (jobId: string, reason: 'cancel_requested' | 'timeout') => void
  /** Learns who owns the logs of jobs created or claimed here, before any line is written. */
  readonly noteLogOwners?: (owners: ReadonlyMap<string, string | null>) => void
  /** A child job ended: its parent's task step moves. */
  readonly childEnded: (parentJobId: string, childJobId: string) => Promise<void>
  /** Cancels a child job whose parent was cancelled or timed out. */
  readonly cancelChild: (childJobId: string) => Promise<void>
}

export class EffectsRunner {
  readonly #t: EffectsTargets
  readonly #timers = new Set<NodeJS.Timeout>()

  constructor(targets: EffectsTargets) {
    this.#t = targets
  }

  run(fx: AfterCommit): void {
    const t = this.#t
    if (fx.logOwners.size > 0) t.noteLogOwners?.(fx.logOwners)
    for (const l of fx.lines) t.jobLogs.server(l.jobId, l.line, l.stream)
    if (fx.ready) {
      t.ready.notify()
    }
    const now = t.clock.nowMs()
    for (const at of fx.wakeAt) this.#wakeAt(at.getTime() - now)
    for (const s of fx.stops) t.stopJob(s.jobId, s.reason)
    for (const e of fx.ends) void t.jobLogs.end(e.jobId, e.status, e.line)
    // Other jobs' transactions: each after this one committed, failures logged (the sweeper
    // finds a parent whose child ended unnoticed).
    for (const c of fx.childEnds)
      t.childEnded(c.parentJobId, c.childJobId).catch((err: unknown) =>
        t.logger.warn(
          { err: coerceError(err), jobId: c.parentJobId },
          'moving a parent step failed',
        ),
      )
    for (const id of fx.cancelChildren)
      t.cancelChild(id).catch((err: unknown) =>
        t.logger.warn({ err: coerceError(err), jobId: id }, 'cancelling a child job failed'),
      )
    if (fx.events.length > 0) t.emit(fx.events)
  }

  #wakeAt(delayMs: number): void {
    const timer = setTimeout(
      () => {
        this.#timers.delete(timer)
        this.#t.ready.notify()
      },
      Math.max(0, delayMs) + 5,
    )
    timer.unref()
    this.#timers.add(timer)
  }

  stop(): void {
    for (const t of this.#timers) clearTimeout(t)
    this.#timers.clear()
  }
}
