/**
 * StepSource over the remote worker protocol (API.md §11), for `weir worker`: claims by long
 * poll, reports each step through its LeaseLink (the lease-token chain), heartbeats with this
 * process's boot id, and turns the server's stop requests (heartbeat `stop`, `cancel_requested`
 * on log pushes, cancel-check) into StopRequests. While the server is down or restarting every
 * call is retried with capped, jittered backoff, and finished steps keep their results until it
 * answers again (bounded by `retryWindowMs`).
 */
import type { Clock } from '../shared/clock.ts'
import { monotonicMs, systemClock } from '../shared/clock.ts'
import type { Logger } from '../shared/logger.ts'
import { backoffDelayMs, pause, RECONNECT_BACKOFF } from './backoff.ts'
import type { ExecLine } from './executors/script-executor.ts'
import { HttpStepFiles } from './http-step-files.ts'
import { LeaseLink } from './lease-link.ts'
import { chunkLines } from './log-chunks.ts'
import { mapClaim, type ClaimContext } from './remote-claim.ts'
import {
  chainReplySchema,
  claimReplySchema,
  completeReplySchema,
  errorOf,
  heartbeatReplySchema,
  toStopReason,
} from './remote-wire.ts'
import type { CredentialStore, RegisterRequest, WorkerCredentials } from './registration.ts'
import type {
  ClaimedStep,
  CompleteOptions,
  StepSource,
  StopReason,
  StopRequest,
  WorkerOutcome,
} from './step-source.ts'
import type { WorkerHttp } from './worker-http.ts'
import { WorkerSession } from './worker-session.ts'

export { WorkerRefusedError } from './worker-session.ts'

export interface HttpStepSourceOptions {
  readonly http: WorkerHttp
  readonly enrollmentToken: string
  readonly store: CredentialStore
  readonly registration: RegisterRequest
  readonly claimContext: ClaimContext
  readonly logger: Logger
  /** Random per process: a new one tells the server this worker restarted. */
  readonly bootId: string
  readonly clock?: Clock
  /** Long-poll length asked for (API.md §11.3; default 25 s). */
  readonly claimWaitSecs?: number
  /** How long a lease call may stay unanswered before its result is given up (default 10 min). */
  readonly retryWindowMs?: number
  readonly cancelPollMs?: number
}

export class HttpStepSource implements StepSource {
  readonly #o: HttpStepSourceOptions
  readonly #clock: Clock
  readonly #session: WorkerSession
  readonly #links = new Map<string, LeaseLink>()
  readonly #listeners = new Set<(req: StopRequest) => void>()
  #status = 'active'
  /** Artifacts and task state, streamed over /worker with each step's lease. */
  readonly files: HttpStepFiles

  constructor(opts: HttpStepSourceOptions) {
    this.#o = opts
    this.#clock = opts.clock ?? systemClock
    this.files = new HttpStepFiles({
      http: opts.http,
      secret: () => this.#session.credentials?.workerSecret ?? null,
      link: (step) => this.#links.get(step.stepId),
    })
    this.#session = new WorkerSession({
      ...opts,
      // A refused secret means the server ended every lease held under it.
      onRefused: () => {
        for (const link of this.#links.values()) link.lose('worker secret refused')
      },
    })
  }

  get credentials(): WorkerCredentials | null {
    return this.#session.credentials
  }

  /** Saved credentials, else a registration; retries while the server is unreachable. */
  connect(signal?: AbortSignal): Promise<WorkerCredentials> {
    return this.#session.connect(signal)
  }

  async claim(_max: number, signal: AbortSignal): Promise<ClaimedStep[]> {
    for (let failures = 0; !signal.aborted;) {
      const creds = await this.connect(signal).catch((e: unknown) => {
        if (signal.aborted) return null
        throw e
      })
      if (!creds) break
      const waitSecs = Math.min(this.#o.claimWaitSecs ?? 25, creds.maxClaimWaitSecs)
      const sent = monotonicMs()
      const res = await this.#o.http.post(
        '/worker/claim',
        { wait_secs: waitSecs },
        { bearer: creds.workerSecret, timeoutMs: (waitSecs + 15) * 1000, signal },
      )
      if (res.status === null) {
        if (signal.aborted) break
        this.#session.unreachable(res.error)
        await pause(backoffDelayMs(failures++, RECONNECT_BACKOFF), signal)
        continue
      }
      this.#session.seen()
      if (res.status === 200) {
        failures = 0
        const step = this.#accept(res.body)
        if (step) return [step]
      } else if (res.status === 204) {
        failures = 0
        // An instant 204 (draining, or the server's view of our slots is behind): do not spin.
        if (monotonicMs() - sent < 1000) await pause(1000, signal)
      } else if (res.status === 401) {
        this.#session.forget(creds, 'claim')
      } else {
        const e = errorOf(res.body)
        this.#o.logger.warn({ status: res.status, error: e.error }, 'claim refused; retrying')
        await pause(backoffDelayMs(failures++, RECONNECT_BACKOFF), signal)
      }
    }
    return []
  }

  /** Takes a claim; one this worker cannot run is reported failed at once and null returned. */
  #accept(body: unknown): ClaimedStep | null {
    const parsed = claimReplySchema.safeParse(body)
    if (!parsed.success) {
      this.#o.logger.error(
        { issues: parsed.error.issues },
        'unreadable claim; its lease will expire',
      )
      return null
    }
    const mapped = mapClaim(parsed.data, this.#o.claimContext)
    const { step } = mapped
    const link = this.#newLink(step)
    link.completeFields = new Set(parsed.data.lease.complete_fields)
    this.#o.logger.info(
      { jobId: step.jobId, step: step.stepName, attempt: step.attempt },
      'claimed step',
    )
    if (mapped.ok) {
      link.startCancelPolling()
      return step
    }
    this.#o.logger.warn(
      { jobId: step.jobId, step: step.stepName, error: mapped.error },
      'cannot run step',
    )
    void this.complete(step, {
      status: 'failed',
      exitCode: null,
      output: undefined,
      errorMessage: mapped.error,
      warnings: [],
    })
    return null
  }

  #newLink(step: ClaimedStep): LeaseLink {
    const link = new LeaseLink(step, {
      http: this.#o.http,
      secret: () => this.#session.credentials?.workerSecret ?? null,
      logger: this.#o.logger,
      retryWindowMs: this.#o.retryWindowMs ?? 10 * 60_000,
      cancelPollMs: this.#o.cancelPollMs ?? 1000,
      onGone: (l, why, unauthorized) => {
        this.#o.logger.warn(
          { jobId: l.step.jobId, step: l.step.stepName, attempt: l.step.attempt, why },
          'lease is gone; the step is stopped and its result discarded',
        )
        if (unauthorized) this.#session.forget(this.#session.credentials, 'lease call')
        this.#emit({ stepId: l.step.stepId, reason: 'lease_lost' })
      },
      onStopRequested: (l, reason) => this.#stopRequested(l, reason),
    })
    this.#links.set(step.stepId, link)
    return link
  }

  #stopRequested(link: LeaseLink, reason: StopReason): void {
    link.noteStopRequested()
    this.#o.logger.info(
      { jobId: link.step.jobId, step: link.step.stepName, reason },
      'stop requested',
    )
    this.#emit({ stepId: link.step.stepId, reason })
  }

  #emit(req: StopRequest): void {
    for (const l of this.#listeners) l(req)
  }

  /**
   * Nothing to send: the server records started_at with the claim, and `start` is optional
   * (API.md §11.5). Skipping it saves an HTTP call and a transaction per step.
   */
  async start(): Promise<void> {}

  async appendLogs(step: ClaimedStep, lines: ReadonlyArray<ExecLine>): Promise<StopReason | null> {
    const link = this.#links.get(step.stepId)
    if (!link) return 'lease_lost'
    let stop: StopReason | null = null
    for (const chunk of chunkLines(lines)) {
      const r = await link.call('logs', { lines: chunk })
      if (!r.ok) return 'lease_lost'
      const reply = chainReplySchema.safeParse(r.body)
      const asked = reply.success ? reply.data.cancel_requested : null
      if (asked && stop === null) {
        // A bare `true` carries no reason: cancel-check tells whether it is a cancel or a timeout.
        if (typeof asked === 'string') stop = toStopReason(asked)
        else link.checkStopNow()
      }
    }
    if (stop) link.noteStopRequested()
    return stop
  }

  async heartbeat(steps: ReadonlyArray<ClaimedStep>): Promise<StopRequest[]> {
    const creds = this.#session.credentials
    if (!creds) return []
    const live = steps.flatMap((s) => {
      const l = this.#links.get(s.stepId)
      return l?.alive ? [l] : []
    })
    const running = [
      ...new Map(live.map((l) => [`${l.step.jobId}/${l.step.stepName}`, l])).values(),
    ]
    const res = await this.#o.http.post(
      '/worker/heartbeat',
      {
        boot_id: this.#o.bootId,
        running: running.map((l) => ({ job_id: l.step.jobId, step_name: l.step.stepName })),
      },
      { bearer: creds.workerSecret, timeoutMs: 10_000 },
    )
    if (res.status === null) {
      this.#session.unreachable(res.error)
      return []
    }
    this.#session.seen()
    if (res.status === 401) this.#session.forget(creds, 'heartbeat')
    if (res.status !== 200) return []
    const reply = heartbeatReplySchema.safeParse(res.body)
    if (!reply.success) return []
    if (reply.data.status !== this.#status) {
      this.#o.logger.info({ from: this.#status, to: reply.data.status }, 'worker status changed')
      this.#status = reply.data.status
    }
    const stops: StopRequest[] = []
    for (const s of reply.data.stop) {
      for (const l of live) {
        if (l.step.jobId !== s.job_id || l.step.stepName !== s.step_name) continue
        // A heartbeat that crossed the step's completion: the completion's answer decides.
        if (!l.alive || l.completing) continue
        const reason = toStopReason(s.reason)
        if (reason === 'lease_lost') l.lose('the server reports the lease lost')
        else this.#stopRequested(l, reason)
        stops.push({ stepId: l.step.stepId, reason })
      }
    }
    return stops
  }

  /**
   * The last lines (and the outcome's warnings) ride in `complete` when the server takes them,
   * all but the last chunk as log pushes before it; with `claimNext` the reply may carry the next
   * step. Each saves a round trip per step (API.md §11.5, `lease.complete_fields`).
   */
  async complete(
    step: ClaimedStep,
    outcome: WorkerOutcome,
    opts?: CompleteOptions,
  ): Promise<ClaimedStep | null> {
    const link = this.#links.get(step.stepId)
    if (!link) return null
    let next: unknown = null
    try {
      const ts = this.#clock.now().toISOString()
      const warnings = outcome.warnings.map((w) => ({
        ts,
        stream: 'stderr' as const,
        line: `weir: ${w}`,
      }))
      const chunks = chunkLines([...(opts?.lines ?? []), ...warnings])
      const carried = link.completeFields.has('lines') ? chunks.pop() : undefined
      for (const lines of chunks) await link.call('logs', { lines })
      const claimNext = opts?.claimNext === true && link.completeFields.has('claim_next')
      const r = await link.call('complete', {
        status: outcome.status,
        exit_code: outcome.exitCode,
        output: outcome.output,
        error_message: outcome.errorMessage,
        ...(carried ? { lines: carried } : {}),
        ...(claimNext ? { claim_next: true } : {}),
      })
      const fields = { jobId: step.jobId, step: step.stepName, attempt: step.attempt }
      if (r.ok) {
        const reply = completeReplySchema.safeParse(r.body)
        next = reply.success ? (reply.data.next_claim ?? null) : null
        this.#o.logger.info({ ...fields, status: outcome.status }, 'step reported')
      } else this.#o.logger.warn({ ...fields, why: r.why }, 'result discarded')
    } finally {
      link.finish()
      this.#links.delete(step.stepId)
    }
    // After the old link is gone: the next claim may be a retry of this very step.
    return next === null ? null : this.#accept(next)
  }

  onStop(listener: (req: StopRequest) => void): () => void {
    this.#listeners.add(listener)
    return () => this.#listeners.delete(listener)
  }

  /** `POST /worker/deregister`: the worker becomes revoked; its saved credentials are dropped. */
  deregister(): Promise<void> {
    return this.#session.deregister()
  }

  /** Stops every lease's background polling. */
  close(): void {
    for (const link of this.#links.values()) link.finish()
  }
}
