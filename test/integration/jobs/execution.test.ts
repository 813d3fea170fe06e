import { expect } from 'chai'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import {
  buildTestApp,
  EXAMPLE_WORKSPACE,
  execute,
  waitForJob,
  type TestApp,
} from '../../helpers/test-app.ts'
import { waitFor } from '../../helpers/wait-for.ts'

const ENGINE_WS = resolve(import.meta.dirname, '../../fixtures/engine')

type Step = {
  step_name: string
  status: string
  output: unknown
  error_message: string | null
  attempt: number
  input: unknown
}
const step = (job: Record<string, any>, name: string): Step =>
  job.steps.find((s: Step) => s.step_name === name)

async function logLines(
  t: TestApp,
  jobId: string,
): Promise<Array<{ step: string; line: string; seq: number; stream: string }>> {
  const res = await t.request().get(`/api/jobs/${jobId}/logs`).expect(200)
  return (res.body.logs as string)
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l))
}

describe('job execution with real processes', function () {
  this.timeout(20000)
  let t: TestApp
  before(async function () {
    this.timeout(30000)
    t = await buildTestApp({
      workspaces: { default: EXAMPLE_WORKSPACE, engine: ENGINE_WS },
      env: { WEIR__EMBEDDED_WORKER__CONCURRENCY: '12' },
    })
  })
  after(async () => {
    await t.close()
  })

  it('runs hello-world: the second step consumes the first step output', async () => {
    const id = await execute(t, 'hello-world', { name: 'E2E' })
    const job = await waitForJob(t, id)
    expect(job.status).to.equal('completed')
    expect(job.output).to.deep.equal({ 'shout-greeting': { shouted: 'HELLO, E2E!' } })
    expect(step(job, 'shout-greeting').input).to.deep.equal({ text: 'Hello, E2E!' })
    const lines = await logLines(t, id)
    expect(lines.map((l) => l.seq)).to.deep.equal(lines.map((_, i) => i + 1))
    expect(lines.some((l) => l.step === 'build-greeting' && l.line === 'Hello, E2E!')).to.equal(
      true,
    )
    expect(lines.some((l) => l.step === 'shout-greeting' && l.line === 'HELLO, E2E!')).to.equal(
      true,
    )
    expect(lines.at(-1)).to.include({ step: '_server', line: 'job completed' })
  })

  it('fails a job whose python step raises, skips its dependant and runs the on_error hook', async () => {
    const id = await execute(t, 'crash-with-hook')
    const job = await waitForJob(t, id)
    expect(job.status).to.equal('failed')
    expect(step(job, 'parse').status).to.equal('failed')
    expect(step(job, 'parse').error_message).to.match(/ValueError/)
    expect(step(job, 'apply-settings').status).to.equal('skipped')
    const hooks = await waitFor(async () => {
      const res = await t.request().get('/api/jobs?source_type=hook').expect(200)
      return res.body.find((j: { source_id: string }) => j.source_id === id)
    })
    expect(hooks.task_name).to.equal('_hook:print-hook-context')
    const hookJob = await waitForJob(t, hooks.job_id)
    expect(hookJob.status).to.equal('completed')
    const lines = (await logLines(t, hooks.job_id)).map((l) => l.line)
    expect(lines).to.include('status=failed')
    expect(lines).to.include('is_success=false')
    const text = lines.join('\n')
    expect(text).to.match(/error_message=Step 'parse': Exit code: 1/)
    expect(text).to.match(/ValueError: invalid literal for int/)
  })

  it('runs a 10-way fan-out in parallel, skips a false branch and still runs the join', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'weir-barrier-'))
    const id = await execute(t, 'fan-out', { dir }, 'engine')
    const job = await waitForJob(t, id, 15000)
    expect(
      job.status,
      JSON.stringify(job.steps.filter((s: Step) => s.status !== 'completed')),
    ).to.equal('completed')
    expect(step(job, 'skipped-branch').status).to.equal('skipped')
    expect(step(job, 'join').input).to.deep.equal({ text: 'b1+b10' })
  })

  it('completes tolerate-failure: a retried tolerated failure, a skipped follow-up', async () => {
    const id = await execute(t, 'tolerate-failure')
    const job = await waitForJob(t, id, 15000)
    expect(job.status).to.equal('completed')
    expect(step(job, 'optional-probe')).to.include({ status: 'failed', attempt: 2 })
    expect(step(job, 'strict-follow-up').status).to.equal('skipped')
    expect(step(job, 'summarize').status).to.equal('completed')
  })

  it('retries a failed step and records the second attempt', async () => {
    const marker = join(mkdtempSync(join(tmpdir(), 'weir-flaky-')), 'tried')
    const id = await execute(t, 'flaky', { marker }, 'engine')
    const job = await waitForJob(t, id, 15000)
    expect(job.status).to.equal('completed')
    expect(step(job, 'try')).to.include({ status: 'completed', attempt: 2 })
    const lines = await logLines(t, id)
    expect(lines.some((l) => l.step === '_server' && /retrying in 1s/.test(l.line))).to.equal(true)
  })

  it('exports inputs as WEIR_INPUT_* variables, safe for quotes and $(...)', async () => {
    const id = await execute(t, 'env-vars', undefined, 'engine')
    const job = await waitForJob(t, id)
    expect(job.status).to.equal('completed')
    const lines = (await logLines(t, id)).map((l) => l.line)
    expect(lines).to.include(`note=it's "quoted" $(whoami)`)
    expect(lines.find((l) => l.startsWith('job='))).to.equal(
      `job=${id} step=dump attempt=1 ws=engine`,
    )
  })

  it('completes a job whose every step was skipped at creation', async () => {
    const id = await execute(t, 'all-skipped', undefined, 'engine')
    const job = await waitForJob(t, id)
    expect(job.status).to.equal('completed')
    expect(job.steps.map((s: Step) => s.status)).to.deep.equal(['skipped', 'skipped'])
  })

  it('rejects wrong inputs with 400 naming every bad field', async () => {
    const res = await t
      .request()
      .post('/api/workspaces/default/tasks/deploy-service/execute')
      .send({ input: { replicas: '3', colour: 'red' } })
      .expect(400)
    expect(res.body).to.deep.equal({
      error:
        'invalid input: input.colour: unknown field; input.service: required field is missing; input.replicas: expected integer, got string',
      code: 'validation_failed',
      field: 'input.colour',
    })
    const body = await t
      .request()
      .post('/api/workspaces/default/tasks/hello-world/execute')
      .send({ inputs: {} })
      .expect(400)
    expect(body.body.error).to.match(/inputs: unknown field/)
  })

  it('applies defaults and skips `apply` while dry_run is true', async () => {
    const id = await execute(t, 'deploy-service', { service: 'billing' })
    const job = await waitForJob(t, id)
    expect(job.input).to.deep.equal({
      service: 'billing',
      environment: 'dev',
      replicas: 2,
      cpu: 0.5,
      dry_run: true,
    })
    expect(job.status).to.equal('completed')
    expect(step(job, 'apply').status).to.equal('skipped')
  })

  it('cancels a running job, stops its process tree, then answers 409', async () => {
    const id = await execute(t, 'forever', undefined, 'engine')
    await waitFor(async () => (await logLines(t, id)).some((l) => l.line === 'started'), {
      what: 'step to start',
    })
    const res = await t.request().post(`/api/jobs/${id}/cancel`).expect(202)
    expect(res.body).to.include({ job_id: id, status: 'running' })
    const job = await waitForJob(t, id, 3000)
    expect(job.status).to.equal('cancelled')
    expect(step(job, 'sleep').status).to.equal('cancelled')
    expect(step(job, 'later').status).to.equal('cancelled')
    const again = await t.request().post(`/api/jobs/${id}/cancel`).expect(409)
    expect(again.body).to.deep.equal({ error: 'job is already cancelled', code: 'conflict' })
  })

  it('cancels a job whose step waits for a file, and a pending job at once', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'weir-block-')), 'go')
    const id = await execute(t, 'blocked', { file }, 'engine')
    await waitFor(async () => (await logLines(t, id)).some((l) => l.line.startsWith('waiting for')))
    await t.request().post(`/api/jobs/${id}/cancel`).expect(202)
    expect((await waitForJob(t, id, 3000)).status).to.equal('cancelled')
    writeFileSync(file, '')
  })

  it('fails a step that outlives its timeout, killing its process group', async () => {
    const id = await execute(t, 'step-timeout', undefined, 'engine')
    const job = await waitForJob(t, id, 8000)
    expect(job.status).to.equal('failed')
    expect(step(job, 'slow').error_message).to.equal('Step timed out after 1s')
  })

  it('fails a job that outlives its task timeout: running steps stop, waiting ones fail', async () => {
    const id = await execute(t, 'job-timeout', undefined, 'engine')
    const job = await waitForJob(t, id, 8000)
    expect(job.status).to.equal('failed')
    expect(job.error_message).to.equal('job timed out')
    expect(step(job, 'slow')).to.include({ status: 'failed', error_message: 'job timed out' })
    expect(step(job, 'never')).to.include({ status: 'failed', error_message: 'job timed out' })
  })

  it('re-runs a failed job as a new job when the task has retry, and fires hooks only at the end', async () => {
    const marker = join(mkdtempSync(join(tmpdir(), 'weir-task-retry-')), 'tried')
    const first = await execute(t, 'task-retry', { marker }, 'engine')
    expect((await waitForJob(t, first)).status).to.equal('failed')
    const retry = await waitFor(
      async () => {
        const res = await t
          .request()
          .get('/api/jobs?workspace=engine&task_name=task-retry')
          .expect(200)
        return res.body.find((j: { retry_of_job_id: string | null }) => j.retry_of_job_id === first)
      },
      { what: 'the task retry job' },
    )
    const second = await waitForJob(t, retry.job_id, 8000)
    expect(second).to.include({ status: 'completed', source_type: 'api' })
    expect(second.input).to.deep.equal({ marker })
    const hooks = await t.request().get('/api/jobs?source_type=hook').expect(200)
    expect(hooks.body.filter((j: { source_id: string }) => j.source_id === first)).to.deep.equal([])
    const lines = await logLines(t, first)
    expect(
      lines.some(
        (l) =>
          l.step === '_server' && /task retry: job .* \(attempt 2\/3\), starts in 1s/.test(l.line),
      ),
    ).to.equal(true)
  })

  it('lists jobs newest first with filters, totals and a keyset cursor', async () => {
    const res = await t.request().get('/api/jobs?workspace=engine&limit=2').expect(200)
    expect(res.body).to.have.length(2)
    expect(Number(res.headers['x-total-count'])).to.be.greaterThan(2)
    const next = await t
      .request()
      .get(`/api/jobs?workspace=engine&limit=2&cursor=${res.headers['x-next-cursor']}`)
      .expect(200)
    expect(next.body[0].created_at <= res.body[1].created_at).to.equal(true)
    expect(next.body.map((j: { job_id: string }) => j.job_id)).to.not.include(res.body[1].job_id)
    await t.request().get('/api/jobs?task_name=x').expect(400)
    await t.request().get('/api/jobs?status=weird').expect(400)
    await t.request().get('/api/jobs?limit=0').expect(400)
    const capped = await t.request().get('/api/jobs?limit=100000').expect(200)
    expect(capped.body.length).to.be.at.most(500)
  })

  it('retries a finished job as a new job with retry_of_job_id', async () => {
    const id = await execute(t, 'hello-world', { name: 'again' })
    await waitForJob(t, id)
    const res = await t.request().post(`/api/jobs/${id}/retry`).expect(200)
    const job = await waitForJob(t, res.body.job_id)
    expect(job).to.include({ retry_of_job_id: id, status: 'completed' })
    expect(job.input).to.deep.equal({ name: 'again' })
  })

  it('returns the same job for the same Idempotency-Key', async () => {
    const a = await t
      .request()
      .post('/api/workspaces/default/tasks/hello-world/execute')
      .set('Idempotency-Key', 'k-1')
      .send({})
      .expect(200)
    const b = await t
      .request()
      .post('/api/workspaces/default/tasks/hello-world/execute')
      .set('Idempotency-Key', 'k-1')
      .send({})
      .expect(200)
    expect(b.body.job_id).to.equal(a.body.job_id)
  })

  it('answers 404 for unknown jobs and steps', async () => {
    const missing = '01900000-0000-7000-8000-000000000000'
    const res = await t.request().get(`/api/jobs/${missing}`).expect(404)
    expect(res.body).to.deep.equal({ error: `job '${missing}' not found`, code: 'not_found' })
    await t.request().post(`/api/jobs/${missing}/cancel`).expect(404)
    const id = await execute(t, 'hello-world')
    await t.request().get(`/api/jobs/${id}/steps/nope/logs`).expect(404)
    await t.request().get(`/api/jobs/${id}/steps/_server/logs`).expect(200)
  })
})
