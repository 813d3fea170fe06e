/**
 * Where a worker gets steps and reports about them. The embedded worker uses the in-process
 * implementation over the database; `weir worker` uses one over HTTP (/worker/*). Workers never
 * see the database or its credentials.
 */
import type { ExecLine } from './executors/script-executor.ts'

export type StopReason = 'cancel_requested' | 'timeout' | 'lease_lost'

export interface ClaimedStep {
  readonly stepId: string
  readonly jobId: string
  readonly workspace: string
  readonly taskName: string
  readonly stepName: string
  readonly attempt: number
  readonly leaseToken: string
  readonly action: {
    readonly language: 'shell' | 'python' | 'javascript' | 'typescript'
    readonly interpreter: string | null
    readonly script: string | null
    /** Path relative to `cwd` (the workspace root). */
    readonly source: string | null
    readonly args: ReadonlyArray<string>
  }
  /** Set when the step runs in a container (`type: docker`, or a script with `runner: docker`). */
  readonly container: ContainerStep | null
  /** Variables to set on top of the worker's own environment (a container gets these alone). */
  readonly env: Readonly<Record<string, string>>
  readonly cwd: string
  readonly timeoutSecs: number
  /** The task state the step starts from; null or absent when the server keeps no state. */
  readonly state?: ClaimedStepState | null
  /**
   * Files to fetch before the step runs, which then runs in them: a revision of a workspace or
   * library this worker has no folder for (a remote worker's `source:` step). Absent: `cwd` holds.
   */
  readonly fetchFiles?: FilesRef | null
}

/** One revision of a workspace's or library's files. */
export interface FilesRef {
  readonly kind: 'workspace' | 'library'
  readonly name: string
  readonly revision: string
}

/** A state snapshot as a step receives it: its values (state.json), and whether it has files. */
export interface StepSnapshot {
  readonly id: string
  readonly values: Readonly<Record<string, unknown>>
  readonly hasFiles: boolean
}

/** The newest snapshots of the step's task and of its workspace as of the claim. */
export interface ClaimedStepState {
  readonly task: StepSnapshot | null
  readonly global: StepSnapshot | null
}

export type StateScope = 'task' | 'global'

/**
 * The files around a step (runner/step-files.ts): its state folders are filled before it runs,
 * and what it left in $ARTIFACTS_DIR and its state output folders is stored once it succeeded.
 */
export interface StepFileSource {
  /** Fills an empty folder with a snapshot: its files and state.json. */
  loadState(
    step: ClaimedStep,
    scope: StateScope,
    snapshot: StepSnapshot,
    dir: string,
  ): Promise<void>
  /** Stores one artifact (a file of $ARTIFACTS_DIR, `name` relative to it with `/`). */
  putArtifact(
    step: ClaimedStep,
    file: { name: string; path: string; sizeBytes: number },
  ): Promise<void>
  /** Removes the artifacts the step stored (a later one, or its state, could not be stored). */
  discardArtifacts(step: ClaimedStep): Promise<void>
  /** Stores a new snapshot: `values` for state.json, and the files of `dir` but its state.json. */
  saveState(
    step: ClaimedStep,
    scope: StateScope,
    values: Readonly<Record<string, unknown>>,
    dir: string,
  ): Promise<void>
}

/** A container step as claimed: the image rendered, the rest as its action declares it. */
export interface ContainerStep {
  /** `action`: a `type: docker` action; `script`: the claimed script runs in the image. */
  readonly mode: 'action' | 'script'
  /** Null: the worker's runner image (`script` mode only). */
  readonly image: string | null
  readonly cmd: string | null
  readonly entrypoint: ReadonlyArray<string> | null
  readonly command: ReadonlyArray<string> | null
  readonly pullPolicy: 'if_not_present' | 'always' | 'never'
  readonly resources: { readonly nanoCpus: number | null; readonly memoryBytes: number | null }
}

export interface WorkerOutcome {
  readonly status: 'completed' | 'failed' | 'cancelled'
  readonly exitCode: number | null
  readonly output: unknown
  readonly errorMessage: string | null
  /** Notes for the job's `_server` log (e.g. an unparsable OUTPUT: line). */
  readonly warnings: ReadonlyArray<string>
}

export interface CompleteOptions {
  readonly lines?: ReadonlyArray<ExecLine>
  readonly claimNext?: boolean
}

export interface StopRequest {
  readonly stepId: string
  readonly reason: StopReason
}

export interface StepSource {
  /** Up to `max` steps; waits until at least one is ready, or resolves [] when `signal` aborts. */
  claim(max: number, signal: AbortSignal): Promise<ClaimedStep[]>
  /** Records that the step's process started. */
  start(step: ClaimedStep): Promise<void>
  /** Stores output lines in order; may answer with a stop request for this step. */
  appendLogs(step: ClaimedStep, lines: ReadonlyArray<ExecLine>): Promise<StopReason | null>
  /** Extends the leases of the listed steps; answers with steps to stop. */
  heartbeat(steps: ReadonlyArray<ClaimedStep>): Promise<StopRequest[]>
  /**
   * Ends the attempt, storing `opts.lines` (output not pushed yet) before the result. With
   * `opts.claimNext` a source may hand back the worker's next step, claimed in the same exchange.
   */
  complete(
    step: ClaimedStep,
    outcome: WorkerOutcome,
    opts?: CompleteOptions,
  ): Promise<ClaimedStep | null>
  /** Stop requests pushed as they happen (in-process sources); returns an unsubscribe. */
  onStop(listener: (req: StopRequest) => void): () => void
  /** Artifacts and task state; absent: the source keeps no step files. */
  readonly files?: StepFileSource
}
