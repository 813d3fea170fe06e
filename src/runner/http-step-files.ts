/**
 * A remote worker's step files over `/worker` (Weir's extension of API.md §11.5): state archives
 * fetched before the step, artifacts and new state uploaded after it, each streamed from or to
 * disk and never held in memory. They carry the worker secret and the lease's current token
 * (these calls never consume it). A call that got no answer, or a 5xx, is tried up to three times
 * (uploads replace by name, so a repeat is harmless); a refusal fails at once with the server's
 * message.
 */
import { createReadStream } from 'node:fs'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { errorOf } from './remote-wire.ts'
import { pause } from './backoff.ts'
import type { LeaseLink } from './lease-link.ts'
import { packDirectory, unpackArchive } from '../shared/tar-archive.ts'
import type { ClaimedStep, StateScope, StepFileSource, StepSnapshot } from './step-source.ts'
import { stepCallPath, type StreamReply, type WorkerHttp } from './worker-http.ts'

const TRIES = 3
const FIRST_DELAY_MS = 250
/** Long transfers (a large artifact on a slow link) may take this long. */
const TRANSFER_TIMEOUT_MS = 30 * 60_000
/** What a snapshot may unpack to on the worker. */
const UNPACK_LIMITS = { maxBytes: 1024 ** 3, maxEntries: 100_000 }

export interface HttpStepFilesDeps {
  readonly http: WorkerHttp
  /** The current worker secret, or null while the worker has none. */
  readonly secret: () => string | null
  /** The lease link of a step this worker runs. */
  readonly link: (step: ClaimedStep) => LeaseLink | undefined
}

function encodeName(name: string): string {
  return name.split('/').map(encodeURIComponent).join('/')
}

export class HttpStepFiles implements StepFileSource {
  readonly #d: HttpStepFilesDeps

  constructor(deps: HttpStepFilesDeps) {
    this.#d = deps
  }

  /** One call, tried again while the answer may be transient; throws with the server's refusal. */
  async #call(
    step: ClaimedStep,
    method: 'GET' | 'POST' | 'DELETE',
    path: string,
    what: string,
    body?: () => { stream: AsyncIterable<Uint8Array>; length?: number; type: string },
  ): Promise<StreamReply & { status: number }> {
    for (let attempt = 1; ; attempt++) {
      const link = this.#d.link(step)
      const secret = this.#d.secret()
      if (!link || !secret) throw new Error(`${what}: the lease on this step is gone`)
      const b = body?.()
      const res = await this.#d.http.stream(method, path, {
        bearer: secret,
        leaseToken: link.token,
        timeoutMs: TRANSFER_TIMEOUT_MS,
        ...(b ? { body: b.stream, contentLength: b.length, contentType: b.type } : {}),
      })
      const transient = res.status === null || res.status >= 500 || res.status === 429
      if (!transient) {
        if (res.status >= 200 && res.status < 300) return res
        const e = errorOf(res.body)
        throw new Error(`${what}: the server answered ${res.status} (${e.code}): ${e.error}`)
      }
      if (attempt >= TRIES) {
        const why = res.status === null ? res.error : `the server answered ${res.status}`
        throw new Error(`${what}: ${why} (tried ${TRIES} times)`)
      }
      res.stream?.destroy()
      await pause(FIRST_DELAY_MS * 2 ** (attempt - 1))
    }
  }

  async loadState(
    step: ClaimedStep,
    scope: StateScope,
    snapshot: StepSnapshot,
    dir: string,
  ): Promise<void> {
    if (snapshot.hasFiles) {
      const path = stepCallPath(step.jobId, step.stepName, `state/${scope}/${snapshot.id}`)
      const res = await this.#call(step, 'GET', path, `fetching ${scope} state ${snapshot.id}`)
      if (res.stream) await unpackArchive(res.stream, dir, UNPACK_LIMITS)
    }
    await writeFile(join(dir, 'state.json'), JSON.stringify(snapshot.values))
  }

  async putArtifact(
    step: ClaimedStep,
    file: { name: string; path: string; sizeBytes: number },
  ): Promise<void> {
    const path = stepCallPath(step.jobId, step.stepName, `artifacts/${encodeName(file.name)}`)
    const res = await this.#call(step, 'POST', path, `uploading artifact '${file.name}'`, () => ({
      stream: createReadStream(file.path),
      length: file.sizeBytes,
      type: 'application/octet-stream',
    }))
    res.stream?.destroy()
  }

  async discardArtifacts(step: ClaimedStep): Promise<void> {
    const path = stepCallPath(step.jobId, step.stepName, 'artifacts')
    const res = await this.#call(step, 'DELETE', path, 'discarding artifacts')
    res.stream?.destroy()
  }

  async saveState(
    step: ClaimedStep,
    scope: StateScope,
    values: Readonly<Record<string, unknown>>,
    dir: string,
  ): Promise<void> {
    const path = stepCallPath(step.jobId, step.stepName, `state/${scope}`)
    const json = Buffer.from(JSON.stringify(values))
    const res = await this.#call(step, 'POST', path, `uploading ${scope} state`, () => ({
      stream: packDirectory(dir, {
        extra: [{ name: 'state.json', data: json }],
        exclude: (n) => n === 'state.json',
      }),
      type: 'application/gzip',
    }))
    res.stream?.destroy()
  }
}
