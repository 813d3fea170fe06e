/** Small builders of jobs, step runs and workspaces for the flow tests (plain objects, no IO). */
import type { Job, StepRun } from '../../../src/flow/job.ts'
import type { ActionSpec, StepSpec } from '../../../src/flow/step-spec.ts'
import type { StepStatus } from '../../../src/shared/statuses.ts'
import type {
  ActionDef,
  InputField,
  RetryPolicy,
  StepDef,
  TaskDef,
  TaskHooks,
  Workspace,
} from '../../../src/workspace/workspace.ts'
import { noHooks } from './snapshots.ts'

/** The clock of every settling test. */
export const NOW = new Date('2025-03-01T12:00:00.000Z')
/** When the job was created and its first step claimed. */
export const EARLIER = new Date('2025-03-01T11:59:00.000Z')

const at = { file: '.workflows/flow.yaml', line: 1, column: 1 }

/** A job id in the stored form (a lowercase UUID), numbered. */
export function uuid(n: number): string {
  return `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`
}

export const JOB_ID = uuid(1)

/** Ids handed out in order, and the list of those handed out so far. */
export function sequence(next: (n: number) => string): { (): string; issued: string[] } {
  const issued: string[] = []
  const take = (): string => {
    const id = next(issued.length + 1)
    issued.push(id)
    return id
  }
  return Object.assign(take, { issued })
}

export function retryPolicy(over: Partial<RetryPolicy> = {}): RetryPolicy {
  return { maxAttempts: 3, delaySecs: 30, backoff: 'fixed', jitter: false, ...over }
}

/** An optional string input field; `over` changes it. */
export function inputField(over: Partial<InputField> = {}): InputField {
  return {
    type: 'string',
    name: null,
    description: null,
    order: null,
    required: false,
    options: null,
    allowCustom: false,
    multiple: false,
    secret: false,
    ...over,
  }
}

export function actionDef(name: string, over: Partial<ActionDef> = {}): ActionDef {
  return {
    name,
    type: 'script',
    displayName: null,
    description: null,
    input: [],
    env: {},
    retry: null,
    tags: [],
    script: `echo ${name}`,
    source: null,
    language: 'shell',
    interpreter: null,
    args: [],
    runner: 'local',
    task: null,
    message: null,
    unsupported: null,
    at,
    ...over,
  }
}

export function stepDef(name: string, over: Partial<StepDef> = {}): StepDef {
  return {
    name,
    action: 'echo',
    displayName: null,
    description: null,
    dependsOn: [],
    input: {},
    continueOnFailure: false,
    when: null,
    forEach: null,
    sequential: false,
    timeoutSecs: null,
    retry: null,
    declared: {},
    at,
    ...over,
  }
}

export function taskDef(
  name: string,
  flow: ReadonlyArray<StepDef>,
  over: Partial<TaskDef> = {},
): TaskDef {
  return {
    name,
    displayName: null,
    description: null,
    mode: 'distributed',
    folder: null,
    input: [],
    declaresInput: false,
    declaredInput: {},
    flow,
    timeoutSecs: null,
    retry: null,
    hooks: noHooks,
    unavailable: null,
    at,
    ...over,
  }
}

export function workspaceOf(
  over: {
    actions?: ReadonlyArray<ActionDef>
    tasks?: ReadonlyArray<TaskDef>
    secrets?: Record<string, unknown>
    hooks?: TaskHooks
  } = {},
): Workspace {
  const actions = over.actions ?? [actionDef('echo')]
  return {
    name: 'default',
    root: '/srv/workspace',
    revision: 'rev-1',
    actions: new Map(actions.map((a) => [a.name, a])),
    tasks: new Map((over.tasks ?? []).map((t) => [t.name, t])),
    triggers: new Map(),
    secrets: over.secrets ?? {},
    hooks: over.hooks ?? noHooks,
    issues: [],
  }
}

export function actionSpec(name = 'echo'): ActionSpec {
  return {
    name,
    type: 'script',
    script: `echo ${name}`,
    source: null,
    language: 'shell',
    interpreter: null,
    args: [],
    env: {},
    input: [],
    runner: 'local',
    tags: [],
  }
}

export function stepSpec(over: Partial<StepSpec> = {}): StepSpec {
  return {
    action: actionSpec(),
    input: {},
    inputIsLiteral: false,
    when: null,
    continueOnFailure: false,
    timeoutSecs: 300,
    retry: null,
    root: '/srv/workspace',
    ...over,
  }
}

export function jobOf(over: Partial<Job> = {}): Job {
  return {
    id: JOB_ID,
    workspace: 'default',
    taskName: 'deploy',
    mode: 'distributed',
    status: 'running',
    sourceType: 'api',
    sourceId: null,
    input: {},
    output: null,
    errorMessage: null,
    revision: 'rev-1',
    retryOfJobId: null,
    idempotencyKey: null,
    cancelRequestedAt: null,
    timeoutAt: null,
    createdAt: EARLIER,
    startedAt: EARLIER,
    completedAt: null,
    logLastSeq: null,
    parentJobId: null,
    parentStepName: null,
    sourceJobId: null,
    depth: 0,
    ...over,
  }
}

export type StepRunOver = Omit<Partial<StepRun>, 'spec'> & { readonly spec?: Partial<StepSpec> }

/** A step run `step-<name>` of JOB_ID; `spec` fields are merged into a default spec. */
export function stepRun(name: string, status: StepStatus, over: StepRunOver = {}): StepRun {
  const { spec, ...rest } = over
  return {
    id: `step-${name}`,
    jobId: JOB_ID,
    name,
    position: 0,
    actionName: 'echo',
    actionType: 'script',
    runner: 'local',
    status,
    spec: stepSpec(spec),
    dependsOn: [],
    input: {},
    output: null,
    exitCode: null,
    errorMessage: null,
    attempt: 1,
    workerId: null,
    leaseToken: null,
    leaseExpiresAt: null,
    stopReason: null,
    readyAt: null,
    claimedAt: null,
    startedAt: null,
    completedAt: null,
    suspendedAt: null,
    loopSource: null,
    loopIndex: null,
    loopTotal: null,
    childJobId: null,
    ...rest,
  }
}

/** Fields of a step that a worker claimed and ran. */
export const ran = { claimedAt: EARLIER, startedAt: EARLIER } as const
