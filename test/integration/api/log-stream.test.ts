import { expect } from 'chai'
import WebSocket from 'ws'
import { buildTestApp, execute, waitForJob, type TestApp } from '../../helpers/test-app.ts'

function stream(url: string): Promise<{ messages: any[]; code: number; reason: string }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url)
    const messages: any[] = []
    ws.on('message', (data) => messages.push(JSON.parse(String(data))))
    ws.on('close', (code, reason) => resolve({ messages, code, reason: String(reason) }))
    ws.on('error', reject)
  })
}

describe('WebSocket log stream through the server', function () {
  this.timeout(20000)
  let t: TestApp
  let base: string
  before(async function () {
    this.timeout(30000)
    t = await buildTestApp()
    const addr = await t.app.listen()
    base = `127.0.0.1:${addr.port}`
  })
  after(async () => {
    await t.close()
  })

  it('streams a job from its first line to the end marker, matching the stored log', async () => {
    const id = await execute(t, 'hello-world', { name: 'WS' })
    const { messages, code, reason } = await stream(`ws://${base}/api/jobs/${id}/logs/stream`)
    const job = await waitForJob(t, id)
    expect(code).to.equal(1000)
    expect(reason).to.equal('completed')
    const end = messages.at(-1)
    expect(end).to.deep.equal({
      type: 'end',
      job_id: id,
      status: 'completed',
      last_seq: messages.length - 1,
    })
    const stored = (await t.request().get(`/api/jobs/${id}/logs`).expect(200)).body.logs
      .trim()
      .split('\n')
      .map((l: string) => JSON.parse(l))
    expect(messages.slice(0, -1)).to.deep.equal(stored)
    expect(job.status).to.equal('completed')
  })

  it('resumes after after_seq without repeating lines', async () => {
    const id = await execute(t, 'hello-world')
    await waitForJob(t, id)
    const { messages } = await stream(`ws://${base}/api/jobs/${id}/logs/stream?after_seq=4`)
    expect(messages[0].seq).to.equal(5)
    expect(messages.at(-1).type).to.equal('end')
  })

  it('answers 426 to a plain GET and 404 to an upgrade for an unknown job', async () => {
    const id = await execute(t, 'hello-world')
    const plain = await t.request().get(`/api/jobs/${id}/logs/stream`).expect(426)
    expect(plain.body.code).to.equal('upgrade_required')
    const missing = '01900000-0000-7000-8000-000000000000'
    const status = await new Promise<number>((resolve) => {
      const ws = new WebSocket(`ws://${base}/api/jobs/${missing}/logs/stream`)
      ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0))
      ws.on('error', () => undefined)
    })
    expect(status).to.equal(404)
  })
})
