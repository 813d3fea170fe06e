/** Step snapshots of the example workspace's jobs, shared by the flow tests. */
import type { StepSnapshot } from '../../../src/flow/job-status.ts'
import type { StepStatus } from '../../../src/shared/statuses.ts'
import type { HookDef, TaskHooks } from '../../../src/workspace/workspace.ts'

export function step(
  name: string,
  status: StepStatus,
  extra: Partial<StepSnapshot> = {},
): StepSnapshot {
  return {
    name,
    status,
    continueOnFailure: false,
    output: null,
    errorMessage: status === 'failed' ? `${name} broke` : null,
    actionName: `${name}-action`,
    dependsOn: [],
    ...extra,
  }
}

export const cof = { continueOnFailure: true }

export const tolerateFailure: StepSnapshot[] = [
  step('optional-probe', 'failed', { ...cof, errorMessage: 'Exit code: 3\nStderr: unreachable' }),
  step('required-probe', 'completed', { output: { status: 'ok' } }),
  step('summarize', 'completed', {
    ...cof,
    dependsOn: ['optional-probe', 'required-probe'],
    output: { degraded: true },
  }),
  step('strict-follow-up', 'skipped', { dependsOn: ['optional-probe'] }),
]

export const crashWithHook: StepSnapshot[] = [
  step('parse', 'failed', { errorMessage: 'Exit code: 1\nStderr: ValueError: three' }),
  step('apply-settings', 'skipped', { dependsOn: ['parse'] }),
]

export function hook(action: string): HookDef {
  return { action, input: {}, at: { file: '.workflows/x.yaml', line: 1, column: 1 } }
}

export function hooks(prefix: string): TaskHooks {
  return {
    onSuccess: [hook(`${prefix}-success`)],
    onError: [hook(`${prefix}-error`)],
    onCancel: [hook(`${prefix}-cancel`)],
    onSuspended: [],
  }
}

export const noHooks: TaskHooks = { onSuccess: [], onError: [], onCancel: [], onSuspended: [] }
