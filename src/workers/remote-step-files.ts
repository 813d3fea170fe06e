/**
 * The files of a remote worker's step (API.md §11, Weir extension): artifact uploads, their
 * discard, state archives up and down. Each call carries the worker secret and a lease token of
 * the step's current attempt, as cancel-check does: the current token or the one just consumed,
 * never consumed itself (workers/lease-chain.ts rule 5), so an upload retried after a lost
 * answer simply stores the same name again. The bytes stream through; the write lands only while
 * the attempt still holds its lease (db/queries/lock-step-fence.ts).
 */
import type { Readable } from 'node:stream'
import type { Kysely } from 'kysely'
import type { ArtifactStore } from '../artifacts/artifact-store.ts'
import { findStepLease, type StepLease } from '../db/queries/find-lease.ts'
import type { DB } from '../db/schema.ts'
import { findJobById } from '../db/repositories/job.repository.ts'
import { ConflictError, NotFoundError, PayloadTooLargeError } from '../shared/errors.ts'
import type { StateScope, StateStore } from '../state/state-store.ts'
import { decideReadOnlyCall } from './lease-chain.ts'
import type { StepCall } from './remote-step-calls.ts'

export interface StepUpload {
  readonly body: AsyncIterable<Buffer>
  /** Content-Length, when sent: refused at once past the limit. */
  readonly declaredBytes?: number
}

export class RemoteStepFiles {
  readonly #db: Kysely<DB>
  readonly #artifacts: ArtifactStore
  readonly #state: StateStore | null

  constructor(d: { db: Kysely<DB>; artifacts: ArtifactStore; state: StateStore | null }) {
    this.#db = d.db
    this.#artifacts = d.artifacts
    this.#state = d.state
  }

  /** The step's lease as this call may use it (404 foreign token, 409 stale one). */
  async #lease(call: StepCall): Promise<StepLease> {
    const lease = await findStepLease(this.#db, call.jobId, call.stepName)
    if (!lease)
      throw new NotFoundError(`no lease of yours on step '${call.stepName}' of job '${call.jobId}'`)
    const d = decideReadOnlyCall(lease, { workerId: call.worker.id, token: call.token })
    if (d.kind === 'reject') {
      throw d.code === 'not_found'
        ? new NotFoundError(d.message)
        : new ConflictError(d.message, d.code === 'conflict' ? 'conflict' : d.code)
    }
    return lease
  }

  #fence(call: StepCall, lease: StepLease) {
    return {
      jobId: call.jobId,
      stepName: call.stepName,
      attempt: lease.attempt,
      workerId: call.worker.id,
      workspace: lease.workspace,
    }
  }

  /** Checks a call before its body is read: a refusal then costs no bytes. */
  async precheckArtifact(call: StepCall, name: string, declaredBytes?: number): Promise<void> {
    const lease = await this.#lease(call)
    await this.#artifacts.precheck(this.#fence(call, lease), name, declaredBytes)
  }

  /** Stores one artifact; answers what the API lists for it. */
  async putArtifact(call: StepCall, name: string, upload: StepUpload) {
    const lease = await this.#lease(call)
    const a = await this.#artifacts.put(this.#fence(call, lease), name, {
      stream: upload.body,
      declaredBytes: upload.declaredBytes,
    })
    return { id: a.id, name: a.name, size_bytes: a.sizeBytes, content_type: a.contentType }
  }

  /** Removes the artifacts the step stored. */
  async discardArtifacts(call: StepCall): Promise<void> {
    await this.#lease(call)
    await this.#artifacts.discardStep(call.jobId, call.stepName)
  }

  #stateOn(): StateStore {
    if (!this.#state) throw new NotFoundError('task state is off on this server (no state_storage)')
    return this.#state
  }

  /** Checks a state upload before its body is read. */
  async precheckState(call: StepCall, declaredBytes?: number): Promise<void> {
    const max = this.#stateOn().limits.maxArchiveBytes
    await this.#lease(call)
    if (declaredBytes !== undefined && declaredBytes > max)
      throw new PayloadTooLargeError(`the state archive is larger than ${max} bytes`)
  }

  /** A new snapshot from the step's gzip tar (its root state.json holds the values). */
  async putState(call: StepCall, scope: StateScope, upload: StepUpload) {
    const state = this.#stateOn()
    const lease = await this.#lease(call)
    const s = await state.saveFromArchive(
      this.#fence(call, lease),
      scope,
      upload.body,
      upload.declaredBytes,
    )
    return { snapshot_id: s.id }
  }

  /** The files of a snapshot the step's claim named (404 when it is not one of its own). */
  async stateFiles(
    call: StepCall,
    scope: StateScope,
    snapshotId: string,
  ): Promise<{ stream: Readable; size: number } | null> {
    const state = this.#stateOn()
    const lease = await this.#lease(call)
    const job = await findJobById(this.#db, call.jobId)
    const files = await state.openFiles(
      snapshotId,
      lease.workspace,
      scope === 'task' ? (job?.taskName ?? '') : null,
    )
    if (files === undefined)
      throw new NotFoundError(`no ${scope} state snapshot '${snapshotId}' for this step`)
    return files
  }
}
