import { expect } from 'chai'
import { buildTestApp, execute, waitForJob, type TestApp } from '../../helpers/test-app.ts'

describe('stats, config and the all-workspaces task list', () => {
  let t: TestApp
  before(async function () {
    this.timeout(30000)
    t = await buildTestApp()
  })
  after(async () => {
    await t.close()
  })

  it('answers GET /api/config with what a client needs before login', async () => {
    const res = await t.request().get('/api/config').expect(200)
    expect(res.body).to.deep.equal({
      auth_required: false,
      has_internal_auth: false,
      acl_enabled: false,
      oidc_providers: [],
      version: '0.1.0',
    })
  })

  it('lists every task of every workspace with id and name', async () => {
    const res = await t.request().get('/api/tasks').expect(200)
    const hello = res.body.find((x: { id: string }) => x.id === 'hello-world')
    expect(hello).to.include({ id: 'hello-world', name: 'hello-world', workspace: 'default' })
    const keys = res.body.map(
      (x: { workspace: string; name: string }) => `${x.workspace}/${x.name}`,
    )
    expect(keys).to.deep.equal([...keys].sort())
  })

  it('counts jobs per status, all of them and per workspace', async () => {
    const before = (await t.request().get('/api/stats').expect(200)).body
    expect(Object.keys(before).sort()).to.deep.equal([
      'cancelled',
      'completed',
      'failed',
      'pending',
      'running',
    ])
    const id = await execute(t, 'hello-world', { name: 'stats' })
    await waitForJob(t, id)
    const after = (await t.request().get('/api/stats?workspace=default').expect(200)).body
    expect(after.completed).to.equal(before.completed + 1)
    const missing = await t.request().get('/api/stats?workspace=nope').expect(404)
    expect(missing.body.code).to.equal('not_found')
    const bad = await t.request().get('/api/stats?colour=red').expect(400)
    expect(bad.body.code).to.equal('bad_request')
  })

  it('gives a task durations over its last completed jobs, per task and per step', async () => {
    for (const name of ['a', 'b', 'c'])
      await waitForJob(t, await execute(t, 'hello-world', { name }))
    const res = await t
      .request()
      .get('/api/workspaces/default/tasks/hello-world/stats?limit=2')
      .expect(200)
    expect(res.body.window).to.equal(2)
    expect(res.body.task.sample_size).to.equal(2)
    expect(res.body.task.recent).to.have.length(2)
    for (const k of ['avg_ms', 'p50_ms', 'p95_ms', 'min_ms', 'max_ms'])
      expect(res.body.task[k]).to.be.a('number').and.at.least(0)
    expect(res.body.task.min_ms).to.be.at.most(res.body.task.max_ms)
    expect(res.body.steps.map((s: { step_name: string }) => s.step_name)).to.deep.equal([
      'build-greeting',
      'shout-greeting',
    ])
    expect(res.body.steps[0].sample_size).to.equal(2)
    const unknown = await t.request().get('/api/workspaces/default/tasks/nope/stats').expect(404)
    expect(unknown.body.code).to.equal('not_found')
    const none = await t.request().get('/api/workspaces/default/tasks/deploy-service/stats')
    expect(none.status).to.equal(200)
    expect(none.body.task).to.include({ sample_size: 0, p50_ms: null })
    expect(none.body.steps).to.deep.equal([])
  })
})
