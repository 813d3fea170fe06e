/**
 * Claims ready steps (one statement: the claim, the jobs flipped to running and the started events;
 * ARCHITECTURE.md §2 step 4), then renders them. The rendered inputs (what the job detail shows)
 * are stored by one more statement that the caller need not wait for before starting the steps:
 * `inputsStored`. Steps whose templates fail are returned apart and failed by the caller.
 */
import { isDeepStrictEqual } from 'node:util'
import type { Kysely } from 'kysely'
import { claimReadySteps, type ClaimedJobInfo } from '../db/queries/claim-ready-steps.ts'
import { setStepInputs } from '../db/repositories/step-run.repository.ts'
import type { DB } from '../db/schema.ts'
import type { Clock } from '../shared/clock.ts'
import { createScrubber, maskJsonStrings } from '../shared/secret-mask.ts'
import type { Workspace } from '../workspace/workspace.ts'
import { AfterCommit } from '../flow/after-commit.ts'
import type { StepRun } from '../flow/job.ts'
import { announceJobMove, announceStepMove, moveJob, moveStep } from '../flow/move-effects.ts'
import { renderStep, type RenderedStep } from '../flow/render-step.ts'
import { jobSecretValues, secretValues, stepSecretValues } from '../flow/secret-values.ts'

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
  /** Settles once the rendered inputs are stored (never rejects: failures are only logged). */
  readonly inputsStored: Promise<void>
}

export interface ClaimRenderDeps {
  readonly workspaceFor: (name: string, revision: string) => Workspace | undefined
  readonly onInputsFailed: (err: unknown) => void
  /** Behind the templates' `now()`. */
  readonly clock: Pick<Clock, 'now'>
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
    withState?: boolean
    gateOnWorkerRow?: boolean
  },
  deps: ClaimRenderDeps,
): Promise<ClaimBatch> {
  const claimed = await claimReadySteps(db, req)
  const ok: ClaimedRender[] = []
  const failed: ClaimBatch['failed'] = []
  const fx = new AfterCommit()
  const inputs: Array<{ stepId: string; input: unknown }> = []
  const started = new Set<string>()
  for (const { step, job } of claimed) {
    const ws = deps.workspaceFor(job.workspace, job.revision)
    // Another workspace's action renders with that workspace's secrets, pinned at planning.
    const { actionWorkspace, actionRevision } = step.spec
    const owner = actionWorkspace
      ? deps.workspaceFor(actionWorkspace, actionRevision ?? '')
      : undefined
    try {
      const rendered = renderStep(step.spec, {
        jobId: job.id,
        workspace: job.workspace,
        taskName: job.taskName,
        stepName: step.name,
        attempt: step.attempt,
        jobInput: job.input,
        secret: ws?.secrets ?? {},
        ...(actionWorkspace ? { actionSecret: owner?.secrets ?? {} } : {}),
        outputs: job.outputs,
        state: job.state?.task?.state,
        globalState: job.state?.global?.state,
        clock: deps.clock,
      })
      const secrets = [
        ...jobSecretValues(ws, job),
        ...(owner ? secretValues(owner) : []),
        ...stepSecretValues(step.spec, rendered.input),
      ]
      // The stored input is for display only (a retry renders again): keep secrets out of it.
      const stored =
        secrets.length === 0
          ? rendered.input
          : maskJsonStrings(rendered.input, createScrubber(secrets))
      // Often already stored as planned (no templates, or a retry rendering the same): no write.
      if (!isDeepStrictEqual(stored, step.input)) inputs.push({ stepId: step.id, input: stored })
      ok.push({ step, job, rendered, secrets })
    } catch (e) {
      failed.push({ step, job, error: (e as Error).message })
    }
    fx.logOwners.set(job.id, job.logOwner)
    // The claim statement made these moves (and inserted their events): announce them here too.
    const ref = { id: job.id, workspace: job.workspace, taskName: job.taskName }
    if (job.started && !started.has(job.id)) {
      started.add(job.id)
      announceJobMove(fx, ref, moveJob({ id: job.id, status: 'pending' }, 'start'), {
        now: step.claimedAt ?? new Date(0),
      })
    }
    announceStepMove(fx, ref, moveStep({ ...step, status: 'ready' }, 'claim'), {
      worker: { id: req.workerId, name: req.workerName },
    })
  }
  const inputsStored = setStepInputs(db, inputs).catch(deps.onInputsFailed)
  return { ok, failed, fx, inputsStored }
}
