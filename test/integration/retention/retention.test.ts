import { expect } from 'chai'
import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { Readable } from 'node:stream'
import { sql } from 'kysely'
import { v7 as uuidv7 } from 'uuid'
import { ArtifactStore } from '../../../src/artifacts/artifact-store.ts'
import { LocalBlobStore } from '../../../src/artifacts/local-blob-store.ts'
import { logFilePath } from '../../../src/logs/jsonl-file.ts'
import { JobRetention, type JobFiles } from '../../../src/retention/job-retention.ts'
import { createRetention } from '../../../src/retention/create-retention.ts'
import type { RetentionReport } from '../../../src/retention/retention-policy.ts'
import type { Config } from '../../../src/config/config-schema.ts'
import { loadConfig } from '../../../src/config/load-config.ts'
import { silentLogger } from '../../../src/shared/logger.ts'
import { createTestDb, truncateAll, type TestDatabase } from '../../helpers/test-db.ts'

const NOW = new Date('2026-06-30T12:00:00Z')
const DAY = 86_400_000
const clock = { now: () => NOW, nowMs: () => NOW.getTime() }

interface Seed {
  readonly workspace?: string
  readonly status?: string
  /** Days before NOW the job was created and finished. */
  readonly ageDays: number
  readonly parent?: string
  readonly artifact?: boolean
}

describe('retention', function () {
  this.timeout(30_000)
  let database: TestDatabase
  let dir: string
  let config: Config
  let blobs: LocalBlobStore
  let artifacts: ArtifactStore

  before(async () => {
    database = await createTestDb()
  })
  after(async () => {
    await database.close()
  })
  beforeEach(async () => {
    await truncateAll(database)
    dir = await mkdtemp(path.join(tmpdir(), 'weir-retention-'))
    config = loadConfig({
      env: {
        WEIR__LOG_STORAGE__LOCAL_DIR: path.join(dir, 'logs'),
        WEIR__ARTIFACT_STORAGE__ARCHIVE__PATH: path.join(dir, 'blobs'),
        WEIR__RETENTION__BATCH_SIZE: '2',
      },
      cwd: dir,
    }).config
    blobs = new LocalBlobStore(path.join(dir, 'blobs'))
    await blobs.open(NOW.getTime())
    artifacts = new ArtifactStore({
      db: database.db,
      blobs,
      prefix: 'artifacts/',
      limits: { maxFileBytes: 1 << 20, maxJobBytes: 1 << 20 },
      logger: silentLogger(),
    })
  })
  afterEach(async () => {
    await blobs.close()
    await rm(dir, { recursive: true, force: true })
  })

  const logOf = (id: string) => logFilePath(path.join(dir, 'logs'), id, NOW)

  /** A job with one step, its events, its log file and (optionally) an artifact file. */
  async function seed(s: Seed): Promise<string> {
    const created = new Date(NOW.getTime() - s.ageDays * DAY)
    const id = uuidv7({ msecs: created.getTime() })
    const status = s.status ?? 'completed'
    const done = status === 'running' ? null : created
    await database.db
      .insertInto('jobs')
      .values({
        id,
        workspace: s.workspace ?? 'default',
        task_name: 't',
        status: status as 'completed',
        source_type: 'api',
        input: '{}',
        revision: 'r',
        created_at: created,
        completed_at: done,
        log_last_seq: 1,
        parent_job_id: s.parent ?? null,
      })
      .execute()
    await database.db
      .insertInto('step_runs')
      .values({
        id: uuidv7(),
        job_id: id,
        step_name: 's',
        position: 0,
        action_name: 'a',
        action_type: 'script',
        status: status === 'running' ? 'running' : 'completed',
        spec: '{}',
        depends_on: '[]',
        tags: '[]',
      })
      .execute()
    await sql`INSERT INTO job_events (job_id, workspace, type, payload, at)
              VALUES (${id}, 'default', 'job.finished', '{}'::jsonb, ${created})`.execute(
      database.db,
    )
    const log = logOf(id)
    await mkdir(path.dirname(log), { recursive: true })
    await writeFile(log, '{"seq":1}\n')
    if (s.artifact) {
      const key = `artifacts/${id}/s/report.txt`
      await blobs.write(key, Readable.from([Buffer.from('report')]), { maxBytes: 100 })
      await database.db
        .insertInto('artifacts')
        .values({
          id: uuidv7(),
          job_id: id,
          step_name: 's',
          name: 'report.txt',
          content_type: 'text/plain',
          size_bytes: 6,
          storage_key: key,
        })
        .execute()
    }
    return id
  }

  const jobIds = async () =>
    (await database.db.selectFrom('jobs').select('id').orderBy('id').execute()).map((r) => r.id)
  const count = async (table: 'step_runs' | 'job_events' | 'artifacts') =>
    Number(
      (
        await database.db
          .selectFrom(table)
          .select((eb) => eb.fn.countAll<string>().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    )

  /** Every log file on disk, as job ids. */
  async function logFiles(): Promise<string[]> {
    const out: string[] = []
    const walk = async (d: string): Promise<void> => {
      for (const e of await readdir(d, { withFileTypes: true }).catch(() => [])) {
        const p = path.join(d, e.name)
        if (e.isDirectory()) await walk(p)
        else out.push(e.name.replace(/\.jsonl$/, ''))
      }
    }
    await walk(path.join(dir, 'logs'))
    return out.sort()
  }

  function retention(c: Config = config, onDeleted?: (r: RetentionReport) => void): JobRetention {
    return createRetention({
      config: c,
      database,
      clock,
      logger: silentLogger(),
      logStore: null,
      artifacts,
      onDeleted,
    })
  }

  it('deletes terminal jobs past job_days with their steps, events, log and artifacts', async () => {
    const old = await seed({ ageDays: 40, artifact: true })
    const oldFailed = await seed({ ageDays: 31, status: 'failed' })
    const oldCancelled = await seed({ ageDays: 100, status: 'cancelled' })
    const recent = await seed({ ageDays: 29, artifact: true })
    const stillRunning = await seed({ ageDays: 45, status: 'running' })
    const childOfRunning = await seed({ ageDays: 45, parent: stillRunning })
    const reports: RetentionReport[] = []
    const report = await retention(config, (r) => reports.push(r)).runOnce()
    expect(report).to.deep.equal({ jobs: 3, steps: 3, logFiles: 3, artifactJobs: 1, workers: 0 })
    expect(reports).to.deep.equal([report])
    expect(await jobIds()).to.deep.equal([recent, stillRunning, childOfRunning].sort())
    expect(await logFiles()).to.deep.equal([recent, stillRunning, childOfRunning].sort())
    expect(await count('step_runs')).to.equal(3)
    expect(await count('job_events')).to.equal(3)
    expect(await count('artifacts')).to.equal(1)
    expect(existsSync(path.join(dir, 'blobs', 'artifacts', old))).to.equal(false)
    expect(existsSync(path.join(dir, 'blobs', 'artifacts', recent))).to.equal(true)
    for (const gone of [old, oldFailed, oldCancelled])
      expect(existsSync(logOf(gone))).to.equal(false)
    // Nothing more to do: a second pass deletes nothing.
    expect((await retention().runOnce()).jobs).to.equal(0)
  })

  it('keeps a task state snapshot whose job goes, without the link', async () => {
    const old = await seed({ ageDays: 40 })
    await database.db
      .insertInto('state_snapshots')
      .values({ id: uuidv7(), workspace: 'default', task_name: 't', job_id: old, state: '{"n":1}' })
      .execute()
    await retention().runOnce()
    const rows = await database.db.selectFrom('state_snapshots').selectAll().execute()
    expect(rows.map((r) => [r.job_id, r.state])).to.deep.equal([[null, { n: 1 }]])
  })

  it('applies per-workspace job_days, 0 keeping a workspace forever', async () => {
    const c = loadConfig({
      env: { WEIR__LOG_STORAGE__LOCAL_DIR: path.join(dir, 'logs') },
      cwd: dir,
      flags: {},
      configPath: await writeConfig(
        'retention:\n  job_days: 30\n  workspaces:\n    ci: { job_days: 2 }\n    audit: { job_days: 0 }\n',
      ),
    }).config
    const ciOld = await seed({ workspace: 'ci', ageDays: 3 })
    const ciNew = await seed({ workspace: 'ci', ageDays: 1 })
    const auditAncient = await seed({ workspace: 'audit', ageDays: 1000 })
    const otherOld = await seed({ workspace: 'default', ageDays: 31 })
    const otherMid = await seed({ workspace: 'default', ageDays: 3 })
    const dry = await retention(c).dryRun()
    expect(dry.rules.map((r) => [r.rule.scope, r.jobs, r.steps])).to.deep.equal([
      [{ except: ['audit', 'ci'] }, 1, 1],
      [{ only: 'ci' }, 1, 1],
    ])
    expect(await jobIds()).to.have.length(5)
    await retention(c).runOnce()
    expect(await jobIds()).to.deep.equal([ciNew, auditAncient, otherMid].sort())
    void ciOld
    void otherOld
  })

  async function writeConfig(text: string): Promise<string> {
    const file = path.join(dir, 'server-config.yaml')
    await writeFile(file, text)
    return file
  }

  it('finishes a pass that died after deleting some files: no log without a job, then none left', async () => {
    const ids: string[] = []
    for (let i = 0; i < 5; i++) ids.push(await seed({ ageDays: 40 + i }))
    // A pass that deletes two log files and then dies (the process killed mid-batch).
    let deleted = 0
    const dying: JobFiles = {
      kind: 'logFiles',
      async remove(batch) {
        for (const id of batch) {
          if (deleted === 2) throw new Error('killed')
          await rm(logOf(id))
          deleted++
        }
        return batch.length
      },
    }
    const broken = new JobRetention({
      db: database.db,
      settings: { jobDays: 30, workerHours: 0, workspaces: {} },
      files: [dying],
      clock,
      logger: silentLogger(),
      intervalMs: 3_600_000,
      firstDelayMs: 0,
      batch: 3,
    })
    await broken.runOnce()
    // The rows of the marked jobs are still there: every log file left has its job.
    const rows = await jobIds()
    expect(rows).to.have.length(5)
    for (const id of await logFiles()) expect(rows).to.include(id)
    const marked = await database.db
      .selectFrom('jobs')
      .select('id')
      .where('purge_started_at', 'is not', null)
      .execute()
    expect(marked).to.have.length(3)
    // The next pass finishes the marked batch first, then the rest.
    const report = await retention().runOnce()
    expect(report.jobs).to.equal(5)
    expect(await jobIds()).to.deep.equal([])
    expect(await logFiles()).to.deep.equal([])
  })

  it('deletes workers lost or revoked for longer than worker_hours', async () => {
    const worker = (name: string, status: string, hoursAgo: number) => ({
      id: uuidv7(),
      name,
      kind: 'remote' as const,
      status: status as 'lost',
      tags: '[]',
      capabilities: '[]',
      max_concurrency: 1,
      last_heartbeat: new Date(NOW.getTime() - hoursAgo * 3_600_000),
    })
    await database.db
      .insertInto('workers')
      .values([
        worker('gone', 'lost', 25),
        worker('revoked', 'revoked', 48),
        worker('lately-lost', 'lost', 23),
        worker('idle', 'active', 100),
      ])
      .execute()
    expect((await retention().dryRun()).workers).to.equal(2)
    expect((await retention().runOnce()).workers).to.equal(2)
    const names = await database.db.selectFrom('workers').select('name').orderBy('name').execute()
    expect(names.map((r) => r.name)).to.deep.equal(['idle', 'lately-lost'])
  })
})
