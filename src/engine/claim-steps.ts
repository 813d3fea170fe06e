/**
 * Claims ready steps and renders them in the same transaction (ARCHITECTURE.md §2 step 4): the
 * rendered input is stored with the claim, so the job detail shows it at once. Steps whose
 * templates fail are returned apart and failed by the caller after commit (the job lock must be
 * taken before step locks, so it cannot happen here).
 */
import type { Kysely } from 'kysely'
import { claimReadySteps, type ClaimedJobInfo } from '../db/queries/claim-ready-steps.ts'
import { insertEvents } from '../db/repositories/event.repository.ts'
import { loadCompletedOutputs, setStepInput } from '../db/repositories/step-run.repository.ts'
import type { DB } from '../db/schema.ts'
import { withTransaction } from '../db/transaction.ts'
import { createScrubber, maskJsonStrings } from '../shared/secret-mask.ts'
import type { Workspace } from '../workspace/workspace.ts'
import { AfterCommit } from './after-commit.ts'
import type { StepRun } from './job.ts'
import { renderStep, type RenderedStep } from './render-step.ts'
import { jobSecretValues, stepSecretValues } from './secret-values.ts'

export interface ClaimedRender {
  readonly step: StepRun
  readonly job: ClaimedJobInfo
  readonly rendered: RenderedStep
  /**
   * The values to mask in this step's logs and results: the job's secret set plus the step's
   * secret inputs. Register them with the log store (`addSecrets`) before the step runs.
   */
  readonly secrets: ReadonlyArray<string>
}

export interface ClaimBatch {
  readonly ok: ClaimedRender[]
  readonly failed: Array<{ step: StepRun; job: ClaimedJobInfo; error: string }>
  readonly fx: AfterCommit
}

export async function claimAndRender(
  db: Kysely<DB>,
  req: {
    workerId: string
    workerName: string
    limit: number
    leaseTtlSecs: number
    tags: ReadonlyArray<string>
    capabilities: ReadonlyArray<string>
    startNow: boolean
  },
  workspaceFor: (name: string, revision: string) => Workspace | undefined,
): Promise<ClaimBatch> {
  return withTransaction(db, async (trx) => {
    const batch: ClaimBatch = { ok: [], failed: [], fx: new AfterCommit() }
    const claimed = await claimReadySteps(trx, req)
    const outputs = new Map<string, Map<string, unknown>>()
    const started = new Set<string>()
    for (const { step, job } of claimed) {
      // Root steps need no upstream outputs: skip the read on the hot path.
      if (!outputs.has(step.jobId) && step.dependsOn.length > 0) {
        outputs.set(step.jobId, await loadCompletedOutputs(trx, step.jobId))
      }
      const ws = workspaceFor(job.workspace, job.revision)
      try {
        const rendered = renderStep(step.spec, {
          jobId: job.id,
          workspace: job.workspace,
          taskName: job.taskName,
          stepName: step.name,
          attempt: step.attempt,
          jobInput: job.input,
          secret: ws?.secrets ?? {},
          outputs: outputs.get(step.jobId) ?? new Map<string, unknown>(),
        })
        const secrets = [
          ...jobSecretValues(ws, job),
          ...stepSecretValues(step.spec, rendered.input),
        ]
        // The stored input is for display only (a retry renders again): keep secrets out of it.
        const stored =
          secrets.length === 0
            ? rendered.input
            : maskJsonStrings(rendered.input, createScrubber(secrets))
        await setStepInput(trx, step.id, stored)
        batch.ok.push({ step, job, rendered, secrets })
      } catch (e) {
        batch.failed.push({ step, job, error: (e as Error).message })
      }
      batch.fx.logOwners.set(job.id, job.logOwner)
      // Only the claim that flipped the job emits job.started (a finisher holding the job row
      // flips it otherwise, and emits it then), and before the job's first step.started.
      if (job.started && !started.has(job.id)) {
        started.add(job.id)
        batch.fx.event('job.started', {
          job_id: job.id,
          workspace: job.workspace,
          task_name: job.taskName,
          status: 'running',
        })
      }
      batch.fx.event('step.started', {
        job_id: job.id,
        workspace: job.workspace,
        task_name: job.taskName,
        step_name: step.name,
        attempt: step.attempt,
        worker_id: req.workerId,
      })
      batch.fx.line(
        job.id,
        `step ${step.name} started on worker ${req.workerName} (attempt ${step.attempt})`,
      )
    }
    // Last statement of the transaction (the events lock is held until COMMIT).
    await insertEvents(trx, batch.fx.events)
    return batch
  })
}
