/**
 * Waiting for a job to end, for callers that hold a request open (a webhook in `mode: sync`,
 * `GET /hooks/{name}/jobs/{id}?wait=true`). The job's `job.finished` event on this replica's bus
 * answers at once; a slower check of the job row covers jobs that end on another replica.
 */
import type { EventEmitter } from 'node:events'
import type { Job } from '../flow/job.ts'
import { monotonicMs } from '../shared/clock.ts'
import type { DomainEvent } from '../shared/events.ts'
import { isTerminalJobStatus } from '../shared/statuses.ts'

/** How often the job row is read while waiting (other replicas' ends). */
const CHECK_MS = 1000

export interface JobWaiter {
  /** The job once it has ended, or as it is when `timeoutMs` passed (undefined: no such job). */
  waitForEnd(jobId: string, timeoutMs: number): Promise<Job | undefined>
}

export function createJobWaiter(d: {
  readonly bus: EventEmitter<{ events: [ReadonlyArray<DomainEvent>] }>
  readonly findJob: (id: string) => Promise<Job | undefined>
}): JobWaiter {
  return {
    async waitForEnd(jobId, timeoutMs) {
      let wake: () => void = () => undefined
      const listener = (events: ReadonlyArray<DomainEvent>) => {
        if (
          events.some(
            (e) => e.type === 'job.finished' && (e.data as { job_id: string }).job_id === jobId,
          )
        )
          wake()
      }
      // Listen before the first read, so an end between the two is not missed.
      d.bus.on('events', listener)
      const deadline = monotonicMs() + timeoutMs
      try {
        for (;;) {
          const job = await d.findJob(jobId)
          if (!job || isTerminalJobStatus(job.status)) return job
          const left = deadline - monotonicMs()
          if (left <= 0) return job
          await new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, Math.min(left, CHECK_MS))
            wake = () => {
              clearTimeout(timer)
              resolve()
            }
          })
        }
      } finally {
        d.bus.off('events', listener)
      }
    },
  }
}
