/**
 * Moves pending steps forward once their dependencies settle (WORKSPACE-FORMAT.md §5.4): skip,
 * evaluate `when`, or make ready, repeated until nothing changes, so cascades resolve in one call.
 */
import { templateStepName } from '../workspace/workspace.ts'
import type { StepStatus } from '../shared/statuses.ts'
import { decidePendingStep } from './step-transitions.ts'
import { evaluateCondition } from '../templates/render.ts'

export interface AdvanceStep {
  readonly name: string
  readonly status: StepStatus
  readonly dependsOn: ReadonlyArray<string>
  readonly continueOnFailure: boolean
  readonly when: string | null
  readonly output: unknown
  readonly errorMessage: string | null
}

export interface AdvanceContext {
  readonly input: Readonly<Record<string, unknown>>
  readonly secret: Readonly<Record<string, unknown>>
}

export interface StepChange {
  readonly name: string
  readonly to: 'ready' | 'skipped' | 'failed'
  /** Why it was skipped, or the `when` error that failed it. */
  readonly reason: string | null
}

/** Decisions for every pending step that can move now; the input is not modified. */
export function advanceSteps(steps: ReadonlyArray<AdvanceStep>, ctx: AdvanceContext): StepChange[] {
  const status = new Map(steps.map((s) => [s.name, s.status]))
  const changes: StepChange[] = []
  let moved = true
  while (moved) {
    moved = false
    for (const step of steps) {
      if (status.get(step.name) !== 'pending') continue
      const change = decide(step, steps, status, ctx)
      if (!change) continue
      status.set(step.name, change.to)
      changes.push(change)
      moved = true
    }
  }
  return changes
}

function decide(
  step: AdvanceStep,
  steps: ReadonlyArray<AdvanceStep>,
  status: ReadonlyMap<string, StepStatus>,
  ctx: AdvanceContext,
): StepChange | null {
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
      return { name: step.name, to: 'skipped', reason: decision.reason }
    case 'ready':
      return { name: step.name, to: 'ready', reason: null }
    case 'evaluate_when':
      return evaluateWhen(step, steps, status, ctx)
  }
}

function evaluateWhen(
  step: AdvanceStep,
  steps: ReadonlyArray<AdvanceStep>,
  status: ReadonlyMap<string, StepStatus>,
  ctx: AdvanceContext,
): StepChange {
  try {
    const run = evaluateCondition(step.when!, whenContext(steps, status, ctx))
    return run
      ? { name: step.name, to: 'ready', reason: null }
      : { name: step.name, to: 'skipped', reason: `condition is false: ${step.when}` }
  } catch (e) {
    return {
      name: step.name,
      to: 'failed',
      reason: `when condition failed: ${(e as Error).message}`,
    }
  }
}

/** `when` sees input, secret and each settled step: {output} / {output: null} / {output: null, error}. */
function whenContext(
  steps: ReadonlyArray<AdvanceStep>,
  status: ReadonlyMap<string, StepStatus>,
  ctx: AdvanceContext,
): Record<string, unknown> {
  const out: Record<string, unknown> = { input: ctx.input, secret: ctx.secret }
  for (const s of steps) {
    const st = status.get(s.name)
    const key = templateStepName(s.name)
    if (st === 'completed') out[key] = { output: s.output ?? null }
    else if (st === 'skipped') out[key] = { output: null }
    else if (st === 'failed' || st === 'cancelled')
      out[key] = { output: null, error: s.errorMessage }
  }
  return out
}
