/** artifacts rows: the files steps left in $ARTIFACTS_DIR (one per job and name; gone with the job). */
import { sql, type Kysely } from 'kysely'
import { lockStepFence, type FenceRefusal, type StepFence } from '../queries/lock-step-fence.ts'
import type { ArtifactRow, DB } from '../schema.ts'
import { withTransaction } from '../transaction.ts'

export interface Artifact {
  readonly id: string
  readonly jobId: string
  readonly stepName: string
  readonly name: string
  readonly contentType: string
  readonly sizeBytes: number
  readonly storageKey: string
  readonly createdAt: Date
}

function toArtifact(r: ArtifactRow): Artifact {
  return {
    id: r.id,
    jobId: r.job_id,
    stepName: r.step_name,
    name: r.name,
    contentType: r.content_type,
    sizeBytes: Number(r.size_bytes),
    storageKey: r.storage_key,
    createdAt: new Date(r.created_at),
  }
}

export type PutArtifactResult =
  | { readonly ok: true; readonly artifact: Artifact; readonly replacedKey: string | null }
  | { readonly ok: false; readonly refusal: FenceRefusal }
  | { readonly ok: false; readonly overJobLimit: number }

/**
 * Records an artifact whose file is already stored, replacing one of the same name (its key is
 * returned for deletion). One short transaction: the job row is locked (no key update), so
 * concurrent writes of one job add up against `maxJobBytes` one at a time; the write lands only
 * while the job is active and the attempt holds its lease.
 */
export async function putArtifact(
  db: Kysely<DB>,
  a: Omit<Artifact, 'createdAt'>,
  fence: StepFence,
  maxJobBytes: number,
): Promise<PutArtifactResult> {
  return withTransaction(db, async (trx) => {
    const refusal = await lockStepFence(trx, fence)
    if (refusal) return { ok: false, refusal }
    const { rows } = await sql<{ others: string | number; replaced: string | null }>`
      SELECT coalesce(sum(size_bytes) FILTER (WHERE name <> ${a.name}), 0) AS others,
        max(storage_key) FILTER (WHERE name = ${a.name}) AS replaced
      FROM artifacts WHERE job_id = ${a.jobId}`.execute(trx)
    const others = Number(rows[0]?.others ?? 0)
    if (others + a.sizeBytes > maxJobBytes) return { ok: false, overJobLimit: others }
    const row = await trx
      .insertInto('artifacts')
      .values({
        id: a.id,
        job_id: a.jobId,
        step_name: a.stepName,
        name: a.name,
        content_type: a.contentType,
        size_bytes: a.sizeBytes,
        storage_key: a.storageKey,
      })
      .onConflict((oc) =>
        oc.columns(['job_id', 'name']).doUpdateSet((eb) => ({
          id: eb.ref('excluded.id'),
          step_name: eb.ref('excluded.step_name'),
          content_type: eb.ref('excluded.content_type'),
          size_bytes: eb.ref('excluded.size_bytes'),
          storage_key: eb.ref('excluded.storage_key'),
          created_at: sql`now()`,
        })),
      )
      .returningAll()
      .executeTakeFirstOrThrow()
    return { ok: true, artifact: toArtifact(row), replacedKey: rows[0]?.replaced ?? null }
  })
}

/** A job's artifacts by name. Index: unique (job_id, name). */
export async function listArtifacts(db: Kysely<DB>, jobId: string): Promise<Artifact[]> {
  const rows = await db
    .selectFrom('artifacts')
    .selectAll()
    .where('job_id', '=', jobId)
    .orderBy('name')
    .execute()
  return rows.map(toArtifact)
}

export async function findArtifact(
  db: Kysely<DB>,
  jobId: string,
  name: string,
): Promise<Artifact | undefined> {
  const row = await db
    .selectFrom('artifacts')
    .selectAll()
    .where('job_id', '=', jobId)
    .where('name', '=', name)
    .executeTakeFirst()
  return row ? toArtifact(row) : undefined
}

/** Removes the artifacts a step stored; returns the keys of their files, to delete after. */
export async function deleteStepArtifacts(
  db: Kysely<DB>,
  jobId: string,
  stepName: string,
): Promise<string[]> {
  const rows = await db
    .deleteFrom('artifacts')
    .where('job_id', '=', jobId)
    .where('step_name', '=', stepName)
    .returning('storage_key')
    .execute()
  return rows.map((r) => r.storage_key)
}
