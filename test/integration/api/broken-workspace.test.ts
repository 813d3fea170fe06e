import { expect } from 'chai'
import { resolve } from 'node:path'
import { buildTestApp, EXAMPLE_WORKSPACE, FIXTURES, type TestApp } from '../../helpers/test-app.ts'

describe('a broken workspace beside a good one', () => {
  let t: TestApp
  before(async function () {
    this.timeout(30000)
    t = await buildTestApp({
      worker: false,
      workspaces: { good: EXAMPLE_WORKSPACE, broken: resolve(FIXTURES, 'invalid-ten-mistakes') },
    })
  })
  after(async () => {
    await t.close()
  })

  it('lists the broken workspace with every error and no tasks; the good one works', async () => {
    const res = await t.request().get('/api/workspaces').expect(200)
    const broken = res.body.find((w: { name: string }) => w.name === 'broken')
    expect(broken).to.include({
      tasks_count: 0,
      actions_count: 0,
      triggers_count: 0,
      revision: null,
    })
    expect(broken.error.split('\n')).to.have.length(10)
    expect(broken.error).to.include("unknown action 'biuld-app' (did you mean 'build-app'?)")
    const good = res.body.find((w: { name: string }) => w.name === 'good')
    expect(good).to.include({ tasks_count: 10, error: null })
    await t.request().get('/api/workspaces/good/tasks').expect(200)
  })

  it('gives each diagnostic with its file, line and column, and the good one its warnings', async () => {
    const res = await t.request().get('/api/workspaces').expect(200)
    const broken = res.body.find((w: { name: string }) => w.name === 'broken')
    expect(broken.issues).to.have.length(10)
    for (const issue of broken.issues)
      expect(issue).to.have.keys(['severity', 'code', 'file', 'line', 'column', 'path', 'message'])
    expect(broken.issues[0].line).to.be.a('number')
    expect(broken.warnings).to.deep.equal([])
    const good = res.body.find((w: { name: string }) => w.name === 'good')
    expect(good.issues).to.deep.equal([])
    expect(good.warnings.every((w: { severity: string }) => w.severity === 'warning')).to.equal(
      true,
    )
  })

  it('answers 404 naming the errors for the broken workspace tasks and execute', async () => {
    const res = await t.request().get('/api/workspaces/broken/tasks').expect(404)
    expect(res.body.code).to.equal('not_found')
    expect(res.body.error).to.match(/workspace 'broken' has no valid version to serve/)
    await t.request().post('/api/workspaces/broken/tasks/release/execute').send({}).expect(404)
  })

  it('keeps serving after a refresh that still fails', async () => {
    const res = await t.request().post('/api/workspaces/broken/refresh').expect(200)
    expect(res.body.error).to.be.a('string')
    await t.request().get('/api/workspaces/good/tasks').expect(200)
  })
})
