/**
 * Approval gates (`type: approval`, STROEM-REFERENCE.md §7.7): a ready approval step waits,
 * `suspended`, with its rendered message, until a person approves (with the fields the action's
 * `input` schema asks for) or rejects it, or its timeout passes. Pure.
 */
import { splitUtf8 } from '../shared/utf8.ts'
import { formatInputIssues, validateInput, type InputIssue } from '../workspace/input-schema.ts'
import type { StepRun } from './job.ts'
import type { StepEventType } from './state-machine.ts'

/** Longest rejection reason kept, in UTF-8 bytes. */
export const MAX_REJECTION_BYTES = 4096

export const APPROVAL_TIMED_OUT = 'approval timed out'

export interface ApprovalRequest {
  readonly approved: boolean
  readonly input?: Readonly<Record<string, unknown>> | null
  readonly rejectionReason?: string | null
  /** Who decided: the authenticated user, or `anonymous` without auth. */
  readonly actor: string
  readonly at: Date
}

export type ApprovalDecision =
  | {
      readonly ok: true
      readonly event: Extract<StepEventType, 'approve' | 'reject'>
      readonly output: Record<string, unknown>
      readonly reason: string | null
    }
  | { readonly ok: false; readonly message: string; readonly issues: ReadonlyArray<InputIssue> }

/** The message a suspended step showed (its output holds it from the moment it suspended). */
export function approvalMessage(step: Pick<StepRun, 'output'>): string {
  const out = step.output as { approval_message?: unknown } | null
  return typeof out?.approval_message === 'string' ? out.approval_message : ''
}

/** At most `maxBytes` UTF-8 bytes of `text`, cut between characters. */
function truncateUtf8(text: string, maxBytes: number): string {
  return splitUtf8(text, maxBytes)[0] ?? ''
}

/**
 * An approver's decision on a suspended step: `approve` with the output
 * `{approval_message, approved, approved_by, approved_at, input}` (fields checked against the
 * action's input schema, every problem named), or `reject` with the reason as the step's error.
 */
export function decideApproval(step: StepRun, req: ApprovalRequest): ApprovalDecision {
  const base = {
    approval_message: approvalMessage(step),
    approved: req.approved,
    approved_by: req.actor,
    approved_at: req.at.toISOString(),
  }
  if (!req.approved) {
    const reason = truncateUtf8(
      req.rejectionReason?.trim() || 'Approval rejected',
      MAX_REJECTION_BYTES,
    )
    return { ok: true, event: 'reject', output: { ...base, rejection_reason: reason }, reason }
  }
  const schema = step.spec.action.input
  const checked = validateInput(schema, schema.length > 0, req.input ?? {})
  if (!checked.ok)
    return { ok: false, message: formatInputIssues(checked.issues), issues: checked.issues }
  return { ok: true, event: 'approve', output: { ...base, input: checked.value }, reason: null }
}
