/** What the scheduler logs about slots: each slot's outcome, and each catch-up decision (§6.3). */
import { assertNever } from '../shared/errors.ts'
import type { FirePlan } from './fire-plan.ts'
import type { SchedulerContext, Target } from './scheduler-deps.ts'

/**
 * What became of one slot: `advanced` moved the schedule only (catch-up skipped every due slot),
 * `already` found its job made, `lost` found its fence moved by another scheduler, `failed` hit an
 * error and stays due for a later pass.
 */
export type SlotOutcome = 'fired' | 'skipped' | 'already' | 'advanced' | 'lost' | 'failed'

/** Logs one slot's outcome (`failed` slots are logged where the error is caught). */
export function logSlot(
  ctx: SchedulerContext,
  slot: { readonly target: Target; readonly at: Date | null },
  s: {
    readonly outcome: SlotOutcome
    readonly reason?: string
    readonly cancelled?: ReadonlyArray<string>
  },
  jobId: string,
): void {
  const fields = {
    workspace: slot.target.workspace.name,
    trigger: slot.target.trigger.name,
    scheduledFor: slot.at?.toISOString() ?? null,
  }
  switch (s.outcome) {
    case 'fired':
      for (const id of s.cancelled ?? [])
        ctx.log.info(
          { ...fields, jobId: id },
          'cancelled the previous job (concurrency: cancel_previous)',
        )
      return ctx.log.info({ ...fields, jobId }, 'trigger fired')
    case 'skipped':
      return s.reason === 'previous_job_active'
        ? ctx.log.info(fields, 'trigger skipped: a previous job is still active')
        : ctx.log.warn({ ...fields, reason: s.reason }, 'trigger not fired')
    case 'already':
      return ctx.log.info(fields, 'slot already fired; advanced')
    case 'advanced':
    case 'lost':
    case 'failed':
      return ctx.log.debug({ ...fields, outcome: s.outcome }, 'slot not fired')
    default:
      return assertNever(s.outcome, 'slot outcome')
  }
}

/** Logs a catch-up decision: which missed slots fire and which are skipped (§6.3). */
export function logCatchUp(
  ctx: SchedulerContext,
  names: { readonly workspace: string; readonly trigger: string },
  plan: FirePlan,
): void {
  const fields = {
    ...names,
    policy: plan.policy,
    fire: plan.fire.map((d) => d.toISOString()),
    skipped: plan.skipped.map((d) => d.toISOString()),
    olderSkippedNotListed: plan.skippedTruncated,
  }
  const older = plan.skippedTruncated ? ' and older ones' : ''
  const counts = `firing ${plan.fire.length} slot(s), skipping ${plan.skipped.length}${older}`
  ctx.log.info(fields, `catch-up (${plan.policy}): ${counts}`)
}
