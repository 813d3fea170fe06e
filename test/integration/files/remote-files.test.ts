import { expect } from 'chai'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { buildTestApp, type TestApp } from '../../helpers/test-app.ts'
import {
  api,
  spawnWorker,
  TOKEN,
  waitForJob,
  type WorkerProcess,
} from '../remote-worker-support.ts'

const FILES_WS = resolve(import.meta.dirname, '../../fixtures/files')
const MIB = 1024 * 1024

const step = (job: Record<string, any>, name: string) =>
  job.steps.find((s: { step_name: string }) => s.step_name === name)

describe('artifacts and task state through a remote worker (a weir worker process)', function () {
  this.timeout(40000)
  let t: TestApp
  let port: number
  let tmp: string
  let worker: WorkerProcess

  const run = async (task: string, input: unknown = {}) => {
    const res = await api(port, 'POST', `/api/workspaces/files/tasks/${task}/execute`, { input })
    expect(res.status, JSON.stringify(res.body)).to.equal(200)
    return waitForJob(port, res.body.job_id as string, 30000)
  }

  before(async function () {
    this.timeout(60000)
    t = await buildTestApp({
      worker: false,
      workspaces: { files: FILES_WS },
      env: {
        WEIR__WORKER_TOKEN: TOKEN,
        WEIR__WORKERS__HEARTBEAT_INTERVAL_SECS: '1',
        WEIR__WORKERS__LEASE_TTL_SECS: '4',
        WEIR__ARTIFACT_STORAGE__MAX_FILE_BYTES: String(2 * MIB),
        WEIR__STATE_STORAGE__MAX_SNAPSHOTS: '3',
      },
    })
    ;({ port } = await t.app.listen())
    tmp = mkdtempSync(join(tmpdir(), 'weir-remote-files-'))
    worker = spawnWorker('files-worker', port, join(tmp, 'state'))
    await worker.started()
  })

  after(async function () {
    this.timeout(30000)
    await worker.stop()
    await t.close()
    rmSync(tmp, { recursive: true, force: true })
  })

  it('uploads the step artifacts, streamed, and the server serves them with ranges', async () => {
    const size = Math.round(1.5 * MIB)
    const job = await run('artifacts', { size: String(size) })
    expect(job.status, JSON.stringify(job.steps)).to.equal('completed')
    expect(step(job, 'make').worker_id).to.not.equal(null)
    const list = await api(port, 'GET', `/api/jobs/${job.job_id}/artifacts`)
    expect(list.body.map((a: { name: string }) => a.name)).to.deep.equal([
      'blob.bin',
      'img/pixel.png',
      'nested/deep/data.json',
      'page.html',
      'report.txt',
    ])
    const blob = list.body.find((a: { name: string }) => a.name === 'blob.bin')
    expect(blob).to.include({ size_bytes: size, content_type: 'application/octet-stream' })
    const report = await fetch(
      `http://127.0.0.1:${port}/api/jobs/${job.job_id}/artifacts/report.txt`,
    )
    expect(await report.text()).to.equal('hello report\n')
    const part = await fetch(`http://127.0.0.1:${port}${blob.url}`, {
      headers: { range: 'bytes=10-19' },
    })
    expect(part.status).to.equal(206)
    expect(await part.text()).to.equal('x'.repeat(10))
  })

  it('fails the step when the server refuses an artifact (413), keeping none of its files', async () => {
    const job = await run('one-file', { name: 'big.bin', size: String(2 * MIB + 1) })
    expect(job.status).to.equal('failed')
    expect(step(job, 'write').error_message).to.equal(
      "the step's files could not be stored: uploading artifact 'big.bin': the server answered 413 " +
        `(payload_too_large): artifact 'big.bin' is larger than max_file_bytes (${2 * MIB} bytes)`,
    )
    const list = await api(port, 'GET', `/api/jobs/${job.job_id}/artifacts`)
    expect(list.body).to.deep.equal([])
  })

  it('round-trips task state: the worker fetches the snapshot files and uploads the next one', async () => {
    const first = await run('counter')
    expect(first.status, JSON.stringify(first.steps)).to.equal('completed')
    expect(step(first, 'check').output).to.deep.equal({
      note: 'run 1',
      json: { count: 1, note: 'run 1', kept: true },
      files: './history.txt ./state.json ',
    })
    const second = await run('counter')
    expect(second.status).to.equal('completed')
    expect(step(second, 'count').output).to.deep.equal({ count: 2 })
    const logs = await api(port, 'GET', `/api/jobs/${second.job_id}/steps/count/logs`)
    expect(logs.body.logs).to.include('previous=1 files=history.txt state.json')
  })
})
