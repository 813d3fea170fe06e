/**
 * The step side of the remote worker protocol (API.md §11.3–§11.5): long-poll claims over the
 * same claim query and wake-ups as the embedded worker, and the lease-token chain of start, logs,
 * cancel-check and complete. Decisions are workers/lease-chain.ts; the writes are fenced queries,
 * and completions go through the orchestrator like the embedded worker's.
 */
import { KeyedTurns } from '../shared/keyed-turns.ts'
import { randomBytes } from 'node:crypto'
import type { Kysely } from 'kysely'
import { advanceLease } from '../db/queries/advance-lease.ts'
import { findStepLease, type StepLease } from '../db/queries/find-lease.ts'
import { findWorkerById } from '../db/repositories/worker.repository.ts'
import type { DB } from '../db/schema.ts'
import { ConflictError, NotFoundError } from '../shared/errors.ts'
import type { Logger } from '../shared/logger.ts'
import type { JobStatus } from '../shared/statuses.ts'
import type { WakeSignal } from '../shared/wake-signal.ts'
import type { ClaimedRender } from '../dispatch/claim-steps.ts'
import {
  checkCompletionStatus,
  decideMutatingCall,
  decideReadOnlyCall,
  nextLeaseToken,
  type LeaseRejection,
} from './lease-chain.ts'
import type { ClaimingWorker, LocalStepSource } from '../dispatch/local-step-source.ts'
import type { Orchestrator } from '../jobs/orchestrator.ts'
import type { WorkerRecord } from './worker-record.ts'

export interface RemoteStepCallsDeps {
  readonly db: Kysely<DB>
  readonly orchestrator: Orchestrator
  /** Claims and log appends go through the embedded worker's source: one path for both. */
  readonly source: LocalStepSource
  readonly wake: WakeSignal
  readonly leaseTtlSecs: number
  /** Longest wait between claim attempts without a wake-up (covers a lost notification). */
  readonly safetyPollMs: number
  readonly logger: Logger
  /** Milliseconds since an arbitrary origin (deadlines of long polls). */
  readonly monotonicMs: () => number
}

export interface StepCall {
  readonly worker: WorkerRecord
  readonly jobId: string
  readonly stepName: string
  readonly token: string
}

export interface CompleteRequest {
  readonly seq: number
  readonly status: 'completed' | 'failed' | 'cancelled'
  readonly exitCode: number | null
  readonly output: unknown
  readonly errorMessage: string | null
}

export interface CompleteReply {
  readonly step_status: string
  readonly job_status: JobStatus
}

function rejection(r: LeaseRejection): Error {
  switch (r.code) {
    case 'not_found':
      return new NotFoundError(r.message)
    case 'lease_expired':
    case 'lease_token_used':
    case 'conflict':
      return new ConflictError(r.message, r.code)
  }
}

export class RemoteStepCalls {
  readonly #d: RemoteStepCallsDeps
  readonly #closing = new AbortController()
  /** Calls on one step run one at a time in this process (a retried push must not interleave). */
  /** Calls on one step's lease, one at a time. */
  readonly #queues = new KeyedTurns()
  #waiting = 0

  constructor(deps: RemoteStepCallsDeps) {
    this.#d = deps
  }

  /** Long-poll claims waiting for a step right now. */
  get waitingClaims(): number {
    return this.#waiting
  }

  /** Waiting claims answer "no work" at once, and new ones do not wait (server shutdown). */
  close(): void {
    this.#closing.abort()
  }

  /**
   * Long-poll claim (API.md §11.3): null at once when the worker is draining or at its
   * max_concurrency, else the first step it may run, or null after `waitSecs`, on shutdown, or
   * once `clientGone` aborts (no step is claimed for a caller that left).
   */
  async claim(
    worker: WorkerRecord,
    waitSecs: number,
    clientGone?: AbortSignal,
  ): Promise<ClaimedRender | null> {
    const d = this.#d
    const signal = clientGone
      ? AbortSignal.any([this.#closing.signal, clientGone])
      : this.#closing.signal
    const deadline = d.monotonicMs() + waitSecs * 1000
    // Status and running steps as they are now (the authenticated record may be a second old).
    let current = await findWorkerById(d.db, worker.id)
    for (;;) {
      if (!current) return null
      if (signal.aborted) return null
      if (current.status !== 'active' || current.runningSteps >= current.maxConcurrency) return null
      const seen = d.wake.generation
      // started_at is recorded with the claim: workers start the process at once, and the
      // optional `start` call then changes nothing (it saves a round trip per step).
      const claimed = await d.source.claimFor(claimingWorker(current), 1, true)
      if (claimed === null) continue
      const step = claimed[0]
      if (step) {
        if (clientGone?.aborted)
          d.logger.warn(
            { workerId: worker.id, jobId: step.job.id, step: step.step.name },
            'claimed a step for a worker that has gone away; its lease will expire',
          )
        return step
      }
      const left = deadline - d.monotonicMs()
      if (left <= 0 || signal.aborted) return null
      this.#waiting++
      try {
        await d.wake.wait(seen, Math.min(left, d.safetyPollMs), signal)
      } finally {
        this.#waiting--
      }
      // The worker may have been drained, revoked or given steps elsewhere meanwhile.
      current = await findWorkerById(d.db, worker.id)
    }
  }

  /** `start`: records started_at the first time; returns {next_token, lease_expires_at}. */
  async start(call: StepCall, seq: number): Promise<unknown> {
    return this.#advance(call, seq, true, () => ({}))
  }

  /** `logs`: appends the lines (masked), then advances the chain (append first: never lost). */
  async logs(
    call: StepCall,
    seq: number,
    lines: ReadonlyArray<{ ts: string; stream: 'stdout' | 'stderr'; line: string }>,
  ): Promise<unknown> {
    return this.#advance(call, seq, false, async (lease) => {
      // The log store masks the job's secrets (and those this replica rendered into the claim).
      const { lastSeq } = await this.#d.source.appendStepLines(lease.jobId, lease.stepName, lines)
      return {
        accepted: lines.length,
        last_seq: lastSeq,
        cancel_requested: lease.stopReason !== null,
      }
    })
  }

  /** `cancel-check`: read-only; accepts the current token or the one just consumed. */
  async cancelCheck(call: StepCall): Promise<{ cancel_requested: boolean; reason: string | null }> {
    const lease = await this.#lease(call)
    const decision = decideReadOnlyCall(lease, { workerId: call.worker.id, token: call.token })
    if (decision.kind === 'reject') throw rejection(decision)
    return { cancel_requested: lease.stopReason !== null, reason: lease.stopReason }
  }

  /** `complete`: ends the attempt through the orchestrator, fenced on token and seq. */
  async complete(call: StepCall, req: CompleteRequest): Promise<CompleteReply> {
    return this.#serial(call, async () => {
      const lease = await this.#lease(call)
      const decision = decideMutatingCall(lease, { ...this.#who(call), seq: req.seq })
      if (decision.kind === 'reject') throw rejection(decision)
      if (decision.kind === 'replay') return decision.reply as CompleteReply
      const bad = checkCompletionStatus(lease, req.status)
      if (bad) throw new ConflictError(bad)
      const res = await this.#d.orchestrator.finishStep(
        lease.stepId,
        lease.jobId,
        call.token,
        {
          status: req.status,
          exitCode: req.exitCode,
          output: req.output,
          errorMessage: req.errorMessage,
        },
        { seq: req.seq },
      )
      if (res.ok) return { step_status: res.stepStatus, job_status: res.jobStatus }
      return (await this.#afterLostRace(call, req.seq)) as CompleteReply
    })
  }

  /** One mutating call of the chain: decide, do the call's work, then advance the lease. */
  async #advance(
    call: StepCall,
    seq: number,
    markStarted: boolean,
    work: (lease: StepLease) => Record<string, unknown> | Promise<Record<string, unknown>>,
  ): Promise<unknown> {
    return this.#serial(call, async () => {
      const lease = await this.#lease(call)
      const decision = decideMutatingCall(lease, { ...this.#who(call), seq })
      if (decision.kind === 'reject') throw rejection(decision)
      if (decision.kind === 'replay') return decision.reply
      const partial = await work(lease)
      const nextToken = nextLeaseToken(call.token, randomBytes(16).toString('hex'))
      const reply = await advanceLease(this.#d.db, {
        stepId: lease.stepId,
        token: call.token,
        nextToken,
        seq,
        ttlSecs: this.#d.leaseTtlSecs,
        markStarted,
        reply: { ...partial, next_token: nextToken },
      })
      return reply ?? this.#afterLostRace(call, seq)
    })
  }

  /** The fenced write found the lease changed: a concurrent delivery of this call, or it is gone. */
  async #afterLostRace(call: StepCall, seq: number): Promise<unknown> {
    const lease = await this.#lease(call)
    const decision = decideMutatingCall(lease, { ...this.#who(call), seq })
    if (decision.kind === 'replay') return decision.reply
    if (decision.kind === 'reject') throw rejection(decision)
    throw new ConflictError(
      `the lease on step '${call.stepName}' changed during the call; discard the result`,
      'lease_expired',
    )
  }

  #who(call: StepCall) {
    return { workerId: call.worker.id, token: call.token }
  }

  async #lease(call: StepCall): Promise<StepLease> {
    const lease = await findStepLease(this.#d.db, call.jobId, call.stepName)
    if (!lease)
      throw new NotFoundError(`no lease of yours on step '${call.stepName}' of job '${call.jobId}'`)
    return lease
  }

  #serial<T>(call: StepCall, fn: () => Promise<T>): Promise<T> {
    return this.#queues.run(`${call.jobId}\u0000${call.stepName}`, fn)
  }
}

function claimingWorker(w: WorkerRecord): ClaimingWorker {
  return { id: w.id, name: w.name, tags: w.tags, capabilities: w.capabilities }
}
