import { expect } from 'chai'
import { resolve } from 'node:path'
import {
  buildTestApp,
  EXAMPLE_WORKSPACE,
  execute,
  waitForJob,
  type TestApp,
} from '../../helpers/test-app.ts'
import { connectSse, type SseClient, type SseEvent } from '../../helpers/sse-client.ts'
import { waitFor } from '../../helpers/wait-for.ts'

const STREAMS = resolve(import.meta.dirname, '../../fixtures/streams')

/** The keys of each event's `data` (API.md §8), `ts` included. */
const PAYLOAD_KEYS: Record<string, string[]> = {
  'job.created': ['job_id', 'workspace', 'task_name', 'status', 'source_type', 'source_id'],
  'job.started': ['job_id', 'workspace', 'task_name', 'status'],
  'job.cancel_requested': ['job_id', 'workspace', 'task_name', 'status'],
  'job.finished': ['job_id', 'workspace', 'task_name', 'status', 'started_at', 'completed_at'],
  'step.started': ['job_id', 'workspace', 'task_name', 'step_name', 'attempt', 'worker_id'],
  'step.finished': [
    'job_id',
    'workspace',
    'task_name',
    'step_name',
    'attempt',
    'status',
    'error_message',
  ],
}

describe('GET /api/events (SSE)', function () {
  this.timeout(30000)
  let t: TestApp
  let closed = false
  let base: string
  const clients: SseClient[] = []

  async function open(query = '', headers: Record<string, string> = {}): Promise<SseClient> {
    const c = await connectSse(`${base}/api/events${query}`, headers)
    clients.push(c)
    return c
  }

  /** Every stored event id of a job, in order, straight from the table. */
  async function storedIds(jobId?: string): Promise<number[]> {
    let q = t.database.db.selectFrom('job_events').select('id')
    if (jobId) q = q.where('job_id', '=', jobId)
    return (await q.orderBy('id').execute()).map((r) => Number(r.id))
  }

  const finishedOf = (jobId: string) => (e: SseEvent) =>
    e.event === 'job.finished' && e.data.job_id === jobId

  before(async function () {
    this.timeout(60000)
    t = await buildTestApp({
      workspaces: { default: EXAMPLE_WORKSPACE, streams: STREAMS },
      tuning: { ssePingMs: 200 },
    })
    const addr = await t.app.listen()
    base = `http://127.0.0.1:${addr.port}`
  })
  afterEach(() => {
    for (const c of clients.splice(0)) c.close()
  })
  after(async () => {
    if (!closed) await t?.close()
  })

  it('sends the SSE headers, retry 3000, then a ping, and pings again', async () => {
    const c = await open()
    expect(c.status).to.equal(200)
    expect(c.headers['content-type']).to.equal('text/event-stream')
    expect(c.headers['cache-control']).to.equal('no-cache')
    expect(c.headers['connection']).to.equal('keep-alive')
    expect(c.headers['x-accel-buffering']).to.equal('no')
    await waitFor(() => c.events.filter((e) => e.event === 'ping').length >= 2, {
      what: 'two pings',
    })
    expect(c.retry).to.equal(3000)
    expect(c.events[0]).to.deep.equal({ id: undefined, event: 'ping', data: {} })
  })

  it('streams a job live, in commit order, with the documented payloads', async () => {
    const c = await open()
    await waitFor(() => c.events.length > 0, { what: 'the first ping' })
    const id = await execute(t, 'hello-world', { name: 'SSE' })
    await waitFor(() => c.real().some(finishedOf(id)), { what: 'job.finished' })
    const mine = c.real().filter((e) => e.data.job_id === id)
    expect(mine.map((e) => e.event)).to.deep.equal([
      'job.created',
      'job.started',
      'step.started',
      'step.finished',
      'step.started',
      'step.finished',
      'job.finished',
    ])
    expect(mine.map((e) => e.id)).to.deep.equal(await storedIds(id))
    for (const e of mine) {
      expect(Object.keys(e.data).sort(), e.event).to.deep.equal(
        [...PAYLOAD_KEYS[e.event]!, 'ts'].sort(),
      )
      expect(e.data.ts).to.match(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/)
    }
    expect(mine[0]!.data).to.deep.include({
      workspace: 'default',
      task_name: 'hello-world',
      status: 'pending',
      source_type: 'api',
    })
    expect(mine.at(-1)!.data.status).to.equal('completed')
    const ids = c.real().map((e) => e.id!)
    expect(ids).to.deep.equal([...ids].sort((a, b) => a - b))
  })

  it('reports skipped steps as step.finished, before job.finished', async () => {
    const c = await open(`?types=step.finished,job.finished`)
    await waitFor(() => c.events.length > 0, { what: 'the first ping' })
    const id = await execute(t, 'quick', undefined, 'streams')
    await waitFor(() => c.real().some(finishedOf(id)), { what: 'job.finished' })
    const steps = c.real().map((e) => [e.event, e.data.step_name ?? null, e.data.status])
    expect(steps).to.have.deep.members([
      ['step.finished', 'one', 'completed'],
      ['step.finished', 'skipped', 'skipped'],
      ['step.finished', 'two', 'completed'],
      ['job.finished', null, 'completed'],
    ])
    expect(steps.at(-1)![0]).to.equal('job.finished')
  })

  it('applies the workspace, job_id and types filters', async () => {
    const byType = await open('?types=job.created,job.finished')
    const byWs = await open('?workspace=streams')
    const other = await open('?workspace=nope')
    const before = (await storedIds()).at(-1) ?? 0
    const a = await execute(t, 'hello-world')
    // Job a may finish before this stream is open: resume from before it was created.
    const byJob = await open(`?job_id=${a}&types=job.finished`, { 'Last-Event-ID': String(before) })
    const b = await execute(t, 'quick', undefined, 'streams')
    await waitForJob(t, a)
    await waitForJob(t, b)
    await waitFor(() => byType.real().filter((e) => e.event === 'job.finished').length >= 2, {
      what: 'two job.finished',
    })
    expect(byType.real().map((e) => e.event)).to.have.members([
      'job.created',
      'job.created',
      'job.finished',
      'job.finished',
    ])
    await waitFor(() => byWs.real().some(finishedOf(b)), { what: 'job b finished' })
    expect(new Set(byWs.real().map((e) => e.data.job_id))).to.deep.equal(new Set([b]))
    await waitFor(() => byJob.real().length === 1, { what: 'job a finished' })
    expect(byJob.real()[0]!.data.job_id).to.equal(a)
    expect(other.real()).to.deep.equal([])
  })

  it('resumes after Last-Event-ID: nothing repeated, nothing missed, even while disconnected', async () => {
    const first = await open()
    await waitFor(() => first.events.length > 0, { what: 'the first ping' })
    const a = await execute(t, 'hello-world')
    await waitFor(() => first.real().some(finishedOf(a)), { what: 'job a finished' })
    const seen = first.real()
    const resumeAt = seen[2]!.id!
    first.close()
    // Committed while nobody listens.
    const b = await execute(t, 'quick', undefined, 'streams')
    await waitForJob(t, b)
    const again = await open('', { 'Last-Event-ID': String(resumeAt) })
    // Committed during the replay→live switch.
    const c = await execute(t, 'quick', undefined, 'streams')
    await waitFor(() => again.real().some(finishedOf(c)), { what: 'job c finished' })
    const expected = (await storedIds()).filter((id) => id > resumeAt)
    expect(again.real().map((e) => e.id)).to.deep.equal(expected)
  })

  it('keeps each stream gap-free and duplicate-free while jobs commit during its connect', async () => {
    const all0 = await storedIds()
    const start = all0.at(-1) ?? 0
    const running = Promise.all(
      Array.from({ length: 6 }, () => execute(t, 'quick', undefined, 'streams')),
    )
    const live = await open()
    const fromStart = await open('', { 'Last-Event-ID': String(start) })
    const fromZero = await open('', { 'Last-Event-ID': '0' })
    for (const id of await running) await waitForJob(t, id)
    const all = await storedIds()
    const last = all.at(-1)!
    for (const c of [live, fromStart, fromZero])
      await waitFor(() => c.real().at(-1)?.id === last, { what: 'the last event' })
    expect(fromStart.real().map((e) => e.id)).to.deep.equal(all.filter((id) => id > start))
    expect(fromZero.real().map((e) => e.id)).to.deep.equal(all)
    const liveIds = live.real().map((e) => e.id!)
    expect(liveIds).to.deep.equal(all.filter((id) => id >= liveIds[0]!))
  })

  it('takes last_event_id from the query when no header is sent; the header wins', async () => {
    const a = await execute(t, 'quick', undefined, 'streams')
    await waitForJob(t, a)
    const ids = await storedIds(a)
    const last = ids.at(-1)!
    const q = await open(`?last_event_id=${ids[0]}&job_id=${a}`)
    await q.waitForCount(ids.length - 1)
    expect(q.real().map((e) => e.id)).to.deep.equal(ids.slice(1))
    const both = await open(`?last_event_id=0&job_id=${a}`, { 'Last-Event-ID': String(ids[1]) })
    await both.waitForCount(ids.length - 2)
    expect(both.real().map((e) => e.id)).to.deep.equal(ids.slice(2))
    expect(both.real().at(-1)!.id).to.equal(last)
  })

  it('answers 400 to a bad Last-Event-ID, last_event_id, job_id or type', async () => {
    const bad = await t.request().get('/api/events').set('Last-Event-ID', 'abc').expect(400)
    expect(bad.body).to.deep.equal({
      error: "Last-Event-ID must be a non-negative integer, got 'abc'",
      code: 'bad_request',
      field: 'Last-Event-ID',
    })
    const neg = await t.request().get('/api/events?last_event_id=-3').expect(400)
    expect(neg.body.field).to.equal('last_event_id')
    const job = await t.request().get('/api/events?job_id=nope').expect(400)
    expect(job.body).to.deep.equal({
      error: "invalid job id 'nope'",
      code: 'bad_request',
      field: 'job_id',
    })
    const types = await t.request().get('/api/events?types=job.created,job.exploded').expect(400)
    expect(types.body.code).to.equal('bad_request')
    expect(types.body.field).to.equal('types')
    expect(types.body.error).to.contain("'job.exploded'")
  })

  it('sends resync first when Last-Event-ID is older than retention, then replays what is left', async () => {
    const a = await execute(t, 'quick', undefined, 'streams')
    await waitForJob(t, a)
    const { events } = await t.app.ready
    // 25 hours from now, every event so far is past the 24 h retention.
    const deleted = await events.prune(new Date(Date.now() + 25 * 3600 * 1000))
    expect(deleted).to.be.greaterThan(0)
    expect(await storedIds()).to.deep.equal([])
    const b = await execute(t, 'quick', undefined, 'streams')
    await waitForJob(t, b)
    const left = await storedIds()
    const c = await open('', { 'Last-Event-ID': '1' })
    await c.waitForCount(left.length + 1)
    const [resync, ...rest] = c.real()
    expect(resync!.event).to.equal('resync')
    expect(resync!.id).to.equal(undefined)
    expect(resync!.data.oldest_id).to.equal(left[0])
    expect(rest.map((e) => e.id)).to.deep.equal(left)
  })

  it('ends open streams when the server stops', async () => {
    const c = await open()
    await waitFor(() => c.events.length > 0, { what: 'the first ping' })
    closed = true
    await t.close()
    await c.ended
  })
})
