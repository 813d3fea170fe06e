/**
 * Why a ready step is not being claimed, from the workers the server knows (GET /api/jobs/{id}
 * shows it as `waiting_reason`): no connected worker at all, none with the capability the step
 * needs (`docker` for container steps), or none with its tags. Null when some connected worker
 * could take it (it waits for a free slot) or when the step waits out a retry delay. Pure.
 */
import { requiredCapability } from '../flow/step-capability.ts'
import type { StepRun } from '../flow/job.ts'
import type { WorkerRecord } from './worker-record.ts'

const CAPABILITY_HINT: Readonly<Record<string, string>> = {
  docker:
    ': a worker has it when it reaches a Docker Engine (see docker.host, or weir worker --docker-host)',
}

export function waitingReason(
  step: Pick<StepRun, 'status' | 'actionType' | 'runner' | 'readyAt' | 'spec'>,
  workers: ReadonlyArray<Pick<WorkerRecord, 'name' | 'status' | 'capabilities' | 'tags'>>,
  now: Date,
): string | null {
  if (step.status !== 'ready') return null
  if (step.readyAt !== null && step.readyAt > now) return null
  const needs = requiredCapability(step.actionType, step.runner)
  if (needs === 'server') return null
  const active = workers.filter((w) => w.status === 'active')
  if (active.length === 0) return 'waiting for a worker: none is connected'
  const capable = active.filter((w) => w.capabilities.includes(needs))
  if (capable.length === 0) {
    const seen = active.map((w) => `${w.name} (${w.capabilities.join(', ')})`).join(', ')
    return `waiting for a worker with the '${needs}' capability; no connected worker has it: ${seen}${CAPABILITY_HINT[needs] ?? ''}`
  }
  const tags = step.spec.action.tags
  const tagged = capable.filter((w) => tags.every((t) => w.tags.includes(t)))
  if (tagged.length === 0) {
    return `waiting for a worker with the '${needs}' capability and the tags ${tags.join(', ')}; none of the ${capable.length} connected ones that have the capability has them all`
  }
  return null
}
