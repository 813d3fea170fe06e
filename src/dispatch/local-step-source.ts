/**
 * StepSource over this process's database and log store: the embedded worker's source, and the
 * engine behind the remote worker routes. Claims wake on a local signal (and NOTIFY from other
 * replicas); the slow safety poll only covers lost wake-ups.
 */
import type { Kysely } from 'kysely'
import { extendLeases } from '../db/queries/extend-leases.ts'
import type { DB } from '../db/schema.ts'
import type { Clock } from '../shared/clock.ts'
import { coerceError } from '../shared/errors.ts'
import type { Logger } from '../shared/logger.ts'
import type { WakeSignal } from '../shared/wake-signal.ts'
import type { ExecLine } from '../runner/executors/script-executor.ts'
import type {
  ClaimedStep,
  ClaimedStepState,
  CompleteOptions,
  StepFileSource,
  StepSnapshot,
  ContainerStep,
  StepSource,
  StopReason,
  StopRequest,
  WorkerOutcome,
} from '../runner/step-source.ts'
import type { Workspace } from '../workspace/workspace.ts'
import type { AfterCommit } from '../flow/after-commit.ts'
import type { ArtifactStore } from '../artifacts/artifact-store.ts'
import type { ClaimedState, SnapshotRef } from '../db/queries/claim-ready-steps.ts'
import type { StateStore } from '../state/state-store.ts'
import { claimAndRender, type ClaimedRender } from './claim-steps.ts'
import type { JobLogs } from '../logs/job-logs.ts'
import type { Orchestrator } from '../jobs/orchestrator.ts'

export interface StepLogSink {
  append(
    jobId: string,
    lines: ReadonlyArray<{
      ts: string
      stream: 'stdout' | 'stderr'
      step: string
      line: string
      continues?: boolean
    }>,
  ): Promise<{ readonly lastSeq: number }>
  addSecrets(jobId: string, values: ReadonlyArray<string>): void
}

/** Who claims: the embedded worker, or a remote one through POST /worker/claim. */
export interface ClaimingWorker {
  readonly id: string
  readonly name: string
  readonly tags: ReadonlyArray<string>
  readonly capabilities: ReadonlyArray<string>
}

export interface LocalStepSourceDeps {
  /** Claims and lease extensions only: `Database.relaxed` (a crash may forget them harmlessly). */
  readonly db: Kysely<DB>
  readonly orchestrator: Orchestrator
  readonly logs: StepLogSink
  readonly jobLogs: JobLogs
  readonly wake: WakeSignal
  readonly workspaceFor: (name: string, revision: string) => Workspace | undefined
  readonly onCommitted: (fx: AfterCommit) => void
  readonly worker: ClaimingWorker
  readonly leaseTtlSecs: number
  readonly safetyPollMs: number
  readonly logger: Logger
  /** Behind the templates' `now()` when claimed steps render. */
  readonly clock: Pick<Clock, 'now'>
  /** Where steps' artifacts and task state go (state null: off, claims read no snapshots). */
  readonly files?: { readonly artifacts: ArtifactStore; readonly state: StateStore | null }
}

/** A claimed step's snapshots as the step sees them. */
function stepStateOf(s: ClaimedState | null): ClaimedStepState | null {
  if (!s) return null
  const of = (r: SnapshotRef | null): StepSnapshot | null =>
    r && { id: r.id, values: r.state, hasFiles: r.filesKey !== null }
  return { task: of(s.task), global: of(s.global) }
}

export class LocalStepSource implements StepSource {
  readonly #d: LocalStepSourceDeps
  readonly #byJob = new Map<string, Set<string>>()
  readonly #listeners = new Set<(req: StopRequest) => void>()
  /** Rendered-input writes still in flight, by step id (see claimFor). */
  readonly #inputWrites = new Map<string, Promise<void>>()
  /** The job as each claim of the embedded worker left it, by step id (see finishStep). */
  readonly #snapshots = new Map<string, NonNullable<ClaimedRender['job']['snapshot']>>()
  /** The state snapshots each claimed step starts from, by step id (where their files are). */
  readonly #states = new Map<string, ClaimedState>()

  /** The embedded worker's identity; its capabilities are settled at start (the Docker check). */
  #worker: ClaimingWorker

  readonly files: StepFileSource | undefined

  constructor(deps: LocalStepSourceDeps) {
    this.#d = deps
    this.#worker = deps.worker
    this.files = deps.files ? this.#fileSource(deps.files) : undefined
  }

  /** What the embedded worker runs: `docker` joins `script` when its engine answered at start. */
  setCapabilities(capabilities: ReadonlyArray<string>): void {
    this.#worker = { ...this.#worker, capabilities: [...capabilities] }
  }

  /** Wake generation after which the last claim came back short: nothing new can be ready yet. */
  #drainedAt = -1

  async claim(max: number, signal: AbortSignal): Promise<ClaimedStep[]> {
    while (!signal.aborted) {
      const seen = this.#d.wake.generation
      if (seen === this.#drainedAt) {
        // The last claim took everything that was ready and no wake-up came since: wait instead
        // of spending a transaction on an empty claim.
        await this.#d.wake.wait(seen, this.#d.safetyPollMs, signal)
        this.#drainedAt = -1
        continue
      }
      const steps = await this.claimNow(max, true)
      if (steps === null) continue
      if (steps.length < max) this.#drainedAt = seen
      if (steps.length > 0) return steps
    }
    return []
  }

  /** One claim attempt; null when some claimed steps failed to render (worth trying again at once). */
  async claimNow(max: number, startNow: boolean): Promise<ClaimedStep[] | null> {
    const claimed = await this.claimFor(this.#worker, max, startNow)
    return claimed === null ? null : claimed.map((c) => this.#toClaimed(c))
  }

  /**
   * One claim attempt for any worker (the embedded one, or a remote one via /worker/claim):
   * claims and renders, then fails the steps whose templates did not render. Null when only such
   * steps were claimed (worth trying again at once). For the embedded worker (`startNow`) the
   * rendered inputs are stored while the steps start; `complete` waits for that write.
   * `gateOnWorkerRow`: see ClaimRequest (remote workers).
   */
  async claimFor(
    worker: ClaimingWorker,
    max: number,
    startNow: boolean,
    opts: { readonly gateOnWorkerRow?: boolean } = {},
  ): Promise<ClaimedRender[] | null> {
    const d = this.#d
    const batch = await claimAndRender(
      d.db,
      {
        workerId: worker.id,
        workerName: worker.name,
        limit: max,
        leaseTtlSecs: d.leaseTtlSecs,
        tags: worker.tags,
        capabilities: worker.capabilities,
        startNow,
        withState: d.files?.state != null,
        gateOnWorkerRow: opts.gateOnWorkerRow === true,
      },
      {
        workspaceFor: d.workspaceFor,
        onInputsFailed: (err) =>
          d.logger.warn({ err: coerceError(err) }, 'storing rendered step inputs failed'),
        clock: d.clock,
      },
    )
    if (startNow) {
      for (const c of batch.ok) this.#inputWrites.set(c.step.id, batch.inputsStored)
      void batch.inputsStored.then(() => {
        for (const c of batch.ok) this.#inputWrites.delete(c.step.id)
      })
    } else await batch.inputsStored
    d.onCommitted(batch.fx)
    for (const f of batch.failed) {
      await d.orchestrator.finishStep(f.step.id, f.job.id, f.step.leaseToken, {
        status: 'failed',
        exitCode: null,
        output: null,
        errorMessage: `template error: ${f.error}`,
      })
    }
    for (const c of batch.ok) {
      // Before the step can print anything: its lines and its result are masked with these.
      d.logs.addSecrets(c.job.id, c.secrets)
      d.orchestrator.secrets.add(c.job, c.secrets)
    }
    return batch.ok.length === 0 && batch.failed.length > 0 ? null : batch.ok
  }

  #toClaimed(c: ClaimedRender): ClaimedStep {
    if (c.job.snapshot) {
      this.#snapshots.set(c.step.id, c.job.snapshot)
      // Steps that end without complete() (a lost lease) leave theirs: keep the newest 1000.
      for (const oldest of this.#snapshots.keys()) {
        if (this.#snapshots.size <= 1000) break
        this.#snapshots.delete(oldest)
      }
    }
    if (c.job.state && (c.job.state.task || c.job.state.global)) {
      this.#states.set(c.step.id, c.job.state)
      for (const oldest of this.#states.keys()) {
        if (this.#states.size <= 1000) break
        this.#states.delete(oldest)
      }
    }
    let set = this.#byJob.get(c.job.id)
    if (!set) this.#byJob.set(c.job.id, (set = new Set()))
    set.add(c.step.id)
    return {
      stepId: c.step.id,
      jobId: c.job.id,
      workspace: c.job.workspace,
      taskName: c.job.taskName,
      stepName: c.step.name,
      attempt: c.step.attempt,
      leaseToken: c.step.leaseToken!,
      action: c.rendered.action,
      container: containerStepOf(c),
      env: c.rendered.env,
      cwd: c.step.spec.root,
      timeoutSecs: c.step.spec.timeoutSecs,
      state: stepStateOf(c.job.state),
    }
  }

  /** Artifacts and state go straight into their stores (files copied, never held in memory). */
  #fileSource(f: NonNullable<LocalStepSourceDeps['files']>): StepFileSource {
    const fence = (step: ClaimedStep) => ({
      jobId: step.jobId,
      stepName: step.stepName,
      attempt: step.attempt,
      workerId: this.#worker.id,
      workspace: step.workspace,
    })
    return {
      loadState: async (step, scope, snapshot, dir) => {
        const ref = this.#states.get(step.stepId)?.[scope]
        if (!f.state || !ref || ref.id !== snapshot.id)
          throw new Error(`state snapshot ${snapshot.id} is not one this claim handed out`)
        await f.state.fill(ref, dir)
      },
      putArtifact: async (step, file) => {
        await f.artifacts.put(fence(step), file.name, { path: file.path })
      },
      discardArtifacts: (step) => f.artifacts.discardStep(step.jobId, step.stepName),
      saveState: async (step, scope, values, dir) => {
        if (!f.state) throw new Error('task state is off on this server')
        await f.state.saveFromFolder(fence(step), scope, values, dir)
      },
    }
  }

  async start(): Promise<void> {
    // started_at is recorded with the claim for in-process workers
  }

  async appendLogs(step: ClaimedStep, lines: ReadonlyArray<ExecLine>): Promise<StopReason | null> {
    await this.appendStepLines(step.jobId, step.stepName, lines)
    return null
  }

  /** Appends a step's output lines to its job's log (masked by the log store); returns its last seq. */
  async appendStepLines(
    jobId: string,
    stepName: string,
    lines: ReadonlyArray<{
      ts: string
      stream: 'stdout' | 'stderr'
      line: string
      continues?: boolean
    }>,
  ): Promise<{ readonly lastSeq: number }> {
    return this.#d.logs.append(
      jobId,
      lines.map((l) => ({
        ts: l.ts,
        stream: l.stream,
        step: stepName,
        line: l.line,
        ...(l.continues ? { continues: true } : {}),
      })),
    )
  }

  async heartbeat(steps: ReadonlyArray<ClaimedStep>): Promise<StopRequest[]> {
    const extended = await extendLeases(
      this.#d.db,
      this.#d.worker.id,
      steps.map((s) => ({ jobId: s.jobId, stepName: s.stepName, leaseToken: s.leaseToken })),
      this.#d.leaseTtlSecs,
    )
    const byId = new Map(extended.map((e) => [e.id, e.stopReason]))
    const stops: StopRequest[] = []
    for (const s of steps) {
      if (!byId.has(s.stepId)) stops.push({ stepId: s.stepId, reason: 'lease_lost' })
      else if (byId.get(s.stepId))
        stops.push({ stepId: s.stepId, reason: byId.get(s.stepId) as StopReason })
    }
    return stops
  }

  async complete(
    step: ClaimedStep,
    outcome: WorkerOutcome,
    opts?: CompleteOptions,
  ): Promise<ClaimedStep | null> {
    if (opts?.lines?.length) await this.appendStepLines(step.jobId, step.stepName, opts.lines)
    for (const w of outcome.warnings)
      this.#d.jobLogs.server(step.jobId, `step ${step.stepName}: ${w}`, 'stderr')
    const inputWrite = this.#inputWrites.get(step.stepId)
    if (inputWrite) {
      this.#inputWrites.delete(step.stepId)
      await inputWrite
    }
    const set = this.#byJob.get(step.jobId)
    set?.delete(step.stepId)
    if (set?.size === 0) this.#byJob.delete(step.jobId)
    const snapshot = this.#snapshots.get(step.stepId)
    this.#snapshots.delete(step.stepId)
    this.#states.delete(step.stepId)
    const res = await this.#d.orchestrator.finishStep(
      step.stepId,
      step.jobId,
      step.leaseToken,
      outcome,
      undefined,
      snapshot,
    )
    if (!res.ok)
      this.#d.logger.warn(
        { jobId: step.jobId, step: step.stepName },
        'result discarded: the lease is no longer current',
      )
    return null
  }

  onStop(listener: (req: StopRequest) => void): () => void {
    this.#listeners.add(listener)
    return () => this.#listeners.delete(listener)
  }

  /** Forwards a job-level stop (cancel, job timeout) to the steps this source handed out. */
  stopJob(jobId: string, reason: StopReason): void {
    for (const stepId of this.#byJob.get(jobId) ?? []) {
      for (const l of this.#listeners) {
        try {
          l({ stepId, reason })
        } catch (e) {
          this.#d.logger.warn({ err: coerceError(e) }, 'stop listener failed')
        }
      }
    }
  }
}

/** The claimed step's container, if it runs in one. */
export function containerStepOf(c: ClaimedRender): ContainerStep | null {
  const container = c.rendered.action.container
  if (!container) return null
  return { ...container, mode: c.step.spec.action.type === 'docker' ? 'action' : 'script' }
}
