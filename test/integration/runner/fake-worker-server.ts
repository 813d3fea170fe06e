/**
 * A small in-memory server speaking the remote worker protocol (API.md §11): enough of it to
 * drive `weir worker`'s client through every path, including lost replies, refusals and outages,
 * without a database. Lease rules follow §11.4: token chain with seq, replay of the last call,
 * 409 lease_expired / lease_token_used / conflict, 404 for an unknown step.
 */
import { randomBytes, randomUUID } from 'node:crypto'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

export interface FakeLease {
  readonly jobId: string
  readonly stepName: string
  readonly attempt: number
  token: string
  prevToken: string | null
  seq: number
  lastReply: unknown
  current: boolean
  cancel: 'cancel_requested' | 'timeout' | null
  started: boolean
  lines: Array<{ ts: string; stream: string; line: string }>
  completed: Record<string, unknown> | null
}

type Call = 'start' | 'logs' | 'complete'

export class FakeWorkerServer {
  enrollmentToken = 'enroll-secret-token'
  heartbeatSecs = 0.2
  readonly workers = new Map<string, { id: string; body: any; revoked: boolean }>()
  readonly leases = new Map<string, FakeLease>()
  readonly calls: Array<{ call: string; key: string; seq: unknown; status: number }> = []
  readonly heartbeats: any[] = []
  stopList: Array<{ job_id: string; step_name: string; reason: string }> = []
  /** Apply the next call of this kind, then cut the connection instead of answering. */
  readonly dropReplyOnce = new Set<Call>()
  /** Answer the next call of this kind with this status, without applying it. */
  readonly failOnce = new Map<Call, { status: number; code: string }>()
  registrations = 0
  deregistrations = 0
  /** The optional fields `complete` takes, listed in each claim (none: an older server). */
  completeFields: string[] = []
  #queue: any[] = []
  /** Claims handed out only in the reply to a `complete` with `claim_next`. */
  #handOnComplete: any[] = []
  #waiters: Array<() => void> = []
  #server: Server | null = null
  port = 0

  get url(): string {
    return `http://127.0.0.1:${this.port}`
  }

  async listen(port = this.port): Promise<void> {
    const srv = createServer((req, res) => void this.#handle(req, res))
    await new Promise<void>((r) => srv.listen(port, '127.0.0.1', () => r()))
    this.port = (srv.address() as AddressInfo).port
    this.#server = srv
  }

  async close(): Promise<void> {
    const srv = this.#server
    this.#server = null
    if (!srv) return
    for (const w of this.#waiters.splice(0)) w()
    srv.closeAllConnections()
    await new Promise<void>((r) => srv.close(() => r()))
  }

  /** Queues a claim; `action` defaults to an inline shell script. */
  addClaim(c: {
    jobId?: string
    stepName?: string
    attempt?: number
    action?: any
    workspace?: string
    /** Hand it out only in the reply to a `complete` with `claim_next`. */
    onComplete?: boolean
  }): FakeLease {
    const lease: FakeLease = {
      jobId: c.jobId ?? randomUUID(),
      stepName: c.stepName ?? 'step',
      attempt: c.attempt ?? 1,
      token: `wlt_${randomBytes(9).toString('hex')}`,
      prevToken: null,
      seq: 0,
      lastReply: null,
      current: true,
      cancel: null,
      started: false,
      lines: [],
      completed: null,
    }
    this.leases.set(`${lease.jobId}/${lease.stepName}`, lease)
    const queue = c.onComplete ? this.#handOnComplete : this.#queue
    queue.push({
      lease: {
        token: lease.token,
        expires_at: new Date().toISOString(),
        complete_fields: this.completeFields,
      },
      job_id: lease.jobId,
      workspace: c.workspace ?? 'default',
      revision: 'abc123',
      task_name: 'task',
      step_name: lease.stepName,
      attempt: lease.attempt,
      action_name: 'act',
      action_type: 'script',
      runner: 'local',
      action: c.action ?? { type: 'script', script: 'echo hi' },
      input: {},
      timeout_secs: 60,
      env: { WEIR_JOB_ID: lease.jobId, WEIR_STEP_NAME: lease.stepName },
    })
    for (const w of this.#waiters.splice(0)) w()
    return lease
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let text = ''
    for await (const chunk of req) text += String(chunk)
    const body = text === '' ? {} : JSON.parse(text)
    const send = (status: number, reply?: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' })
      res.end(reply === undefined ? '' : JSON.stringify(reply))
    }
    const bearer = (req.headers.authorization ?? '').replace(/^Bearer /, '')
    const path = req.url ?? ''
    if (path === '/worker/register') {
      if (bearer !== this.enrollmentToken)
        return send(401, { error: 'bad token', code: 'unauthorized' })
      this.registrations++
      const secret = `wsec_${randomBytes(9).toString('hex')}`
      const id = randomUUID()
      this.workers.set(secret, { id, body, revoked: false })
      return send(201, {
        worker_id: id,
        worker_secret: secret,
        heartbeat_interval_secs: this.heartbeatSecs,
        lease_ttl_secs: 10,
        max_claim_wait_secs: 30,
      })
    }
    const worker = this.workers.get(bearer)
    if (!worker || worker.revoked) return send(401, { error: 'bad secret', code: 'unauthorized' })
    if (path === '/worker/claim') return this.#claim(body, send)
    if (path === '/worker/heartbeat') {
      this.heartbeats.push(body)
      return send(200, { status: 'active', leases: [], stop: this.stopList.splice(0) })
    }
    if (path === '/worker/deregister') {
      this.deregistrations++
      worker.revoked = true
      return send(204)
    }
    const m = /^\/worker\/jobs\/([^/]+)\/steps\/([^/]+)\/([a-z-]+)$/.exec(path)
    if (!m) return send(404, { error: 'no route', code: 'not_found' })
    const key = `${decodeURIComponent(m[1]!)}/${decodeURIComponent(m[2]!)}`
    const lease = this.leases.get(key)
    if (!lease) return send(404, { error: 'unknown lease', code: 'not_found' })
    const token = String(req.headers['x-lease-token'] ?? '')
    if (m[3] === 'cancel-check') {
      if (token !== lease.token && token !== lease.prevToken)
        return send(409, { error: 'used', code: 'lease_token_used' })
      return send(200, { cancel_requested: lease.cancel !== null, reason: lease.cancel })
    }
    const status = this.#step(m[3] as Call, lease, token, body, send, res)
    this.calls.push({ call: m[3]!, key, seq: body.seq, status })
  }

  async #claim(body: any, send: (s: number, r?: unknown) => void): Promise<void> {
    if (this.#queue.length === 0) {
      const waitMs = Math.min(Number(body.wait_secs ?? 25), 2) * 1000
      await new Promise<void>((r) => {
        const t = setTimeout(r, waitMs)
        this.#waiters.push(() => {
          clearTimeout(t)
          r()
        })
      })
    }
    const claim = this.#queue.shift()
    return claim ? send(200, claim) : send(204)
  }

  #step(
    call: Call,
    lease: FakeLease,
    token: string,
    body: any,
    send: (s: number, r?: unknown) => void,
    res: ServerResponse,
  ): number {
    if (token === lease.prevToken && body.seq === lease.seq) {
      send(200, lease.lastReply)
      return 200
    }
    const fail = this.failOnce.get(call)
    if (fail) {
      this.failOnce.delete(call)
      send(fail.status, { error: `injected ${fail.code}`, code: fail.code })
      return fail.status
    }
    if (!lease.current) return this.#refuse(send, 409, 'lease_expired')
    if (token !== lease.token) return this.#refuse(send, 409, 'lease_token_used')
    if (body.seq !== lease.seq + 1) return this.#refuse(send, 409, 'conflict')
    let reply: Record<string, unknown>
    const next = `wlt_${randomBytes(9).toString('hex')}`
    if (call === 'start') {
      lease.started = true
      reply = { next_token: next, lease_expires_at: new Date().toISOString() }
    } else if (call === 'logs') {
      lease.lines.push(...body.lines)
      reply = {
        accepted: body.lines.length,
        last_seq: lease.lines.length,
        next_token: next,
        lease_expires_at: new Date().toISOString(),
        cancel_requested: lease.cancel !== null,
      }
    } else {
      lease.lines.push(...(body.lines ?? []))
      lease.completed = body
      lease.current = false
      reply = { step_status: body.status, job_status: body.status }
      if (body.claim_next) reply.next_claim = this.#handOnComplete.shift() ?? null
    }
    lease.prevToken = token
    lease.token = next
    lease.seq = body.seq
    lease.lastReply = reply
    if (this.dropReplyOnce.delete(call)) {
      res.socket?.destroy()
      return 0
    }
    send(200, reply)
    return 200
  }

  #refuse(send: (s: number, r?: unknown) => void, status: number, code: string): number {
    send(status, { error: `refused: ${code}`, code })
    return status
  }
}
