/**
 * The worker capability a step needs, from its action type and runner: the rule the claim
 * statement applies in SQL (db/queries/claim-ready-steps.ts), here for explaining a wait.
 */

/** `server`: no worker runs it; the server does (sub-tasks, approvals). */
export type RequiredCapability = 'script' | 'docker' | 'kubernetes' | 'server'

export function requiredCapability(actionType: string, runner: string): RequiredCapability {
  if (actionType === 'task' || actionType === 'approval') return 'server'
  if (runner === 'docker' || actionType === 'docker') return 'docker'
  if (runner === 'pod' || actionType === 'pod' || actionType === 'kubernetes') return 'kubernetes'
  return 'script'
}
