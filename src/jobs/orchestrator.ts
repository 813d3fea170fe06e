/**
 * The orchestrator applies the pure engine's decisions: load, decide, persist in one transaction,
 * then run the collected effects after commit. The database is the only truth.
 */
import type { Kysely, Transaction } from 'kysely'
import { insertPlannedJobs, insertStepRuns } from '../db/queries/insert-planned-jobs.ts'
import { readJobsWithSteps } from '../db/queries/lock-job-with-steps.ts'
import { StepSpecCache } from '../db/queries/step-spec-cache.ts'
import { listArtifacts } from '../db/repositories/artifact.repository.ts'
import { insertAuditEntry } from '../db/repositories/audit.repository.ts'
import { insertEvents } from '../db/repositories/event.repository.ts'
import { findJobIdByIdempotencyKey } from '../db/repositories/job.repository.ts'
import { isPgError, UNIQUE_VIOLATION } from '../db/pg-errors.ts'
import type { DB } from '../db/schema.ts'
import { withTransaction } from '../db/transaction.ts'
import type { NewAuditEntry } from '../shared/accounts.ts'
import type { Clock } from '../shared/clock.ts'
import { createCoalescer } from '../shared/coalescer.ts'
import { newJobId, newStepRunId } from '../shared/ids.ts'
import { KeyedTurns } from '../shared/keyed-turns.ts'
import type { Logger } from '../shared/logger.ts'
import { isTerminalJobStatus, type JobStatus, type StepStatus } from '../shared/statuses.ts'
import type { TaskDef, Workspace } from '../workspace/workspace.ts'
import type { AfterCommit } from '../flow/after-commit.ts'
import { cancelJob, requestCancel, timeoutJob, type CancelContext } from './cancel-job.ts'
import {
  endPlannedJob,
  NeedsTransaction,
  startPlannedJob,
  type SettleDeps,
} from './apply-settlement.ts'
import { stepKind } from '../flow/step-spec.ts'
import {
  finishStep,
  type FinishDeps,
  type FinishRequest,
  type FinishResult,
} from './finish-step.ts'
import {
  childJobEnded,
  decideApprovalStep,
  startDueServerSteps,
  timeOutApproval,
  type ServerStepDeps,
} from './server-step-events.ts'
import type { ApprovalRequest } from '../flow/approvals.ts'
import { JobSecrets, maskPlannedJob } from './job-secrets.ts'
import type { Job, StepOutcome } from '../flow/job.ts'
import { describeNewJobs, type NewJobsBatch } from './new-jobs.ts'
import { planJob, type JobSource, type PlannedJob } from '../flow/plan-job.ts'

export interface OrchestratorDeps {
  readonly db: Kysely<DB>
  readonly clock: Clock
  readonly logger: Logger
  /** The workspace version a job was planned from (or the serving one when evicted). */
  readonly workspaceFor: (name: string, revision: string) => Workspace | undefined
  readonly onCommitted: (fx: AfterCommit) => void
  readonly defaults: { readonly stepTimeoutSecs: number; readonly jobTimeoutSecs: number | null }
  /** Replica that owns the logs of jobs created here. */
  readonly logOwner: string | null
  /** Jobs' secret sets, masked in what is stored (default: a cache of this orchestrator's own). */
  readonly secrets?: JobSecrets
}

export interface CreateJobRequest {
  readonly workspace: Workspace
  readonly task: TaskDef
  readonly input: Readonly<Record<string, unknown>>
  readonly rawInput?: unknown
  readonly source: JobSource
  readonly fireKey?: string | null
  readonly idempotencyKey?: string | null
  readonly retryOfJobId?: string | null
  /** A re-run: the job whose input it replays. */
  readonly sourceJobId?: string | null
  /** Written with the job, in its statement (who asked for it). */
  readonly audit?: NewAuditEntry
}

export type { FinishResult }

export class Orchestrator {
  readonly #d: OrchestratorDeps
  readonly #secrets: JobSecrets

  /** Creates arriving together share one statement (group commit; one bad item fails alone). */
  readonly #insertNow: (batch: NewJobsBatch) => Promise<void>
  /** Finishes of the same job take turns here (see finishStep). */
  readonly #finishing = new KeyedTurns()
  /** Specs of the steps of big jobs: their reads leave specs out. */
  readonly #specs = new StepSpecCache()
  /** Optimistic finishes arriving together share their read. */
  readonly #read: FinishDeps['read']

  constructor(deps: OrchestratorDeps) {
    this.#d = deps
    this.#secrets = deps.secrets ?? new JobSecrets(deps.workspaceFor)
    this.#insertNow = createCoalescer(
      async (batches: NewJobsBatch[]) => {
        await insertPlannedJobs(
          deps.db,
          batches.flatMap((b) => b.jobs),
          deps.logOwner,
          { events: batches.flatMap((b) => b.events), audit: batches.flatMap((b) => b.audit) },
        )
        return []
      },
      { isolateFailures: true },
    )
    this.#read = createCoalescer(async (ids: string[]) => {
      const found = await readJobsWithSteps(deps.db, ids, this.#specs)
      return ids.map((id) => found.get(id))
    })
  }

  /** The secret sets step outcomes are masked with (claims add the steps' secret inputs). */
  get secrets(): JobSecrets {
    return this.#secrets
  }

  /** Plans and stores a job with all its steps in one transaction; `created` is false on an idempotent repeat. */
  async createJob(req: CreateJobRequest): Promise<{ jobId: string; created: boolean }> {
    const { db } = this.#d
    const existing = await this.#existingJob(req)
    if (existing) {
      if (req.audit) await insertAuditEntry(db, { ...req.audit, targetId: existing })
      return { jobId: existing, created: false }
    }
    const audit = req.audit
    const planned = planJob({
      jobId: newJobId(),
      newStepId: newStepRunId,
      workspace: req.workspace,
      task: req.task,
      input: req.input,
      rawInput: req.rawInput,
      source: req.source,
      now: this.#d.clock.now(),
      defaultStepTimeoutSecs: this.#d.defaults.stepTimeoutSecs,
      defaultJobTimeoutSecs: this.#d.defaults.jobTimeoutSecs,
      fireKey: req.fireKey,
      idempotencyKey: req.idempotencyKey,
      retryOfJobId: req.retryOfJobId,
      sourceJobId: req.sourceJobId,
    })
    try {
      let fx: AfterCommit
      if (isTerminalJobStatus(planned.status) || startsOnServer(planned)) {
        // Nothing to run (every step skipped or failed at planning): finished, with its hooks.
        // Or a step the server runs is ready from the start: it starts in the same transaction.
        fx = await withTransaction(db, async (trx) => {
          const fx = await this.insertJobs(trx, [planned])
          if (audit) await insertAuditEntry(trx, { ...audit, targetId: planned.id })
          await insertEvents(trx, fx.events)
          return fx
        })
      } else {
        // The hot path: the job, its steps, its events and its audit entry in one statement.
        const masked = this.#masked([planned])
        fx = describeNewJobs(masked, this.#d.logOwner)
        await this.#insertNow({
          jobs: masked,
          events: fx.events,
          audit: audit ? [{ ...audit, targetId: planned.id }] : [],
        })
      }
      this.#d.onCommitted(fx)
      return { jobId: planned.id, created: true }
    } catch (e) {
      // A concurrent request with the same key won the insert: answer with its job.
      const winner = isPgError(e, UNIQUE_VIOLATION) ? await this.#existingJob(req) : undefined
      if (winner) return { jobId: winner, created: false }
      throw e
    }
  }

  /** The job already created for this request's Idempotency-Key, if any. */
  async #existingJob(req: CreateJobRequest): Promise<string | undefined> {
    if (!req.idempotencyKey) return undefined
    return findJobIdByIdempotencyKey(
      this.#d.db,
      req.workspace.name,
      req.task.name,
      req.idempotencyKey,
    )
  }

  /** Inserts planned jobs inside the caller's transaction (also used for hook jobs and cron fires). */
  async insertJobs(trx: Transaction<DB>, jobs: ReadonlyArray<PlannedJob>): Promise<AfterCommit> {
    const masked = this.#masked(jobs)
    await insertPlannedJobs(trx, masked, this.#d.logOwner)
    const fx = describeNewJobs(masked, this.#d.logOwner)
    for (const p of masked) {
      if (p.status === 'completed' || p.status === 'failed' || p.status === 'cancelled')
        fx.merge(await endPlannedJob(trx, this.#settleDeps(trx), p.id, p.status))
      else if (startsOnServer(p)) fx.merge(await startPlannedJob(trx, this.#settleDeps(trx), p.id))
    }
    return fx
  }

  #masked(jobs: ReadonlyArray<PlannedJob>): PlannedJob[] {
    return jobs.map((p) => maskPlannedJob(p, this.#secrets.of(p).scrubber))
  }

  /**
   * Ends the current attempt of a running step. With a lease token the update is fenced on it;
   * `{ok: false}` means the lease is no longer current and nothing changed (409 lease_expired).
   * With `chain` (a remote worker's `complete`), it is also fenced on the chain's seq, and the
   * reply `{step_status, job_status}` is stored for replays (API.md §11.4).
   */
  async finishStep(
    stepId: string,
    jobId: string,
    leaseToken: string | null,
    outcome: StepOutcome,
    chain?: FinishRequest['chain'],
    snapshot?: FinishRequest['snapshot'],
  ): Promise<FinishResult> {
    // Siblings ending together in this process take turns: racing each other's optimistic
    // writes would mostly conflict (measured on a 50-way fan-in: three conflicts per finish).
    return this.#finishing.run(jobId, () =>
      finishStep(
        {
          db: this.#d.db,
          read: this.#read,
          clock: this.#d.clock,
          secrets: this.#secrets,
          settleDeps: (trx) => this.#settleDeps(trx),
          onCommitted: this.#d.onCommitted,
          specs: this.#specs,
        },
        { stepId, jobId, leaseToken, outcome, chain, snapshot },
      ),
    )
  }

  /** Cancels a job (API.md §5.3): 409 when terminal; running steps are asked to stop. */
  cancelJob(jobId: string): Promise<{ status: JobStatus; cancelRequestedAt: Date }> {
    return cancelJob(this.#cancelContext(), jobId)
  }

  /**
   * Cancels a job the caller has locked (`lockJobForUpdate`) and found not terminal, inside the
   * caller's transaction (also `concurrency: cancel_previous` in a cron fire). The caller inserts
   * `fx.events` and runs `fx` after its commit.
   */
  requestCancel(
    trx: Transaction<DB>,
    job: Job,
  ): Promise<{ fx: AfterCommit; status: JobStatus; at: Date }> {
    return requestCancel(this.#cancelContext(), trx, job)
  }

  /** Fails a job whose `timeout` passed: waiting steps fail, running ones are told to stop. */
  timeoutJob(jobId: string): Promise<void> {
    return timeoutJob(this.#cancelContext(), jobId)
  }

  /** A child job ended: its parent's task step moves (in the parent's own transaction). */
  childEnded(parentJobId: string, childJobId: string): Promise<void> {
    return childJobEnded(this.#serverStepDeps(), parentJobId, childJobId)
  }

  /** An approver's decision on a suspended approval step (404, 409, 400 as the API says). */
  decideApproval(
    jobId: string,
    stepName: string,
    req: Omit<ApprovalRequest, 'at'>,
  ): Promise<{ status: StepStatus }> {
    return decideApprovalStep(this.#serverStepDeps(), jobId, stepName, req)
  }

  /** A suspended approval past its step's timeout fails. */
  timeoutApproval(jobId: string, stepId: string): Promise<void> {
    return timeOutApproval(this.#serverStepDeps(), jobId, stepId)
  }

  /** Starts the job's server-run steps whose retry delay has passed. */
  startDueSteps(jobId: string): Promise<void> {
    return startDueServerSteps(this.#serverStepDeps(), jobId)
  }

  #serverStepDeps(): ServerStepDeps {
    return {
      db: this.#d.db,
      clock: this.#d.clock,
      settleDeps: (trx) => this.#settleDeps(trx),
      onCommitted: this.#d.onCommitted,
      specs: this.#specs,
    }
  }

  #cancelContext(): CancelContext {
    return {
      db: this.#d.db,
      clock: this.#d.clock,
      settleDeps: (trx) => this.#settleDeps(trx),
      onCommitted: this.#d.onCommitted,
    }
  }

  /** `trx` null (an optimistic finish): inserting jobs throws NeedsTransaction. */
  #settleDeps(trx: Transaction<DB> | null): SettleDeps {
    return {
      clock: this.#d.clock,
      workspaceFor: this.#d.workspaceFor,
      secrets: this.#secrets,
      defaults: this.#d.defaults,
      insertJobs: async (jobs) => {
        if (!trx) throw new NeedsTransaction()
        return this.insertJobs(trx, jobs)
      },
      insertSteps: async (jobId, steps) => {
        if (!trx) throw new NeedsTransaction()
        await insertStepRuns(trx, jobId, steps)
      },
      artifactsOf: async (jobId) => {
        if (!trx) throw new NeedsTransaction()
        return listArtifacts(trx, jobId)
      },
    }
  }
}

/** A new job with a ready step that the server runs itself (loop, task, approval). */
function startsOnServer(p: PlannedJob): boolean {
  return p.steps.some((s) => s.status === 'ready' && stepKind(s.spec) !== 'worker')
}
