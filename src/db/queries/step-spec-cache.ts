/**
 * The specs of the steps of big jobs (a for_each over hundreds of items, a wide fan-out), kept in
 * memory so the reads behind every finish (readJobsWithSteps, lockJobWithSteps) can leave them
 * out: a step's spec never changes once inserted, and it is most of the row. Small jobs are read
 * whole as before (their reads are cheap, and a miss would cost a round trip). Bounded: the jobs
 * used least recently are forgotten first.
 */
import type { StepRun } from '../../flow/job.ts'
import type { StepSpec } from '../../flow/step-spec.ts'

/** A job with at least this many steps is read light once its specs are known. */
export const BIG_JOB_STEPS = 32

export class StepSpecCache {
  readonly #jobs = new Map<string, Map<string, StepSpec>>()
  readonly #maxSpecs: number
  #size = 0

  constructor(maxSpecs = 50_000) {
    this.#maxSpecs = maxSpecs
  }

  /** Which of these jobs to read without specs. */
  lightJobs(jobIds: ReadonlyArray<string>): string[] {
    return jobIds.filter((id) => this.#jobs.has(id))
  }

  isLight(jobId: string): boolean {
    return this.#jobs.has(jobId)
  }

  get(jobId: string, stepId: string): StepSpec | undefined {
    return this.#jobs.get(jobId)?.get(stepId)
  }

  set(jobId: string, stepId: string, spec: StepSpec): void {
    const specs = this.#touch(jobId)
    if (!specs.has(stepId)) this.#size++
    specs.set(stepId, spec)
    this.#evict()
  }

  /** Remembers the specs of a big job read whole. */
  learn(jobId: string, steps: ReadonlyArray<StepRun>): void {
    if (steps.length < BIG_JOB_STEPS) return
    for (const s of steps) this.set(jobId, s.id, s.spec)
  }

  #touch(jobId: string): Map<string, StepSpec> {
    const specs = this.#jobs.get(jobId) ?? new Map<string, StepSpec>()
    this.#jobs.delete(jobId)
    this.#jobs.set(jobId, specs)
    return specs
  }

  #evict(): void {
    for (const [jobId, specs] of this.#jobs) {
      if (this.#size <= this.#maxSpecs || this.#jobs.size <= 1) return
      this.#jobs.delete(jobId)
      this.#size -= specs.size
    }
  }
}
