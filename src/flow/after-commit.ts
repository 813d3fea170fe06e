/**
 * Effects an orchestrator transaction collects and runs only after it commits: `_server` log
 * lines, wake-ups, stop requests, domain events and log ends. A rolled-back transaction has none.
 */
import type { DomainEvent, EventMap, EventType } from '../shared/events.ts'
import type { JobStatus } from '../shared/statuses.ts'

export class AfterCommit {
  readonly lines: Array<{ jobId: string; line: string; stream: 'stdout' | 'stderr' }> = []
  readonly events: DomainEvent[] = []
  readonly stops: Array<{ jobId: string; reason: 'cancel_requested' | 'timeout' }> = []
  readonly ends: Array<{ jobId: string; status: JobStatus; line: string }> = []
  readonly wakeAt: Date[] = []
  /** Child jobs that ended: their parents' task steps move, in the parents' own transactions. */
  readonly childEnds: Array<{ parentJobId: string; childJobId: string }> = []
  /** Child jobs to cancel (their parent was cancelled or timed out). */
  readonly cancelChildren: string[] = []
  /** Log owners (jobs.log_owner) of jobs created or claimed: later appends need no lookup. */
  readonly logOwners = new Map<string, string | null>()
  /** The steps that became claimable now: claimers are woken when there are any. */
  readySteps: string[] = []

  get ready(): boolean {
    return this.readySteps.length > 0
  }

  line(jobId: string, line: string, stream: 'stdout' | 'stderr' = 'stdout'): void {
    this.lines.push({ jobId, line, stream })
  }

  event<T extends EventType>(type: T, data: EventMap[T]): void {
    this.events.push({ type, data })
  }

  merge(other: AfterCommit): void {
    this.lines.push(...other.lines)
    this.events.push(...other.events)
    this.stops.push(...other.stops)
    this.ends.push(...other.ends)
    this.wakeAt.push(...other.wakeAt)
    this.childEnds.push(...other.childEnds)
    this.cancelChildren.push(...other.cancelChildren)
    for (const [jobId, owner] of other.logOwners) this.logOwners.set(jobId, owner)
    this.readySteps.push(...other.readySteps)
  }
}
