/**
 * One claimed step's lease as seen by a remote worker (API.md §11.4). Its calls (start, logs,
 * complete) go out one at a time in order; each carries the current token and the next `seq`
 * and, once answered, the token is replaced by `next_token`. A call that got no answer is sent
 * again with the same token and seq, which the server answers as a replay, so no log batch is
 * lost or stored twice; only then can the next call go. A refusal of the lease ends it: the
 * step must be killed and its result discarded.
 */
import { monotonicMs } from '../shared/clock.ts'
import { coerceError } from '../shared/errors.ts'
import type { Logger } from '../shared/logger.ts'
import { backoffDelayMs, pause, RECONNECT_BACKOFF } from './backoff.ts'
import {
  cancelCheckReplySchema,
  chainReplySchema,
  classifyStepReply,
  errorOf,
  toStopReason,
} from './remote-wire.ts'
import type { ClaimedStep, StopReason } from './step-source.ts'
import { stepCallPath, type WorkerHttp } from './worker-http.ts'

export type LeaseCall = 'start' | 'logs' | 'complete'

export type LeaseCallResult =
  { readonly ok: true; readonly body: unknown } | { readonly ok: false; readonly why: string }

export interface LeaseLinkDeps {
  readonly http: WorkerHttp
  /** The current worker secret, or null while the worker has none. */
  readonly secret: () => string | null
  readonly logger: Logger
  /** How long a call may go unanswered before the result is given up (bounded retry). */
  readonly retryWindowMs: number
  /** How often a step that prints nothing asks whether it should stop. */
  readonly cancelPollMs: number
  /** The lease ended under us (`unauthorized`: the worker secret was refused too). */
  readonly onGone: (link: LeaseLink, why: string, unauthorized: boolean) => void
  /** The server asked for this step to stop (cancel or timeout). */
  readonly onStopRequested: (link: LeaseLink, reason: StopReason) => void
}

const CALL_TIMEOUT_MS = 30_000

export class LeaseLink {
  readonly step: ClaimedStep
  readonly #d: LeaseLinkDeps
  #token: string
  #seq = 0
  #queue: Promise<unknown> = Promise.resolve()
  #gone: string | null = null
  #finished = false
  #stopRequested = false
  #completing = false
  #lastAnswerAt = monotonicMs()
  #poll: NodeJS.Timeout | null = null
  #polling = false
  /** The optional fields the server's `complete` takes for this lease (from the claim). */
  completeFields: ReadonlySet<string> = new Set()

  constructor(step: ClaimedStep, deps: LeaseLinkDeps) {
    this.step = step
    this.#d = deps
    this.#token = step.leaseToken
  }

  /** The token of the lease as it stands (calls outside the chain, like file uploads, send it). */
  get token(): string {
    return this.#token
  }

  /** True until the lease was refused or given up; the heartbeat lists only live leases. */
  get alive(): boolean {
    return this.#gone === null && !this.#finished
  }

  /** The completion is queued or under way: its answer, not a heartbeat's, settles the lease. */
  get completing(): boolean {
    return this.#completing
  }

  /** Queues a lease call behind the earlier ones; resolves once it is answered or the lease is gone. */
  call(kind: LeaseCall, body: Record<string, unknown>): Promise<LeaseCallResult> {
    if (kind === 'complete') {
      this.#completing = true
      this.#stopPolling()
    }
    const run = this.#queue.then(() => this.#send(kind, body))
    this.#queue = run.catch(() => undefined)
    return run
  }

  async #send(kind: LeaseCall, body: Record<string, unknown>): Promise<LeaseCallResult> {
    if (this.#gone !== null) return { ok: false, why: this.#gone }
    const seq = this.#seq + 1
    const token = this.#token
    const path = stepCallPath(this.step.jobId, this.step.stepName, kind)
    const started = monotonicMs()
    for (let attempt = 0; ; attempt++) {
      const secret = this.#d.secret()
      const res =
        secret === null
          ? ({ status: null, body: null, error: 'not registered' } as const)
          : await this.#d.http.post(
              path,
              { ...body, seq },
              { bearer: secret, leaseToken: token, timeoutMs: CALL_TIMEOUT_MS },
            )
      const verdict = classifyStepReply(res.status, res.body)
      switch (verdict.kind) {
        case 'ok': {
          this.#seq = seq
          this.#lastAnswerAt = monotonicMs()
          const reply = chainReplySchema.safeParse(res.body)
          if (reply.success && reply.data.next_token) this.#token = reply.data.next_token
          return { ok: true, body: res.body }
        }
        case 'retry': {
          const why = res.status === null ? `${verdict.why}: ${res.error}` : verdict.why
          if (monotonicMs() - started > this.#d.retryWindowMs) {
            return this.#end(`no answer to ${kind} for ${this.#d.retryWindowMs} ms (${why})`, false)
          }
          const fields = { jobId: this.step.jobId, step: this.step.stepName, call: kind, seq, why }
          if (attempt === 0) this.#d.logger.warn(fields, 'lease call failed; sending it again')
          else this.#d.logger.debug(fields, 'lease call failed again')
          await pause(backoffDelayMs(attempt, RECONNECT_BACKOFF))
          continue
        }
        case 'lease_gone':
          return this.#end(`${kind} refused: ${verdict.why}`, false)
        case 'unauthorized':
          return this.#end(`${kind} refused: worker secret not accepted (${verdict.why})`, true)
      }
    }
  }

  #end(why: string, unauthorized: boolean): LeaseCallResult {
    if (this.#gone === null && !this.#finished) {
      this.#gone = why
      this.#stopPolling()
      this.#d.onGone(this, why, unauthorized)
    }
    return { ok: false, why }
  }

  /** Marks the lease lost without a call (the heartbeat said so). */
  lose(why: string): void {
    void this.#end(why, false)
  }

  /** The server asked for a stop: no need to keep asking. */
  noteStopRequested(): void {
    this.#stopRequested = true
    this.#stopPolling()
  }

  /** The attempt is over (completed or discarded). */
  finish(): void {
    this.#finished = true
    this.#stopPolling()
  }

  /** Polls cancel-check while the step is quiet (API.md §11.5: at least every second). */
  startCancelPolling(): void {
    if (this.#poll) return
    this.#poll = setInterval(() => void this.#checkCancel(), this.#d.cancelPollMs)
  }

  /** Asks cancel-check now (a log push said a stop is pending without saying why). */
  checkStopNow(): void {
    void this.#checkCancel(true)
  }

  #stopPolling(): void {
    if (this.#poll) clearInterval(this.#poll)
    this.#poll = null
  }

  async #checkCancel(force = false): Promise<void> {
    const quietFor = monotonicMs() - this.#lastAnswerAt
    if (this.#polling || !this.alive || this.#stopRequested) return
    if (!force && quietFor < this.#d.cancelPollMs * 0.9) return
    const secret = this.#d.secret()
    if (secret === null) return
    this.#polling = true
    const token = this.#token
    try {
      const res = await this.#d.http.post(
        stepCallPath(this.step.jobId, this.step.stepName, 'cancel-check'),
        {},
        { bearer: secret, leaseToken: token, timeoutMs: 10_000 },
      )
      if (!this.alive || this.#stopRequested) return
      if (res.status === 200) {
        this.#lastAnswerAt = monotonicMs()
        const reply = cancelCheckReplySchema.safeParse(res.body)
        if (reply.success && reply.data.cancel_requested) {
          this.#d.onStopRequested(this, toStopReason(reply.data.reason))
        }
      } else if (res.status === 409 && errorOf(res.body).code === 'lease_expired') {
        // Only a refusal of the token still current is final; an older one may just be stale.
        if (token === this.#token) this.lose('cancel-check: lease expired')
      }
    } catch (e) {
      this.#d.logger.debug({ err: coerceError(e) }, 'cancel-check failed')
    } finally {
      this.#polling = false
    }
  }
}
