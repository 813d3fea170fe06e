import { expect } from 'chai'
import { randomUUID } from 'node:crypto'
import { createServer, get, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { ApiDeps } from '../../../src/api/api-deps.ts'
import { createApi } from '../../../src/api/create-api.ts'
import { eventRoutes, type EventStreamDeps } from '../../../src/api/routes/events.routes.ts'
import {
  insertEvents,
  latestEventId,
  listEventsAfter,
  oldestEventId,
} from '../../../src/db/repositories/event.repository.ts'
import { withTransaction } from '../../../src/db/transaction.ts'
import { EventSequencer } from '../../../src/engine/event-sequencer.ts'
import type { DomainEvent } from '../../../src/shared/events.ts'
import { silentLogger } from '../../../src/shared/logger.ts'
import { createTestDb, truncateAll, type TestDatabase } from '../../helpers/test-db.ts'

interface Frame {
  id?: number
  event: string
  data: Record<string, unknown>
}

/** A streaming SSE client: collects frames until `until` holds, then disconnects. */
async function collect(
  url: string,
  until: (frames: Frame[]) => boolean,
  headers: Record<string, string> = {},
  onFrame?: (f: Frame) => void,
): Promise<{ frames: Frame[]; response: Response; retry: number | undefined }> {
  const abort = new AbortController()
  const response = await fetch(url, { headers, signal: abort.signal })
  expect(response.status).to.equal(200)
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader()
  const frames: Frame[] = []
  let retry: number | undefined
  let buffer = ''
  const timer = setTimeout(() => abort.abort(), 8000)
  try {
    while (!until(frames)) {
      const { value, done } = await reader.read()
      if (done) break
      buffer += value
      let end: number
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end)
        buffer = buffer.slice(end + 2)
        const f: Partial<Frame> & { raw?: string } = {}
        for (const line of block.split('\n')) {
          const i = line.indexOf(': ')
          const [k, v] = [line.slice(0, i), line.slice(i + 2)]
          if (k === 'retry') retry = Number(v)
          else if (k === 'id') f.id = Number(v)
          else if (k === 'event') f.event = v
          else if (k === 'data') f.data = JSON.parse(v) as Record<string, unknown>
        }
        if (f.event !== undefined) {
          frames.push(f as Frame)
          onFrame?.(f as Frame)
        }
      }
    }
  } finally {
    clearTimeout(timer)
    abort.abort()
    await reader.cancel().catch(() => undefined)
  }
  return { frames, response, retry }
}

function started(jobId: string, task: string): DomainEvent {
  return {
    type: 'job.started',
    data: { job_id: jobId, workspace: 'default', task_name: task, status: 'running' },
  }
}

function finished(jobId: string, task: string): DomainEvent {
  return {
    type: 'job.finished',
    data: {
      job_id: jobId,
      workspace: 'default',
      task_name: task,
      status: 'completed',
      started_at: null,
      completed_at: null,
    },
  }
}

describe('GET /api/events (SSE)', () => {
  let database: TestDatabase
  let sequencer: EventSequencer
  let server: Server
  let base: string
  const listeners = new Set<() => void>()

  async function emit(...events: DomainEvent[]): Promise<void> {
    await withTransaction(database.db, (trx) => insertEvents(trx, events))
    sequencer.kick()
  }

  before(async () => {
    database = await createTestDb()
    sequencer = new EventSequencer({
      db: database.db,
      logger: silentLogger(),
      onStamped: () => {
        for (const l of listeners) l()
      },
    })
    sequencer.start()
    const events: EventStreamDeps = {
      listAfter: (afterId, filters, limit) => listEventsAfter(database.db, afterId, filters, limit),
      oldestId: () => oldestEventId(database.db),
      latestId: () => latestEventId(database.db),
      maxBufferedBytes: 256 * 1024,
      slowClientMs: 300,
      subscribe(listener) {
        listeners.add(listener)
        return () => listeners.delete(listener)
      },
    }
    const deps = { logger: silentLogger() } as unknown as ApiDeps
    const { app } = createApi(deps, [(r, d) => eventRoutes(r, d, events)])
    const handle = app.callback()
    server = createServer((req, res) => void handle(req, res))
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  })
  after(async () => {
    server.closeAllConnections()
    await new Promise((r) => server.close(r))
    await sequencer.stop()
    await database.close()
  })
  beforeEach(async () => {
    await truncateAll(database)
  })

  it('sends the headers, retry and a ping, then live events with ids and ts', async () => {
    const job = randomUUID()
    await emit(started(job, 'before-connect'))
    await sequencer.stampNow()
    let sent = false
    const { frames, response, retry } = await collect(
      `${base}/api/events`,
      (f) => f.length >= 3,
      {},
      (f) => {
        if (f.event === 'ping' && !sent) {
          sent = true
          void emit(started(job, 'live'), finished(job, 'live'))
        }
      },
    )
    expect(response.headers.get('content-type')).to.equal('text/event-stream')
    expect(response.headers.get('cache-control')).to.equal('no-cache')
    expect(response.headers.get('x-accel-buffering')).to.equal('no')
    expect(retry).to.equal(3000)
    expect(frames[0]).to.deep.equal({ event: 'ping', data: {} })
    expect(frames.slice(1).map((f) => f.event)).to.deep.equal(['job.started', 'job.finished'])
    const [a, b] = [frames[1]!, frames[2]!]
    expect(a.id).to.be.a('number')
    expect(b.id).to.be.greaterThan(a.id!)
    expect(a.data).to.include({ job_id: job, task_name: 'live', status: 'running' })
    expect(new Date(String(a.data.ts)).getTime()).to.not.be.NaN
  })

  it('filters by types and job_id', async () => {
    const [j1, j2] = [randomUUID(), randomUUID()]
    await emit(started(j1, 'a'), finished(j1, 'a'), started(j2, 'b'), finished(j2, 'b'))
    await sequencer.stampNow()
    const from = (await oldestEventId(database.db))! - 1
    const byType = await collect(
      `${base}/api/events?types=job.finished&last_event_id=${from}`,
      (f) => f.length >= 3,
    )
    expect(byType.frames.slice(1).map((f) => f.data.task_name)).to.deep.equal(['a', 'b'])
    expect(byType.frames.slice(1).every((f) => f.event === 'job.finished')).to.equal(true)
    const byJob = await collect(
      `${base}/api/events?job_id=${j2}&last_event_id=${from}`,
      (f) => f.length >= 3,
    )
    expect(byJob.frames.slice(1).map((f) => [f.event, f.data.job_id])).to.deep.equal([
      ['job.started', j2],
      ['job.finished', j2],
    ])
  })

  it('resumes after Last-Event-ID with exactly the missed events, the header winning', async () => {
    const job = randomUUID()
    await emit(started(job, 'e1'), started(job, 'e2'), started(job, 'e3'), started(job, 'e4'))
    await sequencer.stampNow()
    const all = await listEventsAfter(database.db, 0, {}, 100)
    const seen = all[1]!.id
    const { frames } = await collect(`${base}/api/events?last_event_id=0`, (f) => f.length >= 3, {
      'Last-Event-ID': String(seen),
    })
    expect(frames.slice(1).map((f) => [f.id, f.data.task_name])).to.deep.equal([
      [all[2]!.id, 'e3'],
      [all[3]!.id, 'e4'],
    ])
  })

  it('starts with resync when the resume point is older than retention', async () => {
    const job = randomUUID()
    await emit(started(job, 'r1'), started(job, 'r2'), started(job, 'r3'))
    await sequencer.stampNow()
    const all = await listEventsAfter(database.db, 0, {}, 100)
    await database.db.deleteFrom('job_events').where('id', '=', String(all[0]!.id)).execute()
    const { frames } = await collect(`${base}/api/events`, (f) => f.length >= 4, {
      'Last-Event-ID': String(all[0]!.id - 1),
    })
    expect(frames[1]).to.deep.equal({ event: 'resync', data: { oldest_id: all[1]!.id } })
    expect(frames.slice(2).map((f) => f.data.task_name)).to.deep.equal(['r2', 'r3'])
  })

  it('rejects a non-integer Last-Event-ID and unknown types with a JSON 400', async () => {
    const res = await fetch(`${base}/api/events`, { headers: { 'Last-Event-ID': 'abc' } })
    expect(res.status).to.equal(400)
    const body = (await res.json()) as Record<string, unknown>
    expect(body).to.include({ code: 'bad_request', field: 'Last-Event-ID' })
    expect(body.error).to.be.a('string')
    const q = await fetch(`${base}/api/events?last_event_id=1.5`)
    expect(q.status).to.equal(400)
    expect(await q.json()).to.include({ field: 'last_event_id' })
    const t = await fetch(`${base}/api/events?types=job.nope`)
    expect(t.status).to.equal(400)
    expect(await t.json()).to.include({ field: 'types' })
  })

  it('unsubscribes when the client disconnects', async () => {
    await collect(`${base}/api/events`, (f) => f.length >= 1)
    await new Promise((r) => setTimeout(r, 100))
    expect(listeners.size).to.equal(0)
  })

  it('ends the stream of a client that stops reading', async () => {
    const job = randomUUID()
    const big = 'x'.repeat(4096)
    for (let i = 0; i < 6; i++) {
      await emit(...Array.from({ length: 500 }, () => started(job, big)))
    }
    await sequencer.stampNow()
    const from = (await oldestEventId(database.db))! - 1
    const req = get(`${base}/api/events?last_event_id=${from}`, (res) => res.pause())
    req.on('error', () => undefined)
    try {
      await new Promise((r) => setTimeout(r, 100))
      const deadline = Date.now() + 5000
      while (listeners.size > 0 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 20))
      }
      expect(listeners.size).to.equal(0)
    } finally {
      req.destroy()
    }
  })
})
