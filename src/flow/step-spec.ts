/**
 * The snapshot of everything needed to run one step, stored on its row at job creation, so a
 * job no longer depends on the workspace registry once planned (ARCHITECTURE.md §2 step 2).
 */
import type {
  ActionDef,
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
}

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
    root: opts.root,
  }
}
