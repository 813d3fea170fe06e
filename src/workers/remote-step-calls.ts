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
  /** Wakes claimers here and on other replicas (the ready signal behind `wake`). */
  readonly notifyReady: () => void
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

export type StepLine = { ts: string; stream: 'stdout' | 'stderr'; line: string }

export interface CompleteRequest {
  readonly seq: number
  /** The step's last output lines, stored before the result (none: all were pushed). */
  readonly lines: ReadonlyArray<StepLine>
  /** Claim the next step this worker may run and hand it back with the reply. */
  readonly claimNext: boolean
  readonly status: 'completed' | 'failed' | 'cancelled'
  readonly exitCode: number | null
  readonly output: unknown
  readonly errorMessage: string | null
}

export interface CompleteReply {
  readonly step_status: string
  readonly job_status: JobStatus
}

export interface CompleteResult {
  readonly reply: CompleteReply
  /** The step claimed for the worker when it asked (`claimNext`), else null. */
  readonly next: ClaimedRender | null
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
  /** Calls on one step's lease run one at a time (a retried push must not interleave). */
  readonly #queues = new KeyedTurns()
  /**
   * Completions under way that will claim for their worker, by worker id. A long poll of that
   * worker woken meanwhile waits for them: the step the completion made ready then goes back in
   * its reply rather than in a second answer after it.
   */
  readonly #handing = new Map<string, Set<Promise<unknown>>>()
  /**
   * What each claim made here handed out, by step (job id and step name), until the step's
   * completion: a completion that is the lease's first call (a short step, no push before it) is
   * decided from it without reading the lease, and finishes from the job as the claim left it
   * (when the claim returned it) without reading the job. Both writes are fenced (token, seq,
   * status, the job's version), so a stale entry costs the slow path, never a wrong result.
   */
  readonly #claims = new Map<string, ClaimRecord>()
  #waiting = 0
  /** Long polls of one worker claim in turn (see #claimTurn). */
  readonly #claimTurns = new KeyedTurns()
  /** The wake-up generation at which a claim for a worker last found nothing claimable. */
  readonly #foundNothingAt = new Map<string, number>()

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
    // A new poll claims once whatever happened before; so does one whose wait ran out.
    let fresh = true
    for (;;) {
      if (signal.aborted) return null
      const seen = d.wake.generation
      const attempt = await this.#claimTurn(worker, seen, fresh, signal)
      fresh = false
      if (attempt === 'refused') return null
      if (attempt === 'retry') {
        fresh = true
        continue
      }
      const step = attempt
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
      // No wake-up: the safety poll ran out (a lost notification is possible): claim for real.
      if (d.wake.generation === seen) fresh = true
      const handing = this.#handing.get(worker.id)
      if (handing) await Promise.allSettled([...handing])
    }
  }

  /**
   * A long poll's claim, in turn with the other polls of the same worker: a worker with many free
   * slots parks as many polls, and a wake-up wakes them all. Taking turns, the first claims; when
   * it found nothing, the others that saw the same wake-up (`seen`) go back to waiting without a
   * claim of their own (which was one claim statement and one worker read per parked poll, per
   * job created). A step made ready meanwhile changes the generation, and the next poll claims.
   */
  #claimTurn(
    worker: WorkerRecord,
    seen: number,
    fresh: boolean,
    signal: AbortSignal,
  ): Promise<ClaimedRender | null | 'refused' | 'retry'> {
    return this.#claimTurns.run(worker.id, async () => {
      // The caller left (or the server stops) while waiting its turn: claim nothing for it.
      if (signal.aborted) return null
      if (!fresh && this.#foundNothingAt.get(worker.id) === seen) return null
      const attempt = await this.#claimOnce(worker)
      if (attempt === null) this.#foundNothingAt.set(worker.id, seen)
      return attempt
    })
  }

  /**
   * One claim attempt for a worker as it is now (drained, revoked or busy elsewhere: 'refused',
   * told apart from "nothing ready" only when `why` asks: it costs a read of the worker row);
   * 'retry' when only steps that failed to render were claimed.
   */
  async #claimOnce(
    worker: WorkerRecord,
    why = true,
  ): Promise<ClaimedRender | null | 'refused' | 'retry'> {
    // The worker's status and running steps as they are now (the authenticated record may be a
    // second old) are a condition of the claim statement; only an empty claim reads the row, to
    // tell "nothing ready" from "may not take a step". Started_at is recorded with the claim:
    // workers start the process at once, and the optional `start` call then changes nothing.
    const claimed = await this.#d.source.claimFor(claimingWorker(worker), 1, true, {
      gateOnWorkerRow: true,
    })
    if (claimed === null) return 'retry'
    const step = claimed[0]
    if (!step) {
      if (!why) return null
      const current = await findWorkerById(this.#d.db, worker.id)
      if (!current) return 'refused'
      if (current.status !== 'active' || current.runningSteps >= current.maxConcurrency)
        return 'refused'
      return null
    }
    if (step.step.leaseToken) {
      this.#claims.set(stepKey(step.job.id, step.step.name), {
        token: step.step.leaseToken,
        stepId: step.step.id,
        workerId: worker.id,
        atMs: this.#d.monotonicMs(),
        snapshot: step.job.snapshot ?? undefined,
      })
      // Leases that end without a completion here (lost, or completed on another replica).
      for (const oldest of this.#claims.keys()) {
        if (this.#claims.size <= 1000) break
        this.#claims.delete(oldest)
      }
    }
    return step
  }

  /** The claim a completion hands back: at most a few attempts, never a wait. */
  async #claimNext(worker: WorkerRecord): Promise<ClaimedRender | null> {
    for (let i = 0; i < 3 && !this.#closing.signal.aborted; i++) {
      const attempt = await this.#claimOnce(worker, false)
      if (attempt === 'refused') return null
      if (attempt !== 'retry') return attempt
    }
    return null
  }

  /** `start`: records started_at the first time; returns {next_token, lease_expires_at}. */
  async start(call: StepCall, seq: number): Promise<unknown> {
    return this.#advance(call, seq, true, () => ({}))
  }

  /** `logs`: appends the lines (masked), then advances the chain (append first: never lost). */
  async logs(call: StepCall, seq: number, lines: ReadonlyArray<StepLine>): Promise<unknown> {
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

  /**
   * `complete`: stores the last lines, ends the attempt through the orchestrator (fenced on token
   * and seq), then, when asked and the job goes on, claims the worker's next step. A replay (the
   * reply was lost) claims again: the step the lost reply carried comes back when its lease
   * expires.
   */
  async complete(call: StepCall, req: CompleteRequest): Promise<CompleteResult> {
    if (!req.claimNext) return { reply: (await this.#complete(call, req, false)).reply, next: null }
    const workerId = call.worker.id
    const done = (async () => {
      // The steps this completion makes ready wake nobody yet: the claim below most often takes
      // the one there is, and a woken long poll would only make an empty claim beside it.
      const { reply, heldReady } = await this.#complete(call, req, true)
      let next: ClaimedRender | null = null
      try {
        // Also when the job ended: another job's step may be waiting, and handing it back here
        // saves the worker a long-poll exchange (1-step jobs under load: one request per step).
        next = await this.#claimNext(call.worker)
      } finally {
        if (heldReady.some((id) => id !== next?.step.id)) this.#d.notifyReady()
      }
      return { reply, next }
    })()
    let set = this.#handing.get(workerId)
    if (!set) this.#handing.set(workerId, (set = new Set()))
    set.add(done)
    try {
      return await done
    } finally {
      set.delete(done)
      if (set.size === 0 && this.#handing.get(workerId) === set) this.#handing.delete(workerId)
    }
  }

  async #complete(
    call: StepCall,
    req: CompleteRequest,
    holdReady: boolean,
  ): Promise<{ reply: CompleteReply; heldReady: ReadonlyArray<string> }> {
    return this.#serial(call, async () => {
      const key = stepKey(call.jobId, call.stepName)
      const found = this.#claims.get(key)
      this.#claims.delete(key)
      // Only the lease this record was made for (not an older attempt's, nor a newer one's).
      const claim = found?.token === call.token ? found : undefined
      const lost = async () => ({
        reply: (await this.#afterLostRace(call, req.seq)) as CompleteReply,
        heldReady: [],
      })
      if (claim && this.#isFirstCall(claim, call, req)) {
        if (req.lines.length > 0)
          await this.#d.source.appendStepLines(call.jobId, call.stepName, req.lines)
        const res = await this.#finish(call, req, claim.stepId, claim.snapshot, holdReady)
        return res.ok ? replyOf(res) : lost()
      }
      const lease = await this.#lease(call)
      const decision = decideMutatingCall(lease, { ...this.#who(call), seq: req.seq })
      if (decision.kind === 'reject') throw rejection(decision)
      if (decision.kind === 'replay')
        return { reply: decision.reply as CompleteReply, heldReady: [] }
      const bad = checkCompletionStatus(lease, req.status)
      if (bad) throw new ConflictError(bad)
      // Lines first, as a log push does: a result is never stored without the lines before it.
      if (req.lines.length > 0)
        await this.#d.source.appendStepLines(lease.jobId, lease.stepName, req.lines)
      const res = await this.#finish(call, req, lease.stepId, claim?.snapshot, holdReady)
      return res.ok ? replyOf(res) : lost()
    })
  }

  /**
   * A completion that needs no lease read: the first call on a lease this replica handed out, to
   * the worker it went to, well inside the lease's first term (so no sweep can have taken it
   * back and lines of a lost attempt are not appended), and not a `cancelled` (which needs the
   * stop request read). Anything else goes the slow path, as does a fence that does not hold.
   */
  #isFirstCall(claim: ClaimRecord, call: StepCall, req: CompleteRequest): boolean {
    return (
      req.seq === 1 &&
      req.status !== 'cancelled' &&
      claim.workerId === call.worker.id &&
      this.#d.monotonicMs() - claim.atMs < (this.#d.leaseTtlSecs * 1000) / 2
    )
  }

  #finish(
    call: StepCall,
    req: CompleteRequest,
    stepId: string,
    snapshot: Snapshot | undefined,
    holdReady: boolean,
  ) {
    return this.#d.orchestrator.finishStep(
      stepId,
      call.jobId,
      call.token,
      {
        status: req.status,
        exitCode: req.exitCode,
        output: req.output,
        errorMessage: req.errorMessage,
      },
      { seq: req.seq, holdReady },
      snapshot,
    )
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

type Snapshot = NonNullable<ClaimedRender['job']['snapshot']>

function replyOf(res: {
  stepStatus: string
  jobStatus: JobStatus
  heldReady: ReadonlyArray<string>
}) {
  return {
    reply: { step_status: res.stepStatus, job_status: res.jobStatus },
    heldReady: res.heldReady,
  }
}

function stepKey(jobId: string, stepName: string): string {
  return `${jobId}\u0000${stepName}`
}

/** A lease this replica handed out (see RemoteStepCalls' #claims). */
interface ClaimRecord {
  readonly token: string
  readonly stepId: string
  readonly workerId: string
  /** monotonicMs() at the claim. */
  readonly atMs: number
  readonly snapshot: Snapshot | undefined
}

function claimingWorker(w: WorkerRecord): ClaimingWorker {
  return { id: w.id, name: w.name, tags: w.tags, capabilities: w.capabilities }
}
