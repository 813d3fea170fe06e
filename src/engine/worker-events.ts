/**
 * `worker.changed` (API.md §8) for the worker lifecycle: build it with `workerChangedEvent`, push
 * it into the transaction's AfterCommit (`fx.events.push(...)`), insert `fx.events` with
 * `insertEvents` as the transaction's LAST statement, and run `fx` after the commit, like every
 * other event (SSE clients then see it in commit order).
 */
import type { DomainEvent } from '../shared/events.ts'
import type { WorkerStatus } from '../shared/statuses.ts'

export function workerChangedEvent(w: {
  readonly id: string
  readonly name: string
  readonly status: WorkerStatus
}): DomainEvent<'worker.changed'> {
  return { type: 'worker.changed', data: { worker_id: w.id, name: w.name, status: w.status } }
}
