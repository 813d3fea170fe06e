/**
 * A lost lease is a failed attempt (API.md §11.6): the orchestrator records it, fenced on the
 * lease token, and the retry policy sends the step back to `ready` or leaves it `failed`
 * (`cancelled` if a cancel was pending). Its `_server` line comes from the attempt's end.
 */
import type { Orchestrator } from '../jobs/orchestrator.ts'

export interface LostLease {
  readonly stepId: string
  readonly jobId: string
  readonly leaseToken: string | null
}

/** The error message of an attempt whose worker was lost: `worker <name> lost (<reason>)`. */
export function lostWorkerMessage(workerName: string, reason: string): string {
  return `worker ${workerName} lost (${reason})`
}

/** Ends the attempt as failed; false when the lease was no longer current (nothing changed). */
export async function loseLease(
  orchestrator: Orchestrator,
  lease: LostLease,
  errorMessage: string,
): Promise<boolean> {
  const res = await orchestrator.finishStep(lease.stepId, lease.jobId, lease.leaseToken, {
    status: 'failed',
    exitCode: null,
    output: null,
    errorMessage,
  })
  return res.ok
}
