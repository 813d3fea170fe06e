/**
 * A remote worker's standing with its server: the credentials in use (saved ones first, else a
 * registration, retried with backoff while the server is unreachable), dropping them when the
 * server refuses the secret, deregistering on the way out, and one log line per change between
 * reachable and unreachable instead of one per failed call.
 */
import type { Logger } from '../shared/logger.ts'
import { backoffDelayMs, pause, RECONNECT_BACKOFF } from './backoff.ts'
import {
  registerWorker,
  type CredentialStore,
  type RegisterRequest,
  type WorkerCredentials,
} from './registration.ts'
import { errorOf } from './remote-wire.ts'
import type { WorkerHttp } from './worker-http.ts'

export interface WorkerSessionOptions {
  readonly http: WorkerHttp
  readonly enrollmentToken: string
  readonly store: CredentialStore
  readonly registration: RegisterRequest
  readonly logger: Logger
  /** Called when the server refused the secret: every lease held under it is gone. */
  readonly onRefused: () => void
}

/** The server refused this worker (bad enrollment token, invalid name …): retrying cannot help. */
export class WorkerRefusedError extends Error {
  override readonly name = 'WorkerRefusedError'
}

export class WorkerSession {
  readonly #o: WorkerSessionOptions
  #creds: WorkerCredentials | null = null
  #triedStore = false
  #registering: Promise<WorkerCredentials> | null = null
  #reachable = true

  constructor(opts: WorkerSessionOptions) {
    this.#o = opts
  }

  get credentials(): WorkerCredentials | null {
    return this.#creds
  }

  /** Saved credentials, else a registration; retries while the server is unreachable. */
  connect(signal?: AbortSignal): Promise<WorkerCredentials> {
    if (this.#creds) return Promise.resolve(this.#creds)
    if (!this.#triedStore) {
      this.#triedStore = true
      this.#creds = this.#o.store.load(this.#o.http.serverUrl)
      const wanted = this.#o.registration.capabilities
      if (this.#creds && !sameSet(this.#creds.capabilities, wanted)) {
        // The server routes by the registered capabilities: a change needs a new registration.
        this.#o.logger.info(
          { saved: this.#creds.capabilities, now: wanted },
          'capabilities changed since the last registration; registering again',
        )
        this.#creds = null
      }
      if (this.#creds) {
        this.#o.logger.info({ workerId: this.#creds.workerId }, 'using saved worker credentials')
        return Promise.resolve(this.#creds)
      }
    }
    this.#registering ??= this.#register(signal).finally(() => (this.#registering = null))
    return this.#registering
  }

  async #register(signal?: AbortSignal): Promise<WorkerCredentials> {
    const { http, enrollmentToken, registration } = this.#o
    for (let attempt = 0; ; attempt++) {
      if (signal?.aborted) throw new Error('stopped before the worker could register')
      const r = await registerWorker(http, enrollmentToken, registration, signal)
      switch (r.kind) {
        case 'ok':
          this.seen()
          this.#o.store.save(r.credentials)
          this.#creds = r.credentials
          this.#o.logger.info({ workerId: r.credentials.workerId }, 'registered with the server')
          return r.credentials
        case 'refused':
          throw new WorkerRefusedError(
            `the server refused to register worker '${registration.name}' (${r.status}): ${r.error}`,
          )
        case 'unreachable':
          this.unreachable(r.error)
          await pause(backoffDelayMs(attempt, RECONNECT_BACKOFF), signal)
      }
    }
  }

  /** Drops credentials the server refused (401); the next connect() registers again. */
  forget(creds: WorkerCredentials | null, where: string): void {
    if (!creds || this.#creds !== creds) return
    this.#o.logger.warn(
      { workerId: creds.workerId, where },
      'worker secret refused; registering again',
    )
    this.#creds = null
    this.#o.onRefused()
  }

  unreachable(why: string): void {
    if (!this.#reachable) return
    this.#reachable = false
    this.#o.logger.warn({ server: this.#o.http.serverUrl, why }, 'server unreachable; retrying')
  }

  seen(): void {
    if (this.#reachable) return
    this.#reachable = true
    this.#o.logger.info({ server: this.#o.http.serverUrl }, 'server reachable again')
  }

  /** `POST /worker/deregister`: the worker becomes revoked; its saved credentials are dropped. */
  async deregister(): Promise<void> {
    const creds = this.#creds
    if (!creds) return
    const res = await this.#o.http.post(
      '/worker/deregister',
      {},
      { bearer: creds.workerSecret, timeoutMs: 10_000 },
    )
    if (res.status !== null && res.status < 300) {
      this.#creds = null
      this.#o.store.clear()
      this.#o.logger.info({ workerId: creds.workerId }, 'deregistered')
    } else {
      const why = res.status === null ? res.error : `${res.status}: ${errorOf(res.body).error}`
      this.#o.logger.warn({ why }, 'deregistering failed; the server will mark this worker lost')
    }
  }
}

function sameSet(a: ReadonlyArray<string>, b: ReadonlyArray<string>): boolean {
  const sa = new Set(a)
  return sa.size === new Set(b).size && b.every((x) => sa.has(x))
}
