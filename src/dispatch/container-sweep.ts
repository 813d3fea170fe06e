/**
 * Removes step containers whose step attempt is no longer running under the worker that started
 * it: left behind by a server or worker killed with -9, or by a removal that failed. Runs on the
 * embedded worker's Docker Engine at start and then every `docker.sweep_interval_secs`; the
 * containers of remote workers on the same engine are judged the same way.
 */
import type { Kysely } from 'kysely'
import { findRunningAttempts } from '../db/queries/running-attempts.ts'
import type { DB } from '../db/schema.ts'
import { coerceError } from '../shared/errors.ts'
import type { Logger } from '../shared/logger.ts'
import { LABELS } from '../runner/executors/container-command.ts'
import type { DockerEngine } from '../runner/executors/docker-engine.ts'

function keyOf(jobId: string, step: string, attempt: string, workerId: string): string {
  return JSON.stringify([jobId, step, attempt, workerId])
}

export class ContainerSweep {
  readonly #engine: DockerEngine
  readonly #db: Kysely<DB>
  readonly #logger: Logger
  readonly #intervalMs: number
  #timer: NodeJS.Timeout | null = null
  #running: Promise<number> | null = null

  constructor(d: { engine: DockerEngine; db: Kysely<DB>; logger: Logger; intervalMs: number }) {
    this.#engine = d.engine
    this.#db = d.db
    this.#logger = d.logger
    this.#intervalMs = d.intervalMs
  }

  start(): void {
    if (this.#timer) return
    this.#timer = setInterval(() => {
      void this.sweepOnce().catch((e: unknown) =>
        this.#logger.warn({ err: coerceError(e) }, 'container sweep failed; retrying later'),
      )
    }, this.#intervalMs)
    this.#timer.unref()
  }

  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer)
    this.#timer = null
    await this.#running?.catch(() => undefined)
  }

  /** One pass; resolves with the number of containers removed. One pass at a time. */
  sweepOnce(): Promise<number> {
    this.#running ??= this.#sweep().finally(() => (this.#running = null))
    return this.#running
  }

  async #sweep(): Promise<number> {
    const containers = await this.#engine.listLabelled(LABELS.jobId)
    if (containers.length === 0) return 0
    const running = await findRunningAttempts(
      this.#db,
      containers.map((c) => ({
        jobId: c.labels[LABELS.jobId] ?? '',
        stepName: c.labels[LABELS.step] ?? '',
      })),
    )
    const live = new Set(
      running.map((r) => keyOf(r.jobId, r.stepName, String(r.attempt), r.workerId ?? '')),
    )
    let removed = 0
    for (const c of containers) {
      const l = c.labels
      const key = keyOf(
        l[LABELS.jobId] ?? '',
        l[LABELS.step] ?? '',
        l[LABELS.attempt] ?? '',
        l[LABELS.workerId] ?? '',
      )
      if (live.has(key)) continue
      try {
        await this.#engine.remove(c.id)
        removed++
        this.#logger.info(
          {
            container: c.name,
            jobId: l[LABELS.jobId],
            step: l[LABELS.step],
            owner: l[LABELS.owner],
          },
          'removed a container whose step is no longer running',
        )
      } catch (e) {
        this.#logger.warn({ err: coerceError(e), container: c.name }, 'could not remove container')
      }
    }
    return removed
  }
}
