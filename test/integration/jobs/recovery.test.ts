import { expect } from 'chai'
import { sql } from 'kysely'
import { buildTestApp, type TestApp } from '../../helpers/test-app.ts'

describe('recovery of steps whose worker vanished', function () {
  this.timeout(20000)
  let t: TestApp
  before(async function () {
    this.timeout(30000)
    t = await buildTestApp({ worker: false })
  })
  after(async () => {
    await t.close()
  })

  it('fails a step whose lease expired, with a _server line saying why, and ends the job', async () => {
    const { jobs, dispatch } = await t.app.ready
    const ws = t.app.registry.getWorkspace('default')
    const { jobId } = await jobs.orchestrator.createJob({
      workspace: ws,
      task: ws.tasks.get('hello-world')!,
      input: { name: 'x' },
      source: { type: 'api', id: null },
    })
    const claimed = (await dispatch.source.claimNow(1, true)) ?? []
    expect(claimed).to.have.length(1)
    // The worker holding the lease is gone: its lease runs out without a heartbeat.
    await sql`UPDATE step_runs SET lease_expires_at = now() - interval '1 second' WHERE job_id = ${jobId}`.execute(
      t.database.db,
    )
    expect(await dispatch.sweeper.sweepOnce()).to.equal(1)
    const job = (await t.request().get(`/api/jobs/${jobId}`).expect(200)).body
    expect(job.status).to.equal('failed')
    expect(job.steps[0]).to.include({ step_name: 'build-greeting', status: 'failed' })
    expect(job.steps[0].error_message).to.match(/^worker \S+ lost \(lease expired\)$/)
    expect(job.steps[1].status).to.equal('skipped')
    const logs = (await t.request().get(`/api/jobs/${jobId}/steps/_server/logs`).expect(200)).body
      .logs as string
    expect(logs).to.match(/step build-greeting failed: worker .* lost \(lease expired\)/)
    // A late completion from the vanished worker changes nothing.
    const late = await jobs.orchestrator.finishStep(
      claimed[0]!.stepId,
      jobId,
      claimed[0]!.leaseToken,
      {
        status: 'completed',
        exitCode: 0,
        output: { greeting: 'late' },
        errorMessage: null,
      },
    )
    expect(late).to.deep.equal({ ok: false })
    expect((await t.request().get(`/api/jobs/${jobId}`).expect(200)).body.steps[0].status).to.equal(
      'failed',
    )
  })
})
