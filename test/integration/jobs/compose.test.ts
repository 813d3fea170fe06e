import { expect } from 'chai'
import { writeFileSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { buildTestApp, execute, waitForJob, type TestApp } from '../../helpers/test-app.ts'
import { waitFor } from '../../helpers/wait-for.ts'

const COMPOSE_WS = resolve(import.meta.dirname, '../../fixtures/compose')

type Step = Record<string, any>
const step = (job: Record<string, any>, name: string): Step =>
  job.steps.find((s: Step) => s.step_name === name)

async function serverLog(t: TestApp, id: string): Promise<string> {
  return (await t.request().get(`/api/jobs/${id}/steps/_server/logs`).expect(200)).body.logs
}

async function waitForStep(t: TestApp, id: string, name: string, status: string) {
  return waitFor(
    async () => {
      const job = (await t.request().get(`/api/jobs/${id}`)).body
      const s = job.steps?.find((x: Step) => x.step_name === name)
      return s?.status === status ? job : undefined
    },
    { timeoutMs: 8000, intervalMs: 20, what: `step ${name} of ${id} to be ${status}` },
  )
}

describe('composed workflows: sub-tasks, loops, approvals', function () {
  let t: TestApp
  before(async function () {
    this.timeout(30000)
    t = await buildTestApp({ workspaces: { default: COMPOSE_WS } })
  })
  after(async () => {
    await t.close()
  })

  describe('sub-tasks', () => {
    it('runs a child job with the rendered input and completes the step with its output', async () => {
      const id = await execute(t, 'parent', { greeting: 'ahoy' })
      const job = await waitForJob(t, id)
      expect(job.status).to.equal('completed')
      const call = step(job, 'call')
      expect(call.status).to.equal('completed')
      expect(call.output).to.deep.equal({ say: { said: 'ahoy', count: 1 } })
      const child = (await t.request().get(`/api/jobs/${call.child_job_id}`).expect(200)).body
      expect(child).to.include({
        source_type: 'task',
        source_id: `${id}/call`,
        parent_job_id: id,
        parent_step_name: 'call',
        status: 'completed',
      })
      expect(child.input).to.deep.equal({ greeting: 'ahoy', count: 1 })
      const children = await t.request().get(`/api/jobs?parent_job_id=${id}`).expect(200)
      expect(children.body.map((j: { job_id: string }) => j.job_id)).to.deep.equal([child.job_id])
      const logs = (await t.request().get(`/api/jobs/${id}/logs`).expect(200)).body.logs
      expect(logs).to.contain('child said ahoy')
    })

    it('fails the step, naming the child and its first error', async () => {
      const id = await execute(t, 'calls-failing-child')
      const job = await waitForJob(t, id)
      expect(job.status).to.equal('failed')
      const call = step(job, 'call')
      expect(call.status).to.equal('failed')
      expect(call.error_message).to.match(
        new RegExp(`^child job ${call.child_job_id} failed: Step 'boom': Exit code: 4`),
      )
    })

    it('fails the step, naming the field, when the child input does not fit the task', async () => {
      const id = await execute(t, 'bad-child-input')
      const job = await waitForJob(t, id)
      expect(job.status).to.equal('failed')
      expect(step(job, 'call').error_message).to.equal(
        "child task 'child': invalid input: input.count: expected integer, got string",
      )
    })

    it('stops at the nesting limit with a clear message', async () => {
      const id = await execute(t, 'depth-0')
      const job = await waitForJob(t, id, 20000)
      expect(job.status).to.equal('failed')
      let cursor = job
      for (let level = 0; level < 10; level++) {
        const childId = step(cursor, 'deeper').child_job_id
        cursor = await waitForJob(t, childId, 20000)
      }
      expect(step(cursor, 'deeper').error_message).to.equal(
        "sub-task nesting is limited to 10 levels; task 'depth-11' would be level 11",
      )
    })

    it('cancels the children when the parent is cancelled, and ends the step cancelled', async () => {
      const marker = join(mkdtempSync(join(tmpdir(), 'weir-compose-')), 'never')
      const id = await execute(t, 'calls-waiting-child', { marker })
      const running = await waitForStep(t, id, 'call', 'running')
      const childId = step(running, 'call').child_job_id
      await waitFor(
        async () => (await t.request().get(`/api/jobs/${childId}`)).body.status === 'running',
        { timeoutMs: 8000, what: 'the child to run' },
      )
      await t.request().post(`/api/jobs/${id}/cancel`).expect(202)
      const job = await waitForJob(t, id)
      expect(job.status).to.equal('cancelled')
      expect(step(job, 'call').status).to.equal('cancelled')
      const child = await waitForJob(t, childId)
      expect(child.status).to.equal('cancelled')
      writeFileSync(marker, '')
    })
  })

  describe('for_each loops', () => {
    it('runs one instance per item and ends with their outputs in order', async () => {
      const id = await execute(t, 'loop-literal')
      const job = await waitForJob(t, id)
      expect(job.status).to.equal('completed')
      const names = job.steps.map((s: Step) => s.step_name)
      expect(names).to.deep.equal(['items', 'items[0]', 'items[1]', 'items[2]', 'after'])
      expect(step(job, 'items').output).to.deep.equal([
        { value: 'a', index: 0 },
        { value: 'b', index: 1 },
        { value: 'c', index: 2 },
      ])
      expect(step(job, 'items[1]')).to.include({ loop_index: 1, loop_total: 3 })
      const logs = (await t.request().get(`/api/jobs/${id}/logs`).expect(200)).body.logs as string
      expect(logs).to.contain('got 3 outputs')
      expect(logs).to.match(/"step":"items\[2\]","line":"item c of 3"/)
    })

    it('keeps null for a failed instance and tolerates it with continue_on_failure', async () => {
      const id = await execute(t, 'loop-failing')
      const job = await waitForJob(t, id)
      expect(job.status).to.equal('completed')
      expect(step(job, 'items').output).to.deep.equal([{ ok: 'a' }, null, { ok: 'c' }])
      expect(step(job, 'items[1]').status).to.equal('failed')
    })

    it('runs a sequential loop one instance after another', async () => {
      const id = await execute(t, 'loop-sequential')
      const job = await waitForJob(t, id)
      expect(job.status).to.equal('completed')
      const ends = ['items[0]', 'items[1]', 'items[2]'].map((n) => step(job, n))
      for (let i = 1; i < 3; i++)
        expect(Date.parse(ends[i]!.started_at)).to.be.at.least(
          Date.parse(ends[i - 1]!.completed_at),
        )
    })

    it('retries each instance on its own', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'weir-loop-retry-'))
      const id = await execute(t, 'loop-retry', { dir })
      const job = await waitForJob(t, id, 15000)
      expect(job.status).to.equal('completed')
      expect(step(job, 'items').output).to.deep.equal(['second try', 'second try'])
      for (const n of ['items[0]', 'items[1]']) expect(step(job, n).attempt).to.equal(2)
    })

    it('loops over a list a step computed, and skips a loop over an empty list', async () => {
      const id = await execute(t, 'loop-template', { count: 4 })
      const job = await waitForJob(t, id)
      expect(step(job, 'items').output).to.deep.equal([1, 2, 3, 4])
      const empty = await waitForJob(t, await execute(t, 'loop-empty'))
      expect(empty.status).to.equal('completed')
      expect(step(empty, 'items')).to.include({ status: 'skipped' })
    })
  })

  describe('approval gates', () => {
    it('suspends, fires on_suspended, and continues when approved with the fields', async () => {
      const id = await execute(t, 'gated', { version: '2.1' })
      const job = await waitForStep(t, id, 'approve', 'suspended')
      expect(job.status).to.equal('running')
      const gate = step(job, 'approve')
      expect(gate.approval_message).to.equal('Deploy 2.1 to production?')
      expect(gate.approval_fields.ticket).to.include({ type: 'string', required: true })
      const missing = await t
        .request()
        .post(`/api/jobs/${id}/steps/approve/approve`)
        .send({ approved: true, input: {} })
        .expect(400)
      expect(missing.body).to.deep.equal({
        error: 'invalid approval: input.ticket: required field is missing',
        code: 'validation_failed',
        field: 'input.ticket',
      })
      const ok = await t
        .request()
        .post(`/api/jobs/${id}/steps/approve/approve`)
        .send({ approved: true, input: { ticket: 'OPS-7' } })
        .expect(200)
      expect(ok.body).to.include({ status: 'approved', step_status: 'completed' })
      const done = await waitForJob(t, id)
      expect(done.status).to.equal('completed')
      expect(step(done, 'approve').output).to.include({
        approval_message: 'Deploy 2.1 to production?',
        approved: true,
        approved_by: 'anonymous',
      })
      const logs = (await t.request().get(`/api/jobs/${id}/logs`).expect(200)).body.logs
      expect(logs).to.contain('shipping, ticket OPS-7')
      const again = await t
        .request()
        .post(`/api/jobs/${id}/steps/approve/approve`)
        .send({ approved: true, input: { ticket: 'x' } })
        .expect(409)
      expect(again.body.code).to.equal('conflict')
      const hooks = await t.request().get(`/api/jobs?source_type=hook`).expect(200)
      const hook = hooks.body.find((j: { source_id: string }) => j.source_id === id)
      expect(hook).to.include({ task_name: '_hook:notify' })
      const hookJob = await waitForJob(t, hook.job_id)
      expect(step(hookJob, 'hook').input).to.deep.equal({
        text: 'waiting: approve says Deploy 2.1 to production?',
      })
    })

    it('fails the step with the reason when rejected', async () => {
      const id = await execute(t, 'gated')
      await waitForStep(t, id, 'approve', 'suspended')
      await t
        .request()
        .post(`/api/jobs/${id}/steps/approve/approve`)
        .send({ approved: false, rejection_reason: 'not on a Friday' })
        .expect(200)
      const job = await waitForJob(t, id)
      expect(job.status).to.equal('failed')
      expect(step(job, 'approve')).to.include({
        status: 'failed',
        error_message: 'not on a Friday',
      })
      expect(step(job, 'ship').status).to.equal('skipped')
      expect(await serverLog(t, id)).to.contain('step approve rejected: not on a Friday')
    })

    it('fails the step when nobody decides before its timeout', async () => {
      const id = await execute(t, 'gated-short')
      const job = await waitForJob(t, id, 8000)
      expect(job.status).to.equal('failed')
      expect(step(job, 'approve').error_message).to.equal('approval timed out')
    })
  })

  it('fires on_cancel hooks, a hook of type task as a full job', async () => {
    const marker = join(mkdtempSync(join(tmpdir(), 'weir-cancel-hook-')), 'never')
    const id = await execute(t, 'cancellable', { marker })
    await waitForStep(t, id, 'wait', 'running')
    await t.request().post(`/api/jobs/${id}/cancel`).expect(202)
    expect((await waitForJob(t, id)).status).to.equal('cancelled')
    const hooks = await waitFor(
      async () => {
        const res = await t.request().get('/api/jobs?source_type=hook&limit=100')
        const mine = res.body.filter((j: { source_id: string }) => j.source_id === id)
        return mine.length === 2 ? mine : undefined
      },
      { timeoutMs: 8000, what: 'both hook jobs' },
    )
    const names = hooks.map((j: { task_name: string }) => j.task_name).sort()
    expect(names).to.deep.equal(['_hook:notify', 'child'])
    const child = await waitForJob(
      t,
      hooks.find((j: { task_name: string }) => j.task_name === 'child').job_id,
    )
    expect(child.input).to.deep.equal({ greeting: `from the cancel hook of ${id}`, count: 1 })
    writeFileSync(marker, '')
  })

  it('replays a secret input sent as the mask sentinel in a re-run', async () => {
    const first = await execute(t, 'secret-rerun', { token: 'correct-horse', label: 'one' })
    await waitForJob(t, first)
    const res = await t
      .request()
      .post('/api/workspaces/default/tasks/secret-rerun/execute')
      .send({ input: { token: '••••••', label: 'two' }, source_job_id: first })
      .expect(200)
    const job = await waitForJob(t, res.body.job_id)
    expect(job.input).to.deep.equal({ token: '******', label: 'two' })
    const logs = (await t.request().get(`/api/jobs/${job.job_id}/logs`).expect(200)).body.logs
    expect(logs).to.contain('token length 13')
    const unknown = await t
      .request()
      .post('/api/workspaces/default/tasks/secret-rerun/execute')
      .send({ input: { token: 'x' }, source_job_id: '01a25112-be33-726a-a4a8-6c072a159dba' })
      .expect(404)
    expect(unknown.body.code).to.equal('not_found')
  })

  it('re-runs a job with its lineage', async () => {
    const first = await execute(t, 'child', { greeting: 'once' })
    await waitForJob(t, first)
    const res = await t
      .request()
      .post('/api/workspaces/default/tasks/child/execute')
      .send({ input: { greeting: 'twice' }, source_job_id: first })
      .expect(200)
    const job = await waitForJob(t, res.body.job_id)
    expect(job).to.include({ source_type: 'rerun', source_id: first, source_job_id: first })
  })
})

describe('a for_each loop over 1,000 items', function () {
  let t: TestApp
  before(async function () {
    this.timeout(30000)
    t = await buildTestApp({
      workspaces: { default: COMPOSE_WS },
      env: { WEIR__EMBEDDED_WORKER__CONCURRENCY: '16' },
    })
  })
  after(async () => {
    await t.close()
  })

  it('runs every instance and ends with all their outputs in order', async function () {
    // 1,000 real processes on the embedded worker, 16 at a time.
    this.timeout(90000)
    const id = await execute(t, 'loop-big')
    const job = await waitForJob(t, id, 85000)
    expect(job.status).to.equal('completed')
    const output = step(job, 'items').output as number[]
    expect(output).to.have.length(1000)
    expect(output.every((v, i) => v === i)).to.equal(true)
    const logs = (await t.request().get(`/api/jobs/${id}/logs`).expect(200)).body.logs
    expect(logs).to.contain('1000 instances')
  })
})
