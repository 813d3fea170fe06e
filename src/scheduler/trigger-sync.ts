/**
 * Brings trigger_state in line with the cron triggers of the serving workspaces, and returns
 * them as the targets a pass may fire (a due row without a matching target is left alone).
 */
import { syncTriggerStates, type TriggerSpec } from '../db/repositories/trigger-state.repository.ts'
import { coerceError } from '../shared/errors.ts'
import { nextFireTimes } from './cron.ts'
import { specHashOf } from './fire-plan.ts'
import { targetKey, type SchedulerContext, type Target } from './scheduler-deps.ts'

/**
 * How long synced targets are trusted while no workspace revision changes. A resync after this
 * repairs rows someone else changed (another replica serving a different version, an operator).
 */
export const RESYNC_MS = 60_000

/**
 * The scheduler's view of its targets: synced to trigger_state when a workspace revision changes
 * (or after RESYNC_MS), otherwise reused, so a pass on a quiet registry writes nothing.
 */
export class TriggerSync {
  readonly #ctx: SchedulerContext
  #targets = new Map<string, Target>()
  #fingerprint: string | null = null
  #syncedAtMs = 0

  constructor(ctx: SchedulerContext) {
    this.#ctx = ctx
  }

  /** The serving cron triggers by targetKey, syncing trigger_state first when needed. */
  async targets(now: Date): Promise<ReadonlyMap<string, Target>> {
    const fingerprint = JSON.stringify(
      this.#ctx.d.registry.list().map((e) => [e.name, e.current?.revision ?? null]),
    )
    const age = now.getTime() - this.#syncedAtMs
    if (fingerprint === this.#fingerprint && age >= 0 && age < RESYNC_MS) return this.#targets
    this.#targets = await syncTriggers(this.#ctx, now)
    this.#fingerprint = fingerprint
    this.#syncedAtMs = now.getTime()
    return this.#targets
  }

  /** Forgets the last sync, so the next `targets` call writes trigger_state again. */
  invalidate(): void {
    this.#fingerprint = null
  }
}

/** Rebuilds the trigger targets from the registry and writes them to trigger_state. */
export async function syncTriggers(ctx: SchedulerContext, now: Date): Promise<Map<string, Target>> {
  const targets = new Map<string, Target>()
  const specs: TriggerSpec[] = []
  const keepWorkspaces: string[] = []
  for (const { name, current: workspace } of ctx.d.registry.list()) {
    if (!workspace) keepWorkspaces.push(name)
    for (const t of workspace?.triggers.values() ?? []) {
      if (t.type !== 'scheduler' || t.cron === null || !workspace) continue
      const target: Target = { workspace, trigger: { ...t, cron: t.cron }, specHash: '' }
      const spec = specOf(ctx, target, now)
      if (!spec) continue
      specs.push(spec)
      targets.set(targetKey(name, t.name), { ...target, specHash: spec.specHash })
    }
  }
  await syncTriggerStates(ctx.d.db, specs, { keepWorkspaces, now })
  return targets
}

function specOf(
  ctx: SchedulerContext,
  { workspace, trigger }: Target,
  now: Date,
): TriggerSpec | null {
  const { cron, timezone } = trigger
  try {
    const [startAt] = nextFireTimes(cron, timezone, now, 1)
    const specHash = specHashOf(cron, timezone)
    const names = { workspace: workspace.name, triggerName: trigger.name }
    return {
      ...names,
      cron,
      timezone,
      specHash,
      enabled: trigger.enabled,
      startAt: startAt ?? null,
    }
  } catch (e) {
    // Load-time validation rejects bad crons; this only guards against a library difference.
    const fields = { err: coerceError(e), workspace: workspace.name, trigger: trigger.name }
    ctx.log.error(fields, 'cannot schedule trigger')
    return null
  }
}
