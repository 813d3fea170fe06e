/** What creating jobs announces, and how the jobs of one execute travel to their statement. */
import type { NewAuditEntry } from '../shared/accounts.ts'
import type { DomainEvent } from '../shared/events.ts'
import { AfterCommit } from '../flow/after-commit.ts'
import type { PlannedJob } from '../flow/plan-job.ts'
import { announceStepMove } from '../flow/move-effects.ts'

/** One execute's rows: several are inserted by one statement when they arrive together. */
export interface NewJobsBatch {
  readonly jobs: ReadonlyArray<PlannedJob>
  readonly events: ReadonlyArray<DomainEvent>
  readonly audit: ReadonlyArray<NewAuditEntry>
}

/** What creating these (masked) jobs announces: events, `_server` lines, wake-ups. */
export function describeNewJobs(
  jobs: ReadonlyArray<PlannedJob>,
  logOwner: string | null,
): AfterCommit {
  const fx = new AfterCommit()
  for (const p of jobs) {
    const jobRef = { id: p.id, workspace: p.workspace, taskName: p.taskName }
    fx.logOwners.set(p.id, logOwner)
    fx.event('job.created', {
      job_id: p.id,
      workspace: p.workspace,
      task_name: p.taskName,
      status: p.status,
      source_type: p.source.type,
      source_id: p.source.id,
    })
    fx.line(p.id, `job created (source: ${p.source.type}${p.source.id ? ` ${p.source.id}` : ''})`)
    for (const m of p.moves) announceStepMove(fx, jobRef, m)
  }
  return fx
}
