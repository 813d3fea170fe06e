/**
 * The snapshot of everything needed to run one step, stored on its row at job creation, so a
 * job no longer depends on the workspace registry once planned (ARCHITECTURE.md §2 step 2).
 */
import type {
  ActionDef,
  ContainerDef,
  InputSchema,
  RetryPolicy,
  ScriptLanguage,
  StepDef,
} from '../workspace/workspace.ts'

export interface ActionSpec {
  readonly name: string
  readonly type: string
  readonly script: string | null
  readonly source: string | null
  readonly language: ScriptLanguage
  readonly interpreter: string | null
  readonly args: ReadonlyArray<string>
  readonly env: Readonly<Record<string, string>>
  readonly input: InputSchema
  readonly runner: string
  readonly tags: ReadonlyArray<string>
  /** `type: task`: the task a step runs as a child job. */
  readonly task?: string | null
  /** `type: approval`: the message template shown to approvers. */
  readonly message?: string | null
  /** A step that runs in a container (`runner: docker`): image (a template), command, limits. */
  readonly container?: ContainerDef | null
}

/** A loop instance's place in its loop (`each.*` in its templates). */
export interface LoopItem {
  readonly item: unknown
  readonly index: number
  readonly total: number
}

export interface StepSpec {
  readonly action: ActionSpec
  /** Step input values (templates unless `inputIsLiteral`). */
  readonly input: Readonly<Record<string, unknown>>
  /** Hook steps carry input rendered at job end: never render it again. */
  readonly inputIsLiteral: boolean
  readonly when: string | null
  readonly continueOnFailure: boolean
  readonly timeoutSecs: number
  readonly retry: RetryPolicy | null
  /** Absolute workspace root: the working directory and base of `source:` paths. */
  readonly root: string
  /** A loop step: a literal list or a template rendering to a JSON array (absent: not a loop). */
  readonly forEach?: ReadonlyArray<unknown> | string | null
  readonly sequential?: boolean
  /** A loop instance: its item, index and the loop's size. */
  readonly each?: LoopItem | null
  /**
   * Another workspace's action: the workspace and revision (pinned when the job was created)
   * whose secrets render the action. The step's own input renders in the job's workspace.
   */
  readonly actionWorkspace?: string
  readonly actionRevision?: string
  /** Whose files `root` holds when they are not the job's workspace's (a library, another workspace). */
  readonly files?: {
    readonly kind: 'workspace' | 'library'
    readonly name: string
    readonly revision: string
  }
}

/** Where a step of `action` runs: its root, and the owner of its secrets and files when not the job's workspace. */
export function placementOf(
  action: ActionDef,
  workspaceRoot: string,
): Pick<StepSpec, 'root' | 'actionWorkspace' | 'actionRevision' | 'files'> {
  const o = action.origin
  if (!o) return { root: workspaceRoot }
  return {
    root: o.files.root,
    files: { kind: o.files.kind, name: o.files.name, revision: o.files.revision },
    ...(o.workspace
      ? { actionWorkspace: o.workspace.name, actionRevision: o.workspace.revision }
      : {}),
  }
}

/**
 * Who runs a step: a worker (a process), or the server itself: a loop step expands into instance
 * steps, a `type: task` step starts a child job, a `type: approval` step waits for a person.
 */
export type StepKind = 'worker' | 'loop' | 'task' | 'approval'

export function stepKind(spec: StepSpec): StepKind {
  if (spec.forEach !== undefined && spec.forEach !== null) return 'loop'
  if (spec.action.type === 'task') return 'task'
  if (spec.action.type === 'approval') return 'approval'
  return 'worker'
}

/** Action types the server runs itself: workers never claim their steps. */
export const SERVER_ACTION_TYPES = ['task', 'approval'] as const

export function toActionSpec(a: ActionDef): ActionSpec {
  return {
    name: a.name,
    type: a.type,
    script: a.script,
    source: a.source,
    language: a.language,
    interpreter: a.interpreter,
    args: a.args,
    env: a.env,
    input: a.input,
    runner: a.runner,
    tags: a.tags,
    ...(a.task !== null ? { task: a.task } : {}),
    ...(a.message !== null ? { message: a.message } : {}),
    ...(a.container ? { container: a.container } : {}),
  }
}

/** The spec of a flow step: the step's retry replaces the action's as a whole (§5.5). */
export function stepSpecOf(
  step: StepDef,
  action: ActionDef,
  opts: { root: string; defaultTimeoutSecs: number },
): StepSpec {
  return {
    action: toActionSpec(action),
    input: step.input,
    inputIsLiteral: false,
    when: step.when,
    continueOnFailure: step.continueOnFailure,
    timeoutSecs: step.timeoutSecs ?? opts.defaultTimeoutSecs,
    retry: step.retry ?? action.retry,
    ...placementOf(action, opts.root),
    ...(step.forEach !== null ? { forEach: step.forEach, sequential: step.sequential } : {}),
  }
}
