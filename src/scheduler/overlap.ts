/**
 * `concurrency: cancel_previous` (WORKSPACE-FORMAT.md §6.1), applied inside the fire
 * transaction under each previous job's row lock (ARCHITECTURE.md §6): the cancel commits with
 * the new job or not at all, and only the scheduler that won the slot cancels anything.
 */
import type { Transaction } from 'kysely'
import { lockJobForUpdate } from '../db/repositories/job.repository.ts'
import type { DB } from '../db/schema.ts'
import { AfterCommit } from '../flow/after-commit.ts'
import { isTerminalJobStatus } from '../shared/statuses.ts'
import type { SchedulerContext } from './scheduler-deps.ts'

/**
 * Cancels the trigger's active jobs (oldest first, the order every fire locks them in). A job
 * that ended since it was listed is left alone: its row lock shows the final status.
 */
export async function cancelActiveJobs(
  ctx: SchedulerContext,
  trx: Transaction<DB>,
  jobIds: ReadonlyArray<string>,
): Promise<{ fx: AfterCommit; cancelled: string[] }> {
  const fx = new AfterCommit()
  const cancelled: string[] = []
  for (const id of jobIds) {
    const job = await lockJobForUpdate(trx, id)
    if (!job || isTerminalJobStatus(job.status)) continue
    fx.merge((await ctx.d.orchestrator.requestCancel(trx, job)).fx)
    cancelled.push(id)
  }
  return { fx, cancelled }
}
