import { expect } from 'chai'
import { createServer, request } from 'node:http'
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { WebSocket } from 'ws'
import { createJsonlLogStore } from '../../../src/logs/jsonl-log-store.ts'
import { createLogHub } from '../../../src/logs/log-hub.ts'
import type { LogHub } from '../../../src/logs/log-hub.ts'
import type { NewLogLine } from '../../../src/logs/log-record.ts'
import { createLogSocketServer } from '../../../src/logs/log-socket.ts'
import type { LogSocketDeps, LogSocketServer } from '../../../src/logs/log-socket.ts'
import type { LogStore } from '../../../src/logs/log-store.ts'
import { newJobId } from '../../../src/shared/ids.ts'
import { silentLogger } from '../../../src/shared/logger.ts'
import { waitFor } from '../../helpers/wait-for.ts'

type Job = { status: string; logLastSeq: number | null }

function line(text: string, step = 'build', stream: 'stdout' | 'stderr' = 'stdout'): NewLogLine {
  return { ts: '2026-03-02T10:00:00.000Z', stream, step, line: text }
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i)
}

interface Client {
  readonly ws: WebSocket
  readonly seqs: number[]
  readonly steps: string[]
  readonly messages: string[]
  end: { type: string; job_id: string; status: string; last_seq: number } | undefined
  /** Messages received after the end marker: always 0. */
  afterEnd: number
  readonly closed: Promise<{ code: number; reason: string }>
}

describe('log stream WebSocket', () => {
  let dir: string
  let hub: LogHub
  let store: LogStore
  let jobs: Map<string, Job>
  let http: Server | undefined
  let lss: LogSocketServer | undefined
  let base: string
  const clients: WebSocket[] = []

  async function start(overrides: Partial<LogSocketDeps> = {}): Promise<LogSocketServer> {
    const server = createLogSocketServer({
      hub,
      read: (id, opts) => store.read(id, opts),
      getJob: async (id) => {
        const job = jobs.get(id)
        return job && { ...job }
      },
      knownStep: async (_id, step) => ['build', 'test'].includes(step),
      logger: silentLogger(),
      ...overrides,
    })
    lss = server
    http = createServer((_req, res) => {
      res.writeHead(418, { 'content-type': 'application/json' })
      res.end(JSON.stringify({ routed: 'http' }))
    })
    http.on('upgrade', (req, sock, head) => {
      if (!server.handleUpgrade(req, sock, head)) sock.destroy()
    })
    await new Promise<void>((resolve) => http!.listen(0, '127.0.0.1', resolve))
    base = `127.0.0.1:${(http.address() as AddressInfo).port}`
    return server
  }

  function newJob(status = 'running'): string {
    const id = newJobId()
    jobs.set(id, { status, logLastSeq: null })
    return id
  }

  /** What the engine does at a job's end: final line, log_last_seq, then the hub's end. */
  async function finish(jobId: string, status = 'completed'): Promise<number> {
    const { lastSeq } = await store.append(jobId, [line(`job ${status}`, '_server')])
    jobs.set(jobId, { status, logLastSeq: lastSeq })
    hub.publishEnd(jobId, { status, lastSeq })
    return lastSeq
  }

  async function appendMany(jobId: string, n: number, step = 'build'): Promise<void> {
    for (let i = 0; i < n; i++) await store.append(jobId, [line(`line ${i}`, step)])
  }

  function connect(jobId: string, query = ''): Promise<Client> {
    const ws = new WebSocket(`ws://${base}/api/jobs/${jobId}/logs/stream${query}`)
    clients.push(ws)
    const client: Client = {
      ws,
      seqs: [],
      steps: [],
      messages: [],
      end: undefined,
      afterEnd: 0,
      closed: new Promise((resolve) =>
        ws.on('close', (code, reason) => {
          expect(client.afterEnd, 'messages after the end marker').to.equal(0)
          resolve({ code, reason: reason.toString() })
        }),
      ),
    }
    ws.on('message', (data) => {
      const text = String(data)
      client.messages.push(text)
      const msg = JSON.parse(text)
      if (client.end) client.afterEnd += 1
      if (msg.type === 'end') client.end = msg
      else {
        client.seqs.push(msg.seq)
        client.steps.push(msg.step)
      }
    })
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(client))
      ws.once('error', reject)
    })
  }

  function refused(
    url: string,
  ): Promise<{ status: number; contentType: string; body: Record<string, unknown> }> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(`ws://${base}${url}`)
      ws.on('error', () => undefined)
      ws.on('open', () => reject(new Error('unexpectedly upgraded')))
      ws.on('unexpected-response', (_req, res) => {
        let body = ''
        res.on('data', (c: Buffer) => (body += c.toString()))
        res.on('end', () =>
          resolve({
            status: res.statusCode!,
            contentType: String(res.headers['content-type']),
            body: JSON.parse(body),
          }),
        )
      })
    })
  }

  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'weir-log-socket-'))
    hub = createLogHub()
    store = createJsonlLogStore({ dir, hub })
    jobs = new Map()
  })

  afterEach(async () => {
    for (const ws of clients.splice(0)) ws.terminate()
    await lss?.close()
    await new Promise((resolve) => (http ? http.close(resolve) : resolve(undefined)))
    http = undefined
    lss = undefined
    await store.closeAll()
    await rm(dir, { recursive: true, force: true })
  })

  it('sends the whole log of a finished job, then the end marker, then closes with 1000', async () => {
    await start()
    const jobId = newJob()
    await appendMany(jobId, 5)
    const last = await finish(jobId)
    const c = await connect(jobId)
    expect(await c.closed).to.deep.equal({ code: 1000, reason: 'completed' })
    expect(c.seqs).to.deep.equal(range(1, last))
    expect(c.end).to.deep.equal({ type: 'end', job_id: jobId, status: 'completed', last_seq: 6 })
    const stored = (await store.read(jobId)).lines
    expect(c.messages.slice(0, -1)).to.deep.equal(stored)
  })

  it('forwards live lines and ends when the job does', async () => {
    await start()
    const jobId = newJob()
    await appendMany(jobId, 3)
    const c = await connect(jobId)
    await waitFor(() => c.seqs.length === 3, { what: 'backfill' })
    await appendMany(jobId, 4, 'test')
    await waitFor(() => c.seqs.length === 7, { what: 'live lines' })
    await finish(jobId, 'failed')
    expect(await c.closed).to.deep.equal({ code: 1000, reason: 'failed' })
    expect(c.seqs).to.deep.equal(range(1, 8))
    expect(c.end?.last_seq).to.equal(8)
  })

  it('resumes after after_seq with nothing lost or repeated', async () => {
    await start()
    const jobId = newJob()
    await appendMany(jobId, 10)
    const first = await connect(jobId)
    await waitFor(() => first.seqs.length === 10)
    first.ws.close()
    await first.closed
    await appendMany(jobId, 5)
    const second = await connect(jobId, `?after_seq=${first.seqs.at(-1)}`)
    await appendMany(jobId, 5)
    await finish(jobId)
    await second.closed
    expect([...first.seqs, ...second.seqs]).to.deep.equal(range(1, 21))
    const beyond = await connect(jobId, '?after_seq=21')
    expect(await beyond.closed).to.deep.equal({ code: 1000, reason: 'completed' })
    expect(beyond.seqs).to.deep.equal([])
    expect(beyond.end?.last_seq).to.equal(21)
  })

  it('sends only the lines of the step filter, and still ends', async () => {
    await start()
    const jobId = newJob()
    await store.append(jobId, [line('a'), line('b', 'test'), line('c'), line('s', '_server')])
    const build = await connect(jobId, '?step=build')
    const server = await connect(jobId, '?step=_server')
    await waitFor(() => build.seqs.length === 2 && server.seqs.length === 1)
    await store.append(jobId, [line('d', 'test'), line('e'), line('f', 'test')])
    const last = await finish(jobId)
    expect(await build.closed).to.deep.equal({ code: 1000, reason: 'completed' })
    expect(build.seqs).to.deep.equal([1, 3, 6])
    expect(build.steps).to.deep.equal(['build', 'build', 'build'])
    expect(build.end?.last_seq).to.equal(last)
    await server.closed
    expect(server.seqs).to.deep.equal([4, last])
  })

  it('answers bad requests with an HTTP error body before upgrading', async () => {
    await start()
    const jobId = newJob()
    const unknown = await refused(`/api/jobs/${newJobId()}/logs/stream`)
    expect(unknown.status).to.equal(404)
    expect(unknown.contentType).to.equal('application/json; charset=utf-8')
    expect(unknown.body).to.include({ code: 'not_found' })
    expect(unknown.body.error).to.match(/^job '.+' not found$/)
    const badId = await refused('/api/jobs/not-a-uuid/logs/stream')
    expect(badId).to.deep.include({ status: 400 })
    expect(badId.body).to.deep.equal({ error: "invalid job id 'not-a-uuid'", code: 'bad_request' })
    for (const q of ['after_seq=-1', 'after_seq=1.5', 'after_seq=x']) {
      const bad = await refused(`/api/jobs/${jobId}/logs/stream?${q}`)
      expect(bad.status, q).to.equal(400)
      expect(bad.body).to.include({ code: 'bad_request', field: 'after_seq' })
    }
    const step = await refused(`/api/jobs/${jobId}/logs/stream?step=nope`)
    expect(step.status).to.equal(404)
    expect(step.body).to.deep.equal({
      error: `step 'nope' not found in job '${jobId}'`,
      code: 'not_found',
    })
    expect(lss!.connectionCount()).to.equal(0)
  })

  it('leaves plain GETs to the HTTP app (whose route answers 426) and refuses other upgrades', async () => {
    await start()
    const jobId = newJob()
    // Node emits 'upgrade' only for requests asking to upgrade: a plain GET reaches the request
    // listener, so the app's stream route itself must answer it with 426 upgrade_required.
    const plain = await httpGet(`/api/jobs/${jobId}/logs/stream`, {})
    expect(plain).to.deep.equal({ status: 418, body: { routed: 'http' } })
    const other = await httpGet(`/api/jobs/${jobId}/logs/stream`, {
      connection: 'upgrade',
      upgrade: 'h2c',
    })
    expect(other.status).to.equal(426)
    expect(other.body).to.include({ code: 'upgrade_required' })
    const elsewhere = await httpGet('/api/events', { connection: 'upgrade', upgrade: 'websocket' })
    expect(elsewhere.status).to.equal(0)
  })

  function httpGet(
    url: string,
    headers: Record<string, string>,
  ): Promise<{ status: number; body?: unknown }> {
    return new Promise((resolve) => {
      const req = request(`http://${base}${url}`, { headers })
      req.on('response', (res) => {
        let body = ''
        res.on('data', (c: Buffer) => (body += c.toString()))
        res.on('end', () => resolve({ status: res.statusCode!, body: JSON.parse(body) }))
      })
      req.on('upgrade', () => resolve({ status: 101 }))
      req.on('error', () => resolve({ status: 0 }))
      req.end()
    })
  }

  it('does not lose or repeat a line appended between subscribing and reading, or after reading', async () => {
    let injected = 0
    const jobId = newJob()
    await start({
      read: async (id, opts) => {
        if (injected++ > 0) return store.read(id, opts)
        await store.append(id, [line('between subscribe and read')])
        const res = await store.read(id, opts)
        await store.append(id, [line('after the read')])
        return res
      },
    })
    await appendMany(jobId, 3)
    const c = await connect(jobId)
    await waitFor(() => c.seqs.length === 5, { what: 'backfill and buffered lines' })
    await finish(jobId)
    await c.closed
    expect(c.seqs).to.deep.equal(range(1, 6))
  })

  it('delivers 1..N exactly once to clients connecting while lines are appended in a tight loop', async () => {
    // A job lookup that yields to IO, as a database query does, lets appends land between the
    // subscription and the read.
    const yieldToIo = () => new Promise((resolve) => setImmediate(resolve))
    await start({
      getJob: async (id) => {
        for (let i = 0; i < 3; i++) await yieldToIo()
        return jobs.get(id) && { ...jobs.get(id)! }
      },
    })
    const jobId = newJob()
    const total = 2000
    let written = 0
    const writer = (async () => {
      for (; written < total; written++) await store.append(jobId, [line(`l${written}`)])
    })()
    const connected: Client[] = []
    for (const at of [1, 200, 700, 1200, 1700]) {
      await waitFor(() => written >= at, { what: `line ${at}` })
      connected.push(await connect(jobId))
    }
    await writer
    const last = await finish(jobId)
    for (const c of connected) {
      expect(await c.closed).to.deep.equal({ code: 1000, reason: 'completed' })
      expect(c.seqs).to.deep.equal(range(1, last))
    }
  })

  it('closes a client that stops reading with 1013 while another receives everything', async function () {
    this.timeout(30_000) // about 40 MB through loopback sockets, to fill the kernel buffers
    await start({ maxQueuedMessages: 50 })
    const jobId = newJob()
    const slow = await connect(jobId)
    ;(slow.ws as any)._socket.pause()
    const fast = await connect(jobId)
    await waitFor(() => hub.subscriberCount(jobId) === 2)
    const big = 'x'.repeat(60_000)
    const total = 700
    // Output arrives from IO (pipe reads, requests): yield to it between appends as it would.
    for (let i = 0; i < total; i++) {
      await store.append(jobId, [line(`${i} ${big}`)])
      await new Promise((resolve) => setImmediate(resolve))
    }
    await waitFor(() => fast.seqs.length === total, { timeoutMs: 20_000, what: 'fast client' })
    await waitFor(() => hub.subscriberCount(jobId) === 1, { what: 'slow client unsubscribed' })
    ;(slow.ws as any)._socket.resume()
    expect((await slow.closed).code).to.equal(1013)
    expect(slow.seqs.length).to.be.lessThan(total)
    expect(slow.seqs).to.deep.equal(range(1, slow.seqs.length))
    await finish(jobId)
    await fast.closed
    expect(fast.seqs).to.deep.equal(range(1, total + 1))
  })

  it('paces a backfill longer than the queue limit instead of closing the client', async () => {
    await start({ maxQueuedMessages: 20 })
    const jobId = newJob()
    await store.append(
      jobId,
      range(1, 500).map((i) => line(`backfill ${i}`)),
    )
    const last = await finish(jobId)
    const c = await connect(jobId)
    expect(await c.closed).to.deep.equal({ code: 1000, reason: 'completed' })
    expect(c.seqs).to.deep.equal(range(1, last))
  })

  it('sends every line in order to 100 subscribers', async function () {
    this.timeout(20_000) // 100 sockets x 1001 messages
    await start()
    const jobId = newJob()
    const many = await Promise.all(Array.from({ length: 100 }, () => connect(jobId)))
    await waitFor(() => hub.subscriberCount(jobId) === 100)
    for (let i = 0; i < 100; i++)
      await store.append(
        jobId,
        range(1, 10).map((k) => line(`${i}.${k}`)),
      )
    const last = await finish(jobId)
    const closes = await Promise.all(many.map((c) => c.closed))
    expect(closes.every((c) => c.code === 1000)).to.equal(true)
    for (const c of many) expect(c.seqs).to.deep.equal(range(1, last))
  })

  it('ends a job that finished between the pre-upgrade check and the subscription', async () => {
    const jobId = newJob()
    await appendMany(jobId, 2)
    let calls = 0
    await start({
      getJob: async (id) => {
        const before = jobs.get(id) && { ...jobs.get(id)! }
        if (calls++ === 0) await finish(id, 'cancelled')
        return before
      },
    })
    const c = await connect(jobId)
    expect(await c.closed).to.deep.equal({ code: 1000, reason: 'cancelled' })
    expect(c.seqs).to.deep.equal([1, 2, 3])
  })

  it('waits for the end of a terminal job whose log_last_seq is not stored yet', async () => {
    await start({ missingEndGraceMs: 60_000 })
    const jobId = newJob('completed')
    await appendMany(jobId, 2)
    const c = await connect(jobId)
    await waitFor(() => c.seqs.length === 2 && hub.subscriberCount(jobId) === 1)
    await finish(jobId)
    expect(await c.closed).to.deep.equal({ code: 1000, reason: 'completed' })
    expect(c.seqs).to.deep.equal([1, 2, 3])
  })

  it('ends at the last stored seq when a terminal job never gets its log end', async () => {
    await start({ missingEndGraceMs: 50 })
    const jobId = newJob('failed')
    await appendMany(jobId, 4)
    const c = await connect(jobId)
    expect(await c.closed).to.deep.equal({ code: 1000, reason: 'failed' })
    expect(c.seqs).to.deep.equal([1, 2, 3, 4])
    expect(c.end).to.include({ status: 'failed', last_seq: 4 })
  })

  it('drops a peer that stops answering pings and keeps one that answers', async () => {
    await start({ pingIntervalMs: 40 })
    const jobId = newJob()
    const silent = await connect(jobId)
    const alive = await connect(jobId)
    let pings = 0
    alive.ws.on('ping', () => pings++)
    ;(silent.ws as any)._socket.pause()
    await waitFor(() => lss!.connectionCount() === 1, { what: 'silent peer dropped' })
    await waitFor(() => pings >= 5, { what: 'pings' })
    expect(alive.ws.readyState).to.equal(WebSocket.OPEN)
    expect(hub.subscriberCount(jobId)).to.equal(1)
  })

  it('closes every stream with 1001 on close() and refuses new ones', async () => {
    await start()
    const jobId = newJob()
    const a = await connect(jobId)
    const b = await connect(jobId, '?step=build')
    await lss!.close()
    expect((await a.closed).code).to.equal(1001)
    expect((await b.closed).code).to.equal(1001)
    expect(hub.subscriberCount(jobId)).to.equal(0)
    const late = await refused(`/api/jobs/${jobId}/logs/stream`)
    expect(late.status).to.equal(503)
    expect(late.body).to.include({ code: 'unavailable' })
  })
})
