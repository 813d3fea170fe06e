import { expect } from 'chai'
import { buildTestApp, execute, waitForJob, type TestApp } from '../../helpers/test-app.ts'

const step = (job: Record<string, any>, name: string) =>
  job.steps.find((s: { step_name: string }) => s.step_name === name)

describe("the example workspace's daily report", () => {
  let t: TestApp
  before(async () => {
    // State is on only with a state_storage section.
    t = await buildTestApp({ env: { WEIR__STATE_STORAGE__MAX_SNAPSHOTS: '5' } })
  })
  after(async () => t.close())

  it('counts its runs in task state and leaves the report as an artifact', async () => {
    const first = await waitForJob(t, await execute(t, 'daily-report'))
    expect(first.status).to.equal('completed')
    expect(step(first, 'write').output).to.deep.equal({ runs: 1, artifact: 'report.txt' })
    const second = await waitForJob(t, await execute(t, 'daily-report', { title: 'Ops' }))
    expect(step(second, 'write').output).to.deep.equal({ runs: 2, artifact: 'report.txt' })
    const list = await t.request().get(`/api/jobs/${second.job_id}/artifacts`).expect(200)
    expect(list.body.map((a: { name: string }) => a.name)).to.deep.equal(['report.txt'])
    const file = await t
      .request()
      .get(`/api/jobs/${second.job_id}/artifacts/report.txt`)
      .expect(200)
    expect(file.text).to.match(/^Ops\nrun: 2\nwritten: \d{4}-\d\d-\d\dT/)
  })
})
