/** trigger_state rows: the scheduler's persisted view of each cron trigger. */
import type { Kysely, Transaction } from 'kysely'
import type { DB, TriggerStateRow } from '../schema.ts'

export interface TriggerFireRecord {
  readonly lastFiredAt: Date | null
  readonly lastJobId: string | null
}

/** One cron trigger's persisted schedule. */
export interface TriggerState {
  readonly workspace: string
  readonly triggerName: string
  readonly cron: string
  readonly timezone: string
  readonly specHash: string
  readonly enabled: boolean
  readonly nextFireAt: Date | null
  readonly lastFiredAt: Date | null
  readonly lastJobId: string | null
}

/** A trigger as the serving workspaces define it now. */
export interface TriggerSpec {
  readonly workspace: string
  readonly triggerName: string
  readonly cron: string
  readonly timezone: string
  readonly specHash: string
  readonly enabled: boolean
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
 * Safe with two leaders: an unchanged row is not written, and a reset is the same on both.
 */
export async function syncTriggerStates(
  db: Kysely<DB>,
  specs: ReadonlyArray<TriggerSpec>,
  opts: { readonly keepWorkspaces: ReadonlyArray<string>; readonly now: Date },
): Promise<void> {
  for (const s of specs) await upsertTriggerState(db, s, opts.now)
  const wanted = new Set(specs.map((s) => keyOf(s.workspace, s.triggerName)))
  const keep = new Set(opts.keepWorkspaces)
  const enabled = await db
    .selectFrom('trigger_state')
    .select(['workspace', 'trigger_name'])
    .where('enabled', '=', true)
    .execute()
  for (const r of enabled) {
    if (keep.has(r.workspace) || wanted.has(keyOf(r.workspace, r.trigger_name))) continue
    await db
      .updateTable('trigger_state')
      .set({ enabled: false, updated_at: opts.now })
      .where('workspace', '=', r.workspace)
      .where('trigger_name', '=', r.trigger_name)
      .execute()
  }
}

async function upsertTriggerState(db: Kysely<DB>, s: TriggerSpec, now: Date): Promise<void> {
  await db
    .insertInto('trigger_state')
    .values({
      workspace: s.workspace,
      trigger_name: s.triggerName,
      cron: s.cron,
      timezone: s.timezone,
      spec_hash: s.specHash,
      enabled: s.enabled,
      next_fire_at: s.startAt,
      updated_at: now,
    })
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

function keyOf(workspace: string, trigger: string): string {
  return JSON.stringify([workspace, trigger])
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

export interface TriggerAdvance {
  readonly workspace: string
  readonly triggerName: string
  readonly specHash: string
  /** The `next_fire_at` this scheduler read: the fence. */
  readonly expectedNextFireAt: Date
  readonly nextFireAt: Date | null
  /** Set when the slot created a job. */
  readonly fired: { readonly at: Date; readonly jobId: string } | null
  readonly now: Date
}

/**
 * Moves a trigger past a slot; false (nothing changed) when another scheduler got there first.
 * Invariant: a slot is acted on by exactly one transaction. The UPDATE is fenced on the
 * `next_fire_at` the caller read (and on the spec hash and `enabled`); it takes the row lock, so a
 * second leader racing for the same slot blocks until the first commits, then re-checks the fence
 * (READ COMMITTED re-evaluates the WHERE on the new row version), matches nothing and must roll
 * back everything it did in that transaction. Index: the primary key.
 */
export async function advanceTrigger(trx: Transaction<DB>, a: TriggerAdvance): Promise<boolean> {
  const result = await trx
    .updateTable('trigger_state')
    .set({
      next_fire_at: a.nextFireAt,
      updated_at: a.now,
      ...(a.fired ? { last_fired_at: a.fired.at, last_job_id: a.fired.jobId } : {}),
    })
    .where('workspace', '=', a.workspace)
    .where('trigger_name', '=', a.triggerName)
    .where('enabled', '=', true)
    .where('spec_hash', '=', a.specHash)
    .where('next_fire_at', '=', a.expectedNextFireAt)
    .executeTakeFirst()
  return Number(result.numUpdatedRows) > 0
}

/** Pending or running jobs a trigger created (its overlap policy looks at these). Index: jobs_source. */
export async function listActiveTriggerJobs(db: Kysely<DB>, sourceId: string): Promise<string[]> {
  const rows = await db
    .selectFrom('jobs')
    .select('id')
    .where('source_type', '=', 'trigger')
    .where('source_id', '=', sourceId)
    .where('status', 'in', ['pending', 'running'])
    .orderBy('created_at')
    .execute()
  return rows.map((r) => r.id)
}

/** The job a fire key already created, if any. Index: jobs_fire_key. */
export async function findJobIdByFireKey(
  db: Kysely<DB>,
  fireKey: string,
): Promise<string | undefined> {
  const row = await db
    .selectFrom('jobs')
    .select('id')
    .where('fire_key', '=', fireKey)
    .executeTakeFirst()
  return row?.id
}
