/**
 * The step state machine of API.md §2.2 and the dependency rules of WORKSPACE-FORMAT.md §5.4, as
 * pure functions. Callers persist the result; an illegal transition changes nothing.
 */
import { assertNever } from '../shared/errors.ts'
import { isTerminalStepStatus, type StepStatus } from '../shared/statuses.ts'

export type StepEvent =
  | { type: 'deps_settled'; decision: 'ready' | 'skipped' }
  | { type: 'when_failed'; error: string }
  | { type: 'claimed' }
  | { type: 'succeeded' }
  | { type: 'failed'; error: string; retry: boolean }
  | { type: 'cancel' }
  | { type: 'cancelled' }

export type TransitionResult = { ok: true; to: StepStatus } | { ok: false; error: string }

function allow(to: StepStatus): TransitionResult {
  return { ok: true, to }
}

function refuse(from: StepStatus, event: StepEvent): TransitionResult {
  return { ok: false, error: `illegal step transition: '${event.type}' in status '${from}'` }
}

/**
 * Applies one event to a step status. `cancel` on a running step is legal but keeps it running:
 * only the worker's acknowledgement (or the loss of its lease) ends it, as the `cancelled` event.
 */
export function transitionStep(from: StepStatus, event: StepEvent): TransitionResult {
  switch (event.type) {
    case 'deps_settled':
      return from === 'pending' ? allow(event.decision) : refuse(from, event)
    case 'when_failed':
      return from === 'pending' ? allow('failed') : refuse(from, event)
    case 'claimed':
      return from === 'ready' ? allow('running') : refuse(from, event)
    case 'succeeded':
      return from === 'running' ? allow('completed') : refuse(from, event)
    case 'failed':
      if (from !== 'running') return refuse(from, event)
      return allow(event.retry ? 'ready' : 'failed')
    case 'cancel':
      if (from === 'pending' || from === 'ready') return allow('cancelled')
      return from === 'running' ? allow('running') : refuse(from, event)
    case 'cancelled':
      return from === 'running' ? allow('cancelled') : refuse(from, event)
    default:
      return assertNever(event, 'step event')
  }
}

/** Status of a step row at job creation: root steps without `when` start ready, others pending. */
export function initialStepStatus(step: {
  readonly dependsOn: ReadonlyArray<string>
  readonly hasWhen: boolean
}): 'ready' | 'pending' {
  return step.dependsOn.length === 0 && !step.hasWhen ? 'ready' : 'pending'
}

export interface DepState {
  readonly name: string
  readonly status: StepStatus
}

export type SettleDecision =
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
): SettleDecision {
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
