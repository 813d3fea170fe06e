import { expect } from 'chai'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { insertLogForward } from '../../../src/db/repositories/log-forward.repository.ts'
import { buildTestApp, execute, waitForJob, type TestApp } from '../../helpers/test-app.ts'
import { onlyOnPostgres } from '../../helpers/test-db.ts'
import { waitFor } from '../../helpers/wait-for.ts'
import { openLogStream, type LogStreamClient } from '../../helpers/ws-client.ts'

const STREAMS = resolve(import.meta.dirname, '../../fixtures/streams')
const TUNING = {
  cluster: {
    heartbeatMs: 200,
    lapseSecs: 1,
    takeoverMs: 200,
    followCheckMs: 200,
    drainPollMs: 300,
  },
}

/** Every line exactly once, seq 1..last in order, then the end marker and close 1000. */
async function expectComplete(
  c: LogStreamClient,
  storedNow: () => Promise<string[]>,
): Promise<void> {
  const { code } = await c.closed
  const stored = await storedNow()
  expect(code).to.equal(1000)
  expect(c.end?.status).to.equal('completed')
  expect(c.afterEnd).to.equal(0)
  const seqs = c.lines.map((l) => l.seq)
  expect(seqs).to.deep.equal(Array.from({ length: seqs.length }, (_, i) => i + 1))
  expect(c.end?.last_seq).to.equal(seqs.length)
  expect(c.lines.map((l) => JSON.stringify(l))).to.deep.equal(stored)
}

describe('logs across replicas (PostgreSQL)', function () {
  this.timeout(40000)
  let a: TestApp | undefined
  let b: TestApp | undefined
  let aBase: string
  let bBase: string
  let dir: string

  before(async function () {
    onlyOnPostgres(this, 'two replicas share one PostgreSQL database')
    this.timeout(60000)
    dir = mkdtempSync(join(tmpdir(), 'weir-replicas-'))
    // A creates jobs but runs nothing; B's embedded worker runs every step.
    a = await buildTestApp({ workspaces: { streams: STREAMS }, worker: false, tuning: TUNING })
    b = await buildTestApp({
      workspaces: { streams: STREAMS },
      shared: { database: a.database, logDir: a.logDir },
      tuning: TUNING,
    })
    aBase = `127.0.0.1:${(await a.app.listen()).port}`
    bBase = `127.0.0.1:${(await b.app.listen()).port}`
  })
  after(async () => {
    await b?.close()
    await a?.close()
    if (dir) rmSync(dir, { recursive: true, force: true })
  })

  async function storedLines(t: TestApp, jobId: string): Promise<string[]> {
    const res = await t.request().get(`/api/jobs/${jobId}/logs`).expect(200)
    return (res.body.logs as string).split('\n').filter((l) => l !== '')
  }

  it('streams a log written by its owner from another replica’s forwards, on both replicas', async () => {
    const marker = join(dir, 'first')
    const id = await execute(a!, 'wait-marker', { marker, count: '40' }, 'streams')
    const onA = await openLogStream(aBase, id)
    const onB = await openLogStream(bBase, id)
    await onA.waitForLine((l) => l.line === 'attempt 1 before 40')
    await onB.waitForLine((l) => l.line === 'attempt 1 before 40')
    writeFileSync(marker, '')
    const job = await waitForJob(a!, id, 15000)
    expect(job.status).to.equal('completed')
    const owner = await a!.database.db
      .selectFrom('jobs')
      .select('log_owner')
      .where('id', '=', id)
      .executeTakeFirstOrThrow()
    const { logs: logsA } = await a!.app.ready
    expect(owner.log_owner).to.equal(logsA.cluster!.replicaId)
    const stored = () => storedLines(a!, id)
    await expectComplete(onA, stored)
    await expectComplete(onB, stored)
    expect((await stored()).filter((l) => l.includes('attempt 1 after'))).to.have.length(40)
    const left = await a!.database.db.selectFrom('log_forward').selectAll().execute()
    expect(left).to.deep.equal([])
  })

  it('hands a lapsed owner’s log to the leader, which drains the forwards waiting for it', async () => {
    const id = await execute(a!, 'quick', undefined, 'streams')
    await waitForJob(a!, id)
    const db = a!.database.db
    // The job is done when its log end (forwarded by B) has been written by A.
    await waitFor(
      async () =>
        (await db.selectFrom('jobs').select('log_last_seq').where('id', '=', id).executeTakeFirst())
          ?.log_last_seq != null,
      { what: 'the log end' },
    )
    // A log whose owner never heartbeats, with a forward waiting for it: as if its owner crashed.
    await db
      .updateTable('jobs')
      .set({ log_owner: 'ghost', log_last_seq: null, status: 'running' })
      .where('id', '=', id)
      .execute()
    const before = (await storedLines(a!, id)).length
    await insertLogForward(db, {
      jobId: id,
      lines: [{ ts: new Date().toISOString(), stream: 'stdout', step: 'one', line: 'late line' }],
      endStatus: null,
      owner: 'ghost',
    })
    const row = await waitFor(
      async () => {
        const r = await db
          .selectFrom('jobs')
          .select('log_owner')
          .where('id', '=', id)
          .executeTakeFirst()
        return r && r.log_owner !== 'ghost' ? r : undefined
      },
      { timeoutMs: 10000, what: 'the takeover' },
    )
    expect(row.log_owner).to.be.a('string')
    await waitFor(
      async () => (await db.selectFrom('log_forward').selectAll().execute()).length === 0,
      {
        timeoutMs: 10000,
        what: 'the forward to drain',
      },
    )
    const after = await storedLines(a!, id)
    expect(after).to.have.length(before + 1)
    expect(JSON.parse(after.at(-1)!)).to.deep.include({ line: 'late line', seq: before + 1 })
  })

  it('forgets an ended log’s owner and masking secrets on both replicas', async () => {
    const marker = join(dir, 'forget')
    const id = await execute(a!, 'wait-marker', { marker, count: '3' }, 'streams')
    const clusterA = (await a!.app.ready).logs.cluster!
    const clusterB = (await b!.app.ready).logs.cluster!
    // B claimed the step: it keeps the job's secrets to mask forwards, and both know the owner.
    await waitFor(() => clusterB.store.scrubberOf(id) !== undefined && clusterB.owners.cached(id), {
      what: 'B to claim the step',
    })
    expect(clusterA.owners.cached(id)).to.equal(clusterA.replicaId)
    expect(clusterB.owners.cached(id)).to.equal(clusterA.replicaId)
    writeFileSync(marker, '')
    expect((await waitForJob(a!, id, 15000)).status).to.equal('completed')
    await waitFor(
      () =>
        clusterA.owners.cached(id) === undefined &&
        clusterB.owners.cached(id) === undefined &&
        clusterB.store.scrubberOf(id) === undefined,
      { what: 'both replicas to forget the ended log' },
    )
    expect(await storedLines(a!, id)).to.have.length.greaterThan(3)
  })

  it('when the owner goes away, the leader takes its log over and sockets still get every line once', async () => {
    const marker = join(dir, 'second')
    const id = await execute(a!, 'wait-marker', { marker, count: '20' }, 'streams')
    const onB = await openLogStream(bBase, id)
    await onB.waitForLine((l) => l.line === 'attempt 1 before 20')
    // The owner stops: its replica row goes, B becomes leader and takes the log.
    await a!.app.stop()
    const { logs: logsB } = await b!.app.ready
    await waitFor(
      async () => {
        const r = await b!.database.db
          .selectFrom('jobs')
          .select('log_owner')
          .where('id', '=', id)
          .executeTakeFirst()
        return r?.log_owner === logsB.cluster!.replicaId
      },
      { timeoutMs: 15000, what: 'B to take the log over' },
    )
    writeFileSync(marker, '')
    const job = await waitForJob(b!, id, 15000)
    expect(job.status).to.equal('completed')
    await expectComplete(onB, () => storedLines(b!, id))
  })
})
