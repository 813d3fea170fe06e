import { expect } from 'chai'
import { dirname, resolve } from 'node:path'
import { loadConfig } from '../../../src/config/load-config.ts'
import { bearer, login, waitForJobAs } from '../../helpers/auth.ts'
import { buildTestApp, type TestApp } from '../../helpers/test-app.ts'
import { waitFor } from '../../helpers/wait-for.ts'

const CONFIG = resolve(import.meta.dirname, '../../fixtures/stroem/server-config.yaml')
const ADMIN = { email: 'admin@stroem.local', password: 'admin' }

const step = (job: Record<string, any>, name: string) =>
  job.steps.find((s: { step_name: string }) => s.step_name === name)

const ignored = (path: string, reason: string) =>
  `${path}: Strøm setting ignored by Weir (${reason})`

describe("a Strøm workspace under Strøm's server-config.yaml", function () {
  // The release runs ten steps (a sub-task, a python step, hooks): about 2 s on 2 busy cores.
  this.timeout(30_000)
  let t: TestApp
  let token: string

  before(async () => {
    t = await buildTestApp({ configFile: CONFIG })
    token = (await login(t, ADMIN.email, ADMIN.password)).access_token
  })
  after(async () => t?.close())

  async function run(task: string, input: Record<string, unknown> = {}): Promise<string> {
    const res = await t
      .request()
      .post(`/api/workspaces/ops/tasks/${task}/execute`)
      .set(bearer(token))
      .send({ input })
      .expect(200)
    return res.body.job_id as string
  }

  it('loads with one warning per ignored Strøm key, and maps the others', () => {
    const { config, warnings } = loadConfig({ env: {}, cwd: '/', configPath: CONFIG })
    expect(warnings).to.deep.equal([
      ignored('acl', 'access is by role (admin, member, viewer), with no per-workspace rules'),
      ignored('mcp', 'there is no MCP endpoint'),
      ignored('auth.base_url', 'there is no OIDC login and no CORS to restrict'),
      ignored('auth.providers', 'only password login and API keys are supported'),
      ignored(
        'log_storage.archive',
        'job logs stay in log_storage.local_dir until retention deletes them',
      ),
      ignored(
        'recovery.sweep_interval_secs',
        'expired leases and lost workers are swept every second',
      ),
      ignored(
        'recovery.unmatched_step_timeout_secs',
        'a step no worker can take waits, bounded by its job timeout',
      ),
      "auth.initial_user.password: shorter than 8 characters; the initial admin 'admin@stroem.local' is easy to guess: change its password after the first login (passwords set through the API or the CLI need 8 or more)",
    ])
    const dir = dirname(CONFIG)
    expect(config.workspaces.ops).to.deep.equal({
      type: 'folder',
      path: resolve(dir, 'workspaces/ops'),
    })
    expect(config.workers.lost_after_secs).to.equal(120)
    expect(config.defaults).to.deep.equal({ step_timeout_secs: 600, job_timeout_secs: 3600 })
    expect(config.retention).to.include({ worker_hours: 72, job_days: 14 })
    expect(config.state_storage).to.include({ prefix: 'state/', max_snapshots: 3 })
    expect(config.artifact_storage.archive.path).to.equal(resolve(dir, 'files'))
    expect(config.metrics.public).to.equal(true)
  })

  it('logs in with the short initial password, and refuses a short one over the API', async () => {
    const me = await t.request().get('/api/auth/me').set(bearer(token)).expect(200)
    expect(me.body).to.include({ email: ADMIN.email, role: 'admin' })
    const res = await t
      .request()
      .post('/api/users')
      .set(bearer(token))
      .send({ email: 'ops@stroem.local', name: 'Ops', role: 'member', password: 'short' })
      .expect(400)
    expect(res.body).to.include({ code: 'validation_failed', field: 'password' })
    await t.request().get('/api/workspaces').expect(401)
  })

  it('serves the workspace with every task available and no issues', async () => {
    const [ws] = (await t.request().get('/api/workspaces').set(bearer(token)).expect(200)).body
    expect(ws).to.include({
      name: 'ops',
      tasks_count: 4,
      actions_count: 8,
      triggers_count: 2,
      error: null,
    })
    expect(ws.issues).to.deep.equal([])
    expect(ws.warnings).to.deep.equal([])
    const tasks = (await t.request().get('/api/workspaces/ops/tasks').set(bearer(token))).body
    expect(tasks.map((x: { name: string }) => x.name).sort()).to.deep.equal([
      'cleanup',
      'nightly-report',
      'ping',
      'release',
    ])
    for (const { name } of tasks) {
      const detail = await t.request().get(`/api/workspaces/ops/tasks/${name}`).set(bearer(token))
      expect(detail.body.unavailable, name).to.equal(null)
    }
  })

  it('runs the release: outputs, approval, for_each, library action, sub-task, python, hook', async () => {
    const id = await run('release', { version: '1.4.0' })
    const suspended = await waitFor(
      async () => {
        const job = (await t.request().get(`/api/jobs/${id}`).set(bearer(token))).body
        return step(job, 'approve')?.status === 'suspended' ? job : undefined
      },
      { timeoutMs: 20_000, what: 'the approval gate' },
    )
    expect(step(suspended, 'approve').approval_message).to.equal('Ship 1.4.0?')
    expect(suspended.input).to.deep.equal({ version: '1.4.0', envs: ['dev'] })
    await t
      .request()
      .post(`/api/jobs/${id}/steps/approve/approve`)
      .set(bearer(token))
      .send({ approved: true, input: { reason: 'tested' } })
      .expect(200)
    const job = await waitForJobAs(t, token, id)
    expect(job.status).to.equal('completed')
    expect(step(job, 'probe').output).to.deep.equal({ regions: ['eu', 'us'], ok: true })
    expect(step(job, 'approve').output).to.include({ approved: true, approved_by: ADMIN.email })
    expect(step(job, 'ship').output).to.deep.equal([{ region: 'eu' }, { region: 'us' }])
    expect(step(job, 'stamp').output).to.deep.equal({ stamp: '1.4.0-ok' })
    expect(step(job, 'tidy').status).to.equal('completed')
    expect(step(job, 'inline-check').output).to.deep.equal({ n: 1 })
    const logs = (await t.request().get(`/api/jobs/${id}/logs`).set(bearer(token))).body.logs
    expect(logs).to.contain('shipping 1.4.0 to us (2/2)')
    expect(logs).not.to.contain('deploy-token-1234')
    const hook = await waitFor(async () => {
      const res = await t.request().get('/api/jobs?source_type=hook').set(bearer(token))
      return (res.body as Array<Record<string, any>>).find((j) => j.source_id === id)
    })
    expect(hook.task_name).to.equal('_hook:notify')
    const hookJob = await waitForJobAs(t, token, hook.job_id as string)
    expect(step(hookJob, 'hook').input).to.deep.equal({ text: 'release completed' })
  })

  it('counts report runs in task state across jobs and keeps each report as an artifact', async () => {
    const first = await waitForJobAs(t, token, await run('nightly-report'))
    expect(first.status).to.equal('completed')
    expect(step(first, 'write').output).to.deep.equal({ runs: 1, history: 'run 1 ' })
    const second = await waitForJobAs(t, token, await run('nightly-report'))
    expect(step(second, 'write').output).to.deep.equal({ runs: 2, history: 'run 1 run 2 ' })
    const list = await t
      .request()
      .get(`/api/jobs/${second.job_id}/artifacts`)
      .set(bearer(token))
      .expect(200)
    expect(list.body.map((a: { name: string }) => a.name)).to.deep.equal(['report.txt'])
    const file = await t
      .request()
      .get(`/api/jobs/${second.job_id}/artifacts/report.txt`)
      .set(bearer(token))
      .expect(200)
    expect(file.text).to.equal('report #2\n')
  })

  it("fires the webhook by Strøm's name with its shared secret, without a user token", async () => {
    const res = await t
      .request()
      .post('/hooks/gh-ping?secret=hook-secret-1')
      .send({ service: 'api' })
      .expect(200)
    const job = await waitForJobAs(t, token, res.body.job_id as string)
    expect(job).to.include({ status: 'completed', source_type: 'webhook', source_id: 'ops/gh' })
    const logs = (await t.request().get(`/api/jobs/${job.job_id}/logs`).set(bearer(token))).body
    expect(logs.logs).to.contain('webhook for api')
  })

  it('serves /metrics without a token (metrics.public)', async () => {
    await t.request().get('/metrics').expect(200)
  })
})
