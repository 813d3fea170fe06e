/**
 * A test client that plays a remote worker over HTTP against a test app: register, claim and
 * the lease-token chain of step calls, keeping the current token and seq like a real worker.
 */
import { resolve } from 'node:path'
import { expect } from 'chai'
import type supertest from 'supertest'
import type { AppOptions } from '../../../src/app.ts'
import { buildTestApp, type TestApp } from '../../helpers/test-app.ts'
import { waitFor } from '../../helpers/wait-for.ts'

export const ENROLLMENT_TOKEN = 'enroll-Remote-Token-0001'
export const PROTOCOL_WORKSPACE = resolve(import.meta.dirname, '../../fixtures/worker-protocol')

/** A test app with the embedded worker off and an enrollment token configured. */
export function buildProtocolApp(
  env: Record<string, string> = {},
  tuning?: AppOptions['tuning'],
): Promise<TestApp> {
  return buildTestApp({
    worker: false,
    tuning,
    workspaces: { default: PROTOCOL_WORKSPACE },
    env: {
      WEIR__WORKER_TOKEN: ENROLLMENT_TOKEN,
      // Tests lose workers on purpose (by backdating their heartbeat), never by waiting.
      WEIR__WORKERS__LOST_AFTER_SECS: '600',
      ...env,
    },
  })
}

export interface RegisteredWorker {
  readonly id: string
  readonly secret: string
  readonly name: string
}

export async function registerWorker(
  t: TestApp,
  body: Record<string, unknown> = {},
): Promise<RegisteredWorker> {
  const name = (body.name as string | undefined) ?? `w-${Math.random().toString(36).slice(2, 8)}`
  const res = await t
    .request()
    .post('/worker/register')
    .set('Authorization', `Bearer ${ENROLLMENT_TOKEN}`)
    .send({ name, capabilities: ['script'], tags: [], max_concurrency: 4, ...body })
  expect(res.status, JSON.stringify(res.body)).to.equal(201)
  return { id: res.body.worker_id, secret: res.body.worker_secret, name }
}

/** A POST with the worker's secret (and a lease token when given). */
export function workerPost(
  t: TestApp,
  w: RegisteredWorker,
  path: string,
  body: unknown = {},
  leaseToken?: string,
): supertest.Test {
  const req = t.request().post(path).set('Authorization', `Bearer ${w.secret}`)
  if (leaseToken !== undefined) req.set('X-Lease-Token', leaseToken)
  return req.send(body as object)
}

export interface Claim {
  readonly jobId: string
  readonly stepName: string
  readonly body: Record<string, any>
}

export async function claim(t: TestApp, w: RegisteredWorker, waitSecs = 10): Promise<Claim> {
  const res = await workerPost(t, w, '/worker/claim', { wait_secs: waitSecs })
  expect(res.status, `claim: ${res.status} ${JSON.stringify(res.body)}`).to.equal(200)
  return { jobId: res.body.job_id, stepName: res.body.step_name, body: res.body }
}

/** One lease as a worker holds it: the current token and the seq of the next call. */
export class Lease {
  token: string
  seq = 1
  readonly t: TestApp
  readonly w: RegisteredWorker
  readonly c: Claim
  constructor(t: TestApp, w: RegisteredWorker, c: Claim) {
    this.t = t
    this.w = w
    this.c = c
    this.token = c.body.lease.token
  }

  path(call: string): string {
    return `/worker/jobs/${this.c.jobId}/steps/${encodeURIComponent(this.c.stepName)}/${call}`
  }

  /** Sends a chained call with the current token and seq; advances both on success. */
  async send(call: 'start' | 'logs' | 'complete', body: Record<string, unknown> = {}) {
    const res = await workerPost(
      this.t,
      this.w,
      this.path(call),
      { seq: this.seq, ...body },
      this.token,
    )
    if (res.status === 200) {
      this.seq++
      if (typeof res.body.next_token === 'string') this.token = res.body.next_token
    }
    return res
  }

  cancelCheck(token = this.token) {
    return workerPost(this.t, this.w, this.path('cancel-check'), {}, token)
  }
}

export function line(text: string, stream: 'stdout' | 'stderr' = 'stdout') {
  return { ts: new Date().toISOString(), stream, line: text }
}

/** Waits until the job's first step has `status`; returns the job detail. */
export function waitForStep(
  t: TestApp,
  jobId: string,
  status: string,
): Promise<Record<string, any>> {
  return waitFor(
    async () => {
      const job = (await t.request().get(`/api/jobs/${jobId}`)).body as Record<string, any>
      return job.steps?.[0]?.status === status ? job : undefined
    },
    { timeoutMs: 8000, what: `step of job ${jobId} to be ${status}` },
  )
}

/** Waits until the job's `_server` log contains `text` (lines are written after commit). */
export function waitForServerLine(t: TestApp, jobId: string, text: string): Promise<string> {
  return waitFor(
    async () => {
      const res = await t.request().get(`/api/jobs/${jobId}/steps/_server/logs`)
      const logs = (res.body as { logs?: string }).logs ?? ''
      return logs.includes(text) ? logs : undefined
    },
    { timeoutMs: 8000, what: `the _server line '${text}'` },
  )
}
