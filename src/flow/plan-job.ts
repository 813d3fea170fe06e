/**
 * planJob: the rows of a new job (its steps in topological order) from a task and a validated
 * input. Root `when` conditions and skip cascades are decided here, so the rows are inserted with
 * their first real statuses in the job's single creation transaction.
 */
import type { JobStatus, SourceType, StepStatus } from '../shared/statuses.ts'
import type { TaskDef, Workspace } from '../workspace/workspace.ts'
import { advanceSteps, type AdvanceStep } from './advance-steps.ts'
import { topologicalOrder } from './dag.ts'
import { deriveJobStatus } from './job-status.ts'
import { errorOf, type StepMove } from './move-effects.ts'
import { stepSpecOf, type StepSpec } from './step-spec.ts'

export interface JobSource {
  readonly type: SourceType
  readonly id: string | null
}

export interface PlannedStep {
  readonly id: string
  readonly name: string
  readonly position: number
  readonly actionName: string
  readonly actionType: string
  readonly runner: string
  readonly status: StepStatus
  readonly spec: StepSpec
  readonly dependsOn: ReadonlyArray<string>
  readonly input: Readonly<Record<string, unknown>>
  readonly tags: ReadonlyArray<string>
  readonly readyAt: Date | null
  readonly errorMessage: string | null
  readonly completedAt: Date | null
  /** A loop instance: its loop step, index and the loop's size. */
  readonly loop?: { readonly source: string; readonly index: number; readonly total: number }
}

export interface PlannedJob {
  readonly id: string
  readonly workspace: string
  readonly taskName: string
  readonly mode: string
  readonly status: JobStatus
  readonly source: JobSource
  readonly input: Readonly<Record<string, unknown>>
  readonly rawInput: unknown
  readonly revision: string
  readonly fireKey: string | null
  readonly idempotencyKey: string | null
  readonly retryOfJobId: string | null
  readonly timeoutAt: Date | null
  readonly createdAt: Date
  readonly completedAt: Date | null
  /** A sub-task's job: the job and step that start it, and how deep it is nested. */
  readonly parent?: { readonly jobId: string; readonly stepName: string; readonly depth: number }
  /** A re-run: the job it replays. */
  readonly sourceJobId?: string | null
  readonly steps: ReadonlyArray<PlannedStep>
  /** The first advance's moves (roots ready, root `when`, cascades), announced at creation. */
  readonly moves: ReadonlyArray<StepMove>
}

export interface PlanParams {
  readonly jobId: string
  readonly newStepId: () => string
  readonly workspace: Workspace
  readonly task: TaskDef
  readonly input: Readonly<Record<string, unknown>>
  readonly rawInput?: unknown
  readonly source: JobSource
  readonly now: Date
  readonly defaultStepTimeoutSecs: number
  readonly defaultJobTimeoutSecs?: number | null
  readonly fireKey?: string | null
  readonly idempotencyKey?: string | null
  readonly retryOfJobId?: string | null
  /** Root steps become claimable at this time (a delayed task retry); default: now. */
  readonly notBefore?: Date | null
  readonly parent?: PlannedJob['parent']
  readonly sourceJobId?: string | null
}

/** Plans a job; pure (ids and time come in). */
export function planJob(p: PlanParams): PlannedJob {
  const order = topologicalOrder(p.task.flow.map((s) => ({ name: s.name, dependsOn: s.dependsOn })))
  const byName = new Map(p.task.flow.map((s) => [s.name, s]))
  const steps = order.map((name, position): PlannedStep => {
    const def = byName.get(name)!
    const action = p.workspace.actions.get(def.action)
    if (!action) throw new Error(`step '${name}' names unknown action '${def.action}'`)
    const spec = stepSpecOf(def, action, {
      root: p.workspace.root,
      defaultTimeoutSecs: p.defaultStepTimeoutSecs,
    })
    return {
      id: p.newStepId(),
      name,
      position,
      actionName: def.action,
      actionType: action.type,
      runner: action.runner,
      status: 'pending',
      spec,
      dependsOn: def.dependsOn,
      input: def.input,
      tags: action.tags,
      readyAt: null,
      errorMessage: null,
      completedAt: null,
    }
  })
  const timeoutSecs = p.task.timeoutSecs ?? p.defaultJobTimeoutSecs ?? null
  return settlePlan(
    {
      id: p.jobId,
      workspace: p.workspace.name,
      taskName: p.task.name,
      mode: p.task.mode,
      status: 'pending',
      source: p.source,
      input: p.input,
      rawInput: p.rawInput ?? null,
      revision: p.workspace.revision,
      fireKey: p.fireKey ?? null,
      idempotencyKey: p.idempotencyKey ?? null,
      retryOfJobId: p.retryOfJobId ?? null,
      timeoutAt: timeoutSecs === null ? null : new Date(p.now.getTime() + timeoutSecs * 1000),
      createdAt: p.now,
      completedAt: null,
      ...(p.parent ? { parent: p.parent } : {}),
      ...(p.sourceJobId ? { sourceJobId: p.sourceJobId } : {}),
      steps,
      moves: [],
    },
    p.workspace.secrets,
    p.notBefore ?? null,
  )
}

/** Applies the first advance (roots ready, root `when`, cascades) and the resulting job status. */
export function settlePlan(
  job: PlannedJob,
  secret: Readonly<Record<string, unknown>>,
  notBefore: Date | null = null,
): PlannedJob {
  const moves = advanceSteps(job.steps.map(toAdvanceStep), {
    input: job.input,
    secret,
    now: job.createdAt,
  })
  const byName = new Map(moves.map((m) => [m.name, m]))
  const steps = job.steps.map((s): PlannedStep => {
    const m = byName.get(s.name)
    if (!m) return s
    const terminal = m.to !== 'ready'
    return {
      ...s,
      status: m.to,
      readyAt: m.to === 'ready' ? (notBefore ?? job.createdAt) : null,
      errorMessage: errorOf(m),
      completedAt: terminal ? job.createdAt : null,
    }
  })
  const status = deriveJobStatus(
    steps.map((s) => ({ ...s, continueOnFailure: s.spec.continueOnFailure, output: null })),
    { cancelRequested: false, everClaimed: false },
  )
  const done = status !== 'pending' && status !== 'running'
  return { ...job, steps, moves, status, completedAt: done ? job.createdAt : null }
}

function toAdvanceStep(s: PlannedStep): AdvanceStep {
  return {
    id: s.id,
    name: s.name,
    attempt: 1,
    status: s.status,
    dependsOn: s.dependsOn,
    continueOnFailure: s.spec.continueOnFailure,
    when: s.spec.when,
    output: null,
    errorMessage: s.errorMessage,
  }
}
