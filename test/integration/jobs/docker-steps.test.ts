import { expect } from 'chai'
import { resolve } from 'node:path'
import { LABELS } from '../../../src/runner/executors/container-command.ts'
import type { DockerEngine } from '../../../src/runner/executors/docker-engine.ts'
import {
  containersOfJob,
  DOCKER_HOST,
  requireDocker,
  TEST_IMAGE,
} from '../../helpers/docker-engine.ts'
import {
  buildTestApp,
  EXAMPLE_WORKSPACE,
  execute,
  waitForJob,
  type TestApp,
} from '../../helpers/test-app.ts'
import { waitFor } from '../../helpers/wait-for.ts'

const FIXTURE = resolve(import.meta.dirname, '../../fixtures/containers')

function logLines(text: string): Array<{ step: string; stream: string; line: string }> {
  return text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as { step: string; stream: string; line: string })
}

describe('container steps through the API (embedded worker on a real Docker Engine)', function () {
  this.timeout(30000)
  let engine: DockerEngine
  let t: TestApp

  before(async function () {
    engine = await requireDocker(this)
    t = await buildTestApp({
      workspaces: { default: FIXTURE, example: EXAMPLE_WORKSPACE },
      env: { WEIR__DOCKER__HOST: DOCKER_HOST, WEIR__DOCKER__SWEEP_INTERVAL_SECS: '1' },
    })
  })
  after(async () => {
    await t?.close()
  })

  async function logsOf(jobId: string) {
    const res = await t.request().get(`/api/jobs/${jobId}/logs`)
    return logLines((res.body as { logs: string }).logs)
  }

  it('runs a docker step: output and OUTPUT:, stderr, inputs as env, the secret masked', async () => {
    const id = await execute(t, 'greet', { name: 'Weir' })
    const job = await waitForJob(t, id, 20000)
    expect(job.status).to.equal('completed')
    const step = job.steps[0]
    expect(step).to.include({ action_type: 'docker', runner: 'docker', exit_code: 0 })
    expect(step.output).to.deep.equal({ greeting: 'hello Weir' })
    const lines = (await logsOf(id)).filter((l) => l.step === 'greet')
    // stdout and stderr are read apart: their relative order is not fixed, each one's is.
    const of = (stream: string) => lines.filter((l) => l.stream === stream).map((l) => l.line)
    expect(of('stdout')).to.deep.equal([
      'hello Weir',
      'token=******',
      'OUTPUT: {"greeting": "hello Weir"}',
    ])
    expect(of('stderr')).to.deep.equal(['to stderr'])
    expect(await containersOfJob(engine, id)).to.deep.equal([])
  })

  it('runs a runner: docker script in the workspace, mounted at /workspace', async () => {
    const id = await execute(t, 'in-workspace')
    const job = await waitForJob(t, id, 20000)
    expect(job.status, JSON.stringify(job.steps)).to.equal('completed')
    const lines = (await logsOf(id)).filter((l) => l.step === 'read').map((l) => l.line)
    expect(lines).to.deep.equal(['/workspace', 'workspace data', 'step=read'])
  })

  it('fails a step on its exit code, with its stderr, and on a missing image, naming it', async () => {
    const failing = await waitForJob(t, await execute(t, 'failing'), 20000)
    expect(failing.status).to.equal('failed')
    expect(failing.steps[0]).to.include({
      exit_code: 4,
      error_message: 'Exit code: 4\nStderr: broken',
    })
    const missing = await waitForJob(t, await execute(t, 'missing-image'), 20000)
    expect(missing.status).to.equal('failed')
    expect(missing.steps[0].error_message).to.match(
      /^image 'weir-test\/absent:1' is not on the Docker Engine at .+ and pulling it failed: /,
    )
  })

  it("runs the example workspace's container task with an image the engine has", async () => {
    const id = await execute(t, 'container-hello', { name: 'Weir', image: TEST_IMAGE }, 'example')
    const job = await waitForJob(t, id, 20000)
    expect(job.status, JSON.stringify(job.steps)).to.equal('completed')
    expect(job.steps.map((s: any) => s.output)).to.deep.equal([{ greeted: 'Weir' }, null])
    const files = (await logsOf(id)).filter((l) => l.step === 'files').map((l) => l.line)
    expect(files).to.have.length(1)
    expect(files[0]).to.match(/^in \/workspace: \d+ workflow files$/)
  })

  it('stops and removes the container when the job is cancelled', async () => {
    const id = await execute(t, 'sleep')
    await waitFor(async () => (await containersOfJob(engine, id))[0]?.state === 'running', {
      timeoutMs: 15000,
      what: 'the step container to run',
    })
    const res = await t.request().post(`/api/jobs/${id}/cancel`).send({})
    expect(res.status).to.be.oneOf([200, 202])
    const job = await waitForJob(t, id, 20000)
    expect(job.status).to.equal('cancelled')
    expect(await containersOfJob(engine, id)).to.deep.equal([])
  })

  it('removes a container whose step is not running (what a killed process leaves)', async () => {
    const jobId = '00000000-0000-4000-8000-00000000dead'
    const id = await engine.create({
      name: `weir-left-behind-${process.pid}`,
      image: TEST_IMAGE,
      labels: {
        [LABELS.jobId]: jobId,
        [LABELS.step]: 'gone',
        [LABELS.attempt]: '1',
        [LABELS.workerId]: 'a-worker-of-a-killed-server',
        [LABELS.owner]: 'embedded:a-worker-of-a-killed-server',
      },
      env: [],
      entrypoint: null,
      cmd: ['sleep', '60'],
      workingDir: null,
      binds: [],
      network: 'none',
      nanoCpus: null,
      memoryBytes: null,
    })
    await engine.start(id)
    await waitFor(async () => (await containersOfJob(engine, jobId)).length === 0, {
      timeoutMs: 15000,
      what: 'the sweep to remove the left-behind container',
    })
  })
})

describe('container steps without a Docker Engine', function () {
  this.timeout(20000)
  let t: TestApp

  before(async () => {
    t = await buildTestApp({
      workspaces: { default: FIXTURE },
      env: { WEIR__DOCKER__HOST: 'unix:///nonexistent/docker.sock' },
    })
  })
  after(async () => {
    await t?.close()
  })

  it('leaves a docker step waiting, and the job detail says why', async () => {
    const id = await execute(t, 'mixed')
    const step = await waitFor(
      async () => {
        const res = await t.request().get(`/api/jobs/${id}`)
        const box = (res.body as { steps: any[] }).steps.find((s) => s.step_name === 'box')
        return box?.status === 'ready' && box.waiting_reason ? box : undefined
      },
      { timeoutMs: 10000, what: 'the docker step to wait' },
    )
    expect(step.waiting_reason).to.match(
      /^waiting for a worker with the 'docker' capability; no connected worker has it: embedded@.+ \(script\): a worker has it when it reaches a Docker Engine/,
    )
    const res = await t.request().get(`/api/jobs/${id}`)
    const local = (res.body as { steps: any[] }).steps.find((s) => s.step_name === 'local')
    expect(local).to.include({ status: 'completed' })
    expect(local).to.not.have.property('waiting_reason')
    await t.request().post(`/api/jobs/${id}/cancel`).send({})
  })
})
