import { expect } from 'chai'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { buildTestApp, waitForJob, type TestApp } from '../../helpers/test-app.ts'

const FIXTURE = resolve(import.meta.dirname, '../../fixtures/sync-webhooks')
const TOKEN = 'sync-token-7e21'

describe('webhooks that wait for their job (mode: sync)', () => {
  let t: TestApp
  const marker = join(mkdtempSync(join(tmpdir(), 'weir-sync-hook-')), 'go')
  before(async function () {
    this.timeout(30000)
    t = await buildTestApp({ workspaces: { hooks: FIXTURE } })
  })
  after(async () => {
    writeFileSync(marker, '')
    await t?.close()
  })

  it('answers 200 with the job result once it ends', async () => {
    const res = await t.request().post(`/hooks/ask?secret=${TOKEN}`).send({}).expect(200)
    expect(res.body).to.include({ trigger: 'ask', task: 'quick', status: 'completed' })
    expect(res.body.output).to.deep.equal({ answer: { answer: 42 } })
  })

  it('answers 202 with status running when the job outlives timeout_secs, then the job endpoint waits', async () => {
    const res = await t
      .request()
      .post(`/hooks/wait-a-bit?secret=${TOKEN}&marker=${encodeURIComponent(marker)}`)
      .send({})
      .expect(202)
    expect(res.body).to.include({ trigger: 'wait-a-bit', task: 'slow', status: 'running' })
    const id = res.body.job_id as string
    const now = await t.request().get(`/hooks/wait-a-bit/jobs/${id}?secret=${TOKEN}`).expect(202)
    expect(now.body).to.deep.equal({
      job_id: id,
      trigger: 'wait-a-bit',
      task: 'slow',
      status: 'running',
    })
    const waiting = t
      .request()
      .get(`/hooks/wait-a-bit/jobs/${id}?secret=${TOKEN}&wait=true&timeout=20`)
    writeFileSync(marker, '')
    const done = await waiting.expect(200)
    expect(done.body).to.include({ job_id: id, status: 'completed' })
  })

  it('shows only jobs the webhook created, behind the same secret', async () => {
    const fire = await t.request().post(`/hooks/fire?secret=${TOKEN}`).send({}).expect(200)
    await waitForJob(t, fire.body.job_id)
    const wrong = await t
      .request()
      .get(`/hooks/ask/jobs/${fire.body.job_id}?secret=${TOKEN}`)
      .expect(404)
    expect(wrong.body.code).to.equal('not_found')
    const noSecret = await t.request().get(`/hooks/fire/jobs/${fire.body.job_id}`).expect(401)
    expect(noSecret.body.code).to.equal('unauthorized')
    const mine = await t
      .request()
      .get(`/hooks/fire/jobs/${fire.body.job_id}?secret=${TOKEN}`)
      .expect(200)
    expect(mine.body).to.include({ status: 'completed', task: 'quick' })
    const bad = await t
      .request()
      .get(`/hooks/fire/jobs/${fire.body.job_id}?secret=${TOKEN}&timeout=301`)
    expect(bad.status).to.equal(400)
  })
})
