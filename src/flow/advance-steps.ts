/**
 * Moves pending steps forward once their dependencies settle (WORKSPACE-FORMAT.md §5.4): skip,
 * evaluate `when`, or make ready, repeated until nothing changes, so cascades resolve in one call.
 */
import { templateStepName } from '../workspace/workspace.ts'
import { isTerminalStepStatus, type StepStatus } from '../shared/statuses.ts'
import { evaluateCondition } from '../templates/render.ts'
import { errorOf, moveStep, type StepMove } from './move-effects.ts'

export interface AdvanceStep {
  readonly id: string
  readonly name: string
  readonly attempt: number
  readonly status: StepStatus
  readonly dependsOn: ReadonlyArray<string>
  readonly continueOnFailure: boolean
  readonly when: string | null
  readonly output: unknown
  readonly errorMessage: string | null
  readonly loopSource?: string | null
}

export interface AdvanceContext {
  readonly input: Readonly<Record<string, unknown>>
  readonly secret: Readonly<Record<string, unknown>>
  /** What `now()` returns in a `when`: the time of this advance. */
  readonly now: Date
}

export interface DepState {
  readonly name: string
  readonly status: StepStatus
}

export type PendingDecision =
  | { kind: 'wait' }
  | { kind: 'skip'; reason: string }
  | { kind: 'evaluate_when' }
  | { kind: 'ready' }

/** Skip reasons for failed or cancelled dependencies, in `depends_on` order. */
function brokenDependencies(settled: ReadonlyArray<DepState>): string[] {
  const reasons: string[] = []
  for (const dep of settled) {
    if (dep.status === 'failed') reasons.push(`dependency '${dep.name}' failed`)
    if (dep.status === 'cancelled') reasons.push(`dependency '${dep.name}' was cancelled`)
  }
  return reasons
}

/**
 * Decides a pending step once its dependencies change (WORKSPACE-FORMAT.md §5.4).
 *
 * Only the states of names in `step.dependsOn` count, so callers may pass every step of the job;
 * a declared dependency with no state is treated as unsettled. Once all are terminal: a failed or
 * cancelled dependency skips a step without `continue_on_failure`; so does a set of dependencies
 * that were all skipped. A `continue_on_failure` step proceeds whatever its dependencies did: §5.4
 * rule 2 and the `pending -> ready` row of API.md §2.2 both say so, which settles the unqualified
 * "every dependency was skipped" of the `pending -> skipped` row. Skipped dependencies otherwise
 * count as satisfied, so a join runs when at least one branch completed.
 */
export function decidePendingStep(
  step: {
    readonly dependsOn: ReadonlyArray<string>
    readonly continueOnFailure: boolean
    readonly hasWhen: boolean
  },
  deps: ReadonlyArray<DepState>,
): PendingDecision {
  const byName = new Map(deps.map((d) => [d.name, d.status]))
  const settled: DepState[] = []
  for (const name of new Set(step.dependsOn)) {
    const status = byName.get(name)
    if (status === undefined || !isTerminalStepStatus(status)) return { kind: 'wait' }
    settled.push({ name, status })
  }
  if (!step.continueOnFailure) {
    const broken = brokenDependencies(settled)
    if (broken.length > 0) return { kind: 'skip', reason: broken.join('; ') }
    if (settled.length > 0 && settled.every((d) => d.status === 'skipped')) {
      return { kind: 'skip', reason: 'all dependencies were skipped' }
    }
  }
  return step.hasWhen ? { kind: 'evaluate_when' } : { kind: 'ready' }
}

/**
 * The moves of every pending step that can move now (`deps_met`, `skip`, `condition_failed`),
 * in a cascade's order; the input is not modified. A skip's or failure's reason is the move's.
 */
export function advanceSteps(steps: ReadonlyArray<AdvanceStep>, ctx: AdvanceContext): StepMove[] {
  const status = new Map(steps.map((s) => [s.name, s.status]))
  // Errors as of this call: a `when` later in a cascade sees the ones decided earlier in it.
  const errors = new Map(steps.map((s) => [s.name, s.errorMessage]))
  const changes: StepMove[] = []
  let moved = true
  while (moved) {
    moved = false
    for (const step of steps) {
      if (status.get(step.name) !== 'pending') continue
      const change = decide(step, steps, { status, errors }, ctx)
      if (!change) continue
      status.set(step.name, change.to)
      errors.set(step.name, errorOf(change) ?? errors.get(step.name) ?? null)
      changes.push(change)
      moved = true
    }
  }
  return changes
}

/** Statuses and errors of every step as this call has moved them so far. */
interface CallState {
  readonly status: ReadonlyMap<string, StepStatus>
  readonly errors: ReadonlyMap<string, string | null>
}

function decide(
  step: AdvanceStep,
  steps: ReadonlyArray<AdvanceStep>,
  state: CallState,
  ctx: AdvanceContext,
): StepMove | null {
  const { status } = state
  const deps = step.dependsOn.map((name) => ({ name, status: status.get(name) ?? 'pending' }))
  const decision = decidePendingStep(
    {
      dependsOn: step.dependsOn,
      continueOnFailure: step.continueOnFailure,
      hasWhen: step.when !== null,
    },
    deps,
  )
  switch (decision.kind) {
    case 'wait':
      return null
    case 'skip':
      return moveStep(step, 'skip', decision.reason)
    case 'ready':
      return moveStep(step, 'deps_met')
    case 'evaluate_when':
      return evaluateWhen(step, steps, state, ctx)
  }
}

function evaluateWhen(
  step: AdvanceStep,
  steps: ReadonlyArray<AdvanceStep>,
  state: CallState,
  ctx: AdvanceContext,
): StepMove {
  try {
    const run = evaluateCondition(step.when!, whenContext(steps, state, ctx), {
      clock: { now: () => ctx.now },
    })
    return run
      ? moveStep(step, 'deps_met')
      : moveStep(step, 'skip', `condition is false: ${step.when}`)
  } catch (e) {
    return moveStep(step, 'condition_failed', `when condition failed: ${(e as Error).message}`)
  }
}

/** A step as a condition sees it (its name, where it stands, what it produced). */
export interface SettledView {
  readonly name: string
  readonly status: StepStatus
  readonly output: unknown
  readonly errorMessage: string | null
  /** Loop instances are left out: their loop step's aggregated output stands for them. */
  readonly loopSource?: string | null
}

/**
 * What `when`, `for_each`, an approval's message and a sub-task's input see (WORKSPACE-FORMAT.md
 * §8.2): input, secret, and each settled step: completed {output}, skipped or suspended
 * {output: null}, failed or cancelled {output: null, error}.
 */
export function conditionContext(
  steps: ReadonlyArray<SettledView>,
  input: Readonly<Record<string, unknown>>,
  secret: Readonly<Record<string, unknown>>,
): Record<string, unknown> {
  const out: Record<string, unknown> = { input, secret }
  for (const s of steps) {
    if (s.loopSource) continue
    const key = templateStepName(s.name)
    if (s.status === 'completed') out[key] = { output: s.output ?? null }
    else if (s.status === 'skipped' || s.status === 'suspended') out[key] = { output: null }
    else if (s.status === 'failed' || s.status === 'cancelled')
      out[key] = { output: null, error: s.errorMessage }
  }
  return out
}

function whenContext(
  steps: ReadonlyArray<AdvanceStep>,
  state: CallState,
  ctx: AdvanceContext,
): Record<string, unknown> {
  const views = steps.map((s) => ({
    name: s.name,
    status: state.status.get(s.name) ?? s.status,
    output: s.output,
    errorMessage: state.errors.get(s.name) ?? null,
    loopSource: s.loopSource,
  }))
  return conditionContext(views, ctx.input, ctx.secret)
}
