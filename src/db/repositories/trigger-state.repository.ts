/** trigger_state rows: the scheduler's persisted view of each cron trigger. */
import { sql, type Kysely } from 'kysely'
import type { DB, TriggerStateRow } from '../schema.ts'

export interface TriggerFireRecord {
  readonly lastFiredAt: Date | null
  readonly lastJobId: string | null
}

/** The identity and definition of a cron trigger, as stored and as the workspaces define it. */
interface TriggerDefinition {
  readonly workspace: string
  readonly triggerName: string
  readonly cron: string
  readonly timezone: string
  readonly specHash: string
  readonly enabled: boolean
}

/** One cron trigger's persisted schedule. */
export interface TriggerState extends TriggerDefinition {
  readonly nextFireAt: Date | null
  readonly lastFiredAt: Date | null
  readonly lastJobId: string | null
}

/** A trigger as the serving workspaces define it now. */
export interface TriggerSpec extends TriggerDefinition {
  /** The first slot after "now": where a new, changed or re-enabled trigger starts. */
  readonly startAt: Date | null
}

function toTriggerState(r: TriggerStateRow): TriggerState {
  return {
    workspace: r.workspace,
    triggerName: r.trigger_name,
    cron: r.cron,
    timezone: r.timezone,
    specHash: r.spec_hash,
    enabled: r.enabled,
    nextFireAt: r.next_fire_at,
    lastFiredAt: r.last_fired_at,
    lastJobId: r.last_job_id,
  }
}

/** Last fire (time and job) per trigger name of one workspace. */
export async function listTriggerFires(
  db: Kysely<DB>,
  workspace: string,
): Promise<Map<string, TriggerFireRecord>> {
  const rows = await db
    .selectFrom('trigger_state')
    .select(['trigger_name', 'last_fired_at', 'last_job_id'])
    .where('workspace', '=', workspace)
    .execute()
  return new Map(
    rows.map((r) => [r.trigger_name, { lastFiredAt: r.last_fired_at, lastJobId: r.last_job_id }]),
  )
}

/**
 * Brings trigger_state in line with the serving triggers. A row keeps its `next_fire_at` while its
 * spec hash is unchanged and it stays enabled; a new, changed or re-enabled trigger starts at
 * `startAt` (WORKSPACE-FORMAT.md §6.3: "starts from now"), so slots missed while it was absent,
 * different or disabled never fire. Rows of triggers no longer defined are disabled, except in
 * `keepWorkspaces` (configured but without a loaded version: their state waits for a good load).
 * Two statements whatever the number of triggers. Safe with two leaders: an unchanged row is not
 * written, and a reset is the same on both.
 */
export async function syncTriggerStates(
  db: Kysely<DB>,
  specs: ReadonlyArray<TriggerSpec>,
  opts: { readonly keepWorkspaces: ReadonlyArray<string>; readonly now: Date },
): Promise<void> {
  if (specs.length > 0) await upsertTriggerStates(db, specs, opts.now)
  const wanted = JSON.stringify(specs.map((s) => [s.workspace, s.triggerName]))
  await db
    .updateTable('trigger_state')
    .set({ enabled: false, updated_at: opts.now })
    .where('enabled', '=', true)
    .where(
      sql<boolean>`(workspace, trigger_name) NOT IN (
        SELECT k->>0, k->>1 FROM jsonb_array_elements(${wanted}::jsonb) AS k)`,
    )
    .$if(opts.keepWorkspaces.length > 0, (q) => q.where('workspace', 'not in', opts.keepWorkspaces))
    .execute()
}

async function upsertTriggerStates(
  db: Kysely<DB>,
  specs: ReadonlyArray<TriggerSpec>,
  now: Date,
): Promise<void> {
  await db
    .insertInto('trigger_state')
    .values(
      specs.map((s) => ({
        workspace: s.workspace,
        trigger_name: s.triggerName,
        cron: s.cron,
        timezone: s.timezone,
        spec_hash: s.specHash,
        enabled: s.enabled,
        next_fire_at: s.startAt,
        updated_at: now,
      })),
    )
    .onConflict((oc) =>
      oc
        .columns(['workspace', 'trigger_name'])
        .doUpdateSet((eb) => ({
          cron: eb.ref('excluded.cron'),
          timezone: eb.ref('excluded.timezone'),
          spec_hash: eb.ref('excluded.spec_hash'),
          enabled: eb.ref('excluded.enabled'),
          next_fire_at: eb
            .case()
            .when(
              eb.and([
                eb('trigger_state.spec_hash', '=', eb.ref('excluded.spec_hash')),
                eb('trigger_state.enabled', '=', true),
              ]),
            )
            .then(eb.ref('trigger_state.next_fire_at'))
            .else(eb.ref('excluded.next_fire_at'))
            .end(),
          updated_at: eb.ref('excluded.updated_at'),
        }))
        .where((eb) =>
          eb.or([
            eb('trigger_state.spec_hash', '<>', eb.ref('excluded.spec_hash')),
            eb('trigger_state.enabled', '<>', eb.ref('excluded.enabled')),
          ]),
        ),
    )
    .execute()
}

/** Every trigger_state row (tests and diagnostics). */
export async function listTriggerStates(db: Kysely<DB>): Promise<TriggerState[]> {
  const rows = await db
    .selectFrom('trigger_state')
    .selectAll()
    .orderBy('workspace')
    .orderBy('trigger_name')
    .execute()
  return rows.map(toTriggerState)
}

/** Enabled triggers whose next slot is due at `now`, oldest slot first. Index: trigger_state_due. */
export async function findDueTriggers(db: Kysely<DB>, now: Date): Promise<TriggerState[]> {
  const rows = await db
    .selectFrom('trigger_state')
    .selectAll()
    .where('enabled', '=', true)
    .where('next_fire_at', '<=', now)
    .orderBy('next_fire_at')
    .execute()
  return rows.map(toTriggerState)
}

/** The earliest slot of an enabled trigger after `now` (when the loop should wake), or null. */
export async function findEarliestFireAfter(db: Kysely<DB>, now: Date): Promise<Date | null> {
  const row = await db
    .selectFrom('trigger_state')
    .select((eb) => eb.fn.min('next_fire_at').as('next'))
    .where('enabled', '=', true)
    .where('next_fire_at', '>', now)
    .executeTakeFirst()
  return row?.next ?? null
}

/**
 * Pending or running jobs of the given triggers (`source_id`s), oldest first per trigger: the
 * overlap policy looks at these. Index: jobs_source.
 */
export async function listActiveTriggerJobs(
  db: Kysely<DB>,
  sourceIds: ReadonlyArray<string>,
): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>()
  if (sourceIds.length === 0) return out
  const rows = await db
    .selectFrom('jobs')
    .select(['id', 'source_id'])
    .where('source_type', '=', 'trigger')
    .where('source_id', 'in', sourceIds)
    .where('status', 'in', ['pending', 'running'])
    .orderBy('created_at')
    .orderBy('id')
    .execute()
  for (const r of rows) {
    const list = out.get(r.source_id ?? '') ?? []
    list.push(r.id)
    out.set(r.source_id ?? '', list)
  }
  return out
}

/** Which of these fire keys already created a job. Index: jobs_fire_key. */
export async function findFiredKeys(
  db: Kysely<DB>,
  fireKeys: ReadonlyArray<string>,
): Promise<Set<string>> {
  if (fireKeys.length === 0) return new Set()
  const rows = await db
    .selectFrom('jobs')
    .select('fire_key')
    .where('fire_key', 'in', fireKeys)
    .execute()
  return new Set(rows.map((r) => r.fire_key ?? ''))
}
