/**
 * Each job's secret set (secret-values.ts), computed once and cached: a job's workspace revision
 * and input never change after planning, so neither does the set. The orchestrator masks step
 * outcomes with it before they are stored, the log store loads it for a job's first line, and
 * the API masks job details with it.
 */
import {
  createScrubber,
  maskJsonStrings,
  maskText,
  noSecrets,
  type Scrubber,
} from '../shared/secret-mask.ts'
import type { InputSchema, Workspace } from '../workspace/workspace.ts'
import type { StepOutcome } from '../flow/job.ts'
import type { PlannedJob } from '../flow/plan-job.ts'
import { jobSecretValues } from '../flow/secret-values.ts'

/** The parts of a job (stored or planned) that decide its secrets. */
export interface JobSecretKey {
  readonly id: string
  readonly workspace: string
  readonly revision: string
  readonly taskName: string
  readonly input: Readonly<Record<string, unknown>>
}

export interface JobSecretSet {
  readonly values: ReadonlyArray<string>
  /** Built on first use; inactive (no regex) when there are no values. */
  readonly scrubber: Scrubber
  /** The task's input schema, for masking whole secret fields in API responses. */
  readonly inputSchema: InputSchema | undefined
}

class CachedSet implements JobSecretSet {
  #values: string[]
  readonly inputSchema: InputSchema | undefined
  #scrubber: Scrubber | null = null

  constructor(values: string[], inputSchema: InputSchema | undefined) {
    this.#values = values
    this.inputSchema = inputSchema
  }

  get values(): ReadonlyArray<string> {
    return this.#values
  }

  get scrubber(): Scrubber {
    this.#scrubber ??= this.#values.length === 0 ? noSecrets() : createScrubber(this.#values)
    return this.#scrubber
  }

  add(values: ReadonlyArray<string>): void {
    const known = new Set(this.#values)
    const fresh = values.filter((v) => !known.has(v))
    if (fresh.length === 0) return
    this.#values = [...this.#values, ...fresh]
    this.#scrubber = null
  }
}

export class JobSecrets {
  readonly #workspaceFor: (name: string, revision: string) => Workspace | undefined
  readonly #maxJobs: number
  readonly #cache = new Map<string, CachedSet>()

  constructor(
    workspaceFor: (name: string, revision: string) => Workspace | undefined,
    maxJobs = 5000,
  ) {
    this.#workspaceFor = workspaceFor
    this.#maxJobs = Math.max(1, maxJobs)
  }

  /** The job's secret set (from the cache, else computed from its workspace version and input). */
  of(job: JobSecretKey): JobSecretSet {
    return this.#entry(job)
  }

  /**
   * Adds values found when a step of the job was rendered (its secret step inputs), so results
   * of that step are masked with them too. Kept in memory only: after a restart, or once the
   * cache has dropped the job, only the job's own set applies.
   */
  add(job: JobSecretKey, values: ReadonlyArray<string>): void {
    this.#entry(job).add(values)
  }

  /** The cached set of a job id, if this process computed it recently. */
  cached(jobId: string): JobSecretSet | undefined {
    return this.#cache.get(jobId)
  }

  /** The job's workspace version; none when the workspace is no longer configured. */
  #workspace(job: JobSecretKey): Workspace | undefined {
    try {
      return this.#workspaceFor(job.workspace, job.revision)
    } catch {
      return undefined
    }
  }

  #entry(job: JobSecretKey): CachedSet {
    const hit = this.#cache.get(job.id)
    if (hit) return hit
    const ws = this.#workspace(job)
    const set = new CachedSet(jobSecretValues(ws, job), ws?.tasks.get(job.taskName)?.input)
    // Without its workspace (broken or not loaded yet) the set is partial: compute it again later.
    if (!ws) return set
    this.#cache.set(job.id, set)
    for (const oldest of this.#cache.keys()) {
      if (this.#cache.size <= this.#maxJobs) break
      this.#cache.delete(oldest)
    }
    return set
  }
}

/** A worker's outcome with secrets masked in its output and error message, before it is stored. */
export function maskOutcome(outcome: StepOutcome, scrubber: Scrubber): StepOutcome {
  if (!scrubber.active) return outcome
  return {
    ...outcome,
    output: maskJsonStrings(outcome.output, scrubber),
    errorMessage: maskText(outcome.errorMessage, scrubber),
  }
}

/** A planned job whose steps' error messages (failed `when` conditions) have secrets masked. */
export function maskPlannedJob(job: PlannedJob, scrubber: Scrubber): PlannedJob {
  if (!scrubber.active || !job.moves.some((m) => m.reason !== null)) return job
  return {
    ...job,
    steps: job.steps.map((s) => ({ ...s, errorMessage: maskText(s.errorMessage, scrubber) })),
    moves: job.moves.map((m) => ({ ...m, reason: maskText(m.reason, scrubber) })),
  }
}
