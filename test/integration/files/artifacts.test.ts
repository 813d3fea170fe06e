import { expect } from 'chai'
import { existsSync, readdirSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { sql } from 'kysely'
import { buildTestApp, execute, waitForJob, type TestApp } from '../../helpers/test-app.ts'

const FILES_WS = resolve(import.meta.dirname, '../../fixtures/files')
const MIB = 1024 * 1024

const step = (job: Record<string, any>, name: string) =>
  job.steps.find((s: { step_name: string }) => s.step_name === name)

/** Every file under the artifact folder of a job (what the store keeps on disk). */
function storedFiles(t: TestApp, jobId: string): string[] {
  const dir = join(t.logDir, '.storage', 'artifacts', jobId)
  return existsSync(dir) ? readdirSync(dir) : []
}

describe('artifacts (embedded worker)', function () {
  this.timeout(20000)
  let t: TestApp
  before(async function () {
    this.timeout(30000)
    t = await buildTestApp({
      workspaces: { files: FILES_WS },
      env: {
        WEIR__ARTIFACT_STORAGE__MAX_FILE_BYTES: String(2 * MIB),
        WEIR__ARTIFACT_STORAGE__MAX_JOB_BYTES: String(3 * MIB),
      },
    })
  })
  after(() => t.close())

  it('keeps every regular file under $ARTIFACTS_DIR (recursively, links left out) and lists them', async () => {
    const id = await execute(t, 'artifacts', { size: '10' }, 'files')
    const job = await waitForJob(t, id)
    expect(job.status, JSON.stringify(job)).to.equal('completed')
    const res = await t.request().get(`/api/jobs/${id}/artifacts`).expect(200)
    const list = res.body as Array<Record<string, unknown>>
    expect(list.map((a) => a.name)).to.deep.equal([
      'blob.bin',
      'img/pixel.png',
      'nested/deep/data.json',
      'page.html',
      'report.txt',
    ])
    const report = list.find((a) => a.name === 'report.txt')!
    expect(report).to.include({
      content_type: 'text/plain',
      size_bytes: 13,
      step_name: 'make',
      url: `/api/jobs/${id}/artifacts/report.txt`,
    })
    expect(new Date(report.created_at as string).toISOString()).to.equal(report.created_at)
    expect(list.find((a) => a.name === 'img/pixel.png')).to.include({
      content_type: 'image/png',
      url: `/api/jobs/${id}/artifacts/img/pixel.png`,
    })
  })

  it('serves a file with nosniff, inline only for images and plain text, attachment otherwise', async () => {
    const id = await execute(t, 'artifacts', {}, 'files')
    await waitForJob(t, id)
    const txt = await t.request().get(`/api/jobs/${id}/artifacts/report.txt`).expect(200)
    expect(txt.text).to.equal('hello report\n')
    expect(txt.headers['x-content-type-options']).to.equal('nosniff')
    expect(txt.headers['content-type']).to.equal('text/plain; charset=utf-8')
    expect(txt.headers['content-disposition']).to.equal(
      `inline; filename="report.txt"; filename*=UTF-8''report.txt`,
    )
    const html = await t.request().get(`/api/jobs/${id}/artifacts/page.html`).expect(200)
    expect(html.headers['content-disposition']).to.match(/^attachment; filename="page.html"/)
    expect(html.headers['content-security-policy']).to.equal("default-src 'none'; sandbox")
    const nested = await t
      .request()
      .get(`/api/jobs/${id}/artifacts/nested/deep/data.json`)
      .buffer(true)
      .parse((res, done) => {
        let s = ''
        res.on('data', (c: Buffer) => (s += c.toString()))
        res.on('end', () => done(null, s))
      })
      .expect(200)
    expect(nested.body).to.equal('{"a": 1}')
    expect(nested.headers['content-disposition']).to.equal(
      `attachment; filename="data.json"; filename*=UTF-8''data.json`,
    )
    const missing = await t.request().get(`/api/jobs/${id}/artifacts/nope.txt`).expect(404)
    expect(missing.body).to.deep.equal({
      error: `artifact 'nope.txt' not found in job '${id}'`,
      code: 'not_found',
    })
  })

  it('streams a large artifact and answers byte ranges with 206, and 416 past the end', async () => {
    const size = Math.round(1.5 * MIB)
    const id = await execute(t, 'artifacts', { size: String(size) }, 'files')
    expect((await waitForJob(t, id)).status).to.equal('completed')
    const url = `/api/jobs/${id}/artifacts/blob.bin`
    const whole = await t.request().get(url).buffer(true).expect(200)
    expect(whole.headers['content-length']).to.equal(String(size))
    expect(whole.headers['accept-ranges']).to.equal('bytes')
    const part = await t.request().get(url).set('Range', 'bytes=1000-1099').buffer(true).expect(206)
    expect(part.headers['content-range']).to.equal(`bytes 1000-1099/${size}`)
    expect(part.headers['content-length']).to.equal('100')
    expect(Buffer.from(part.body as Buffer).toString()).to.equal('x'.repeat(100))
    const tail = await t.request().get(url).set('Range', 'bytes=-10').buffer(true).expect(206)
    expect(tail.headers['content-range']).to.equal(`bytes ${size - 10}-${size - 1}/${size}`)
    const past = await t.request().get(url).set('Range', `bytes=${size}-`).expect(416)
    expect(past.headers['content-range']).to.equal(`bytes */${size}`)
    expect(past.body).to.deep.equal({
      error: `range 'bytes=${size}-' is outside artifact 'blob.bin' (${size} bytes)`,
      code: 'range_not_satisfiable',
      field: 'Range',
    })
  })

  it('fails the step for a file over max_file_bytes, and keeps none of its files', async () => {
    const id = await execute(t, 'one-file', { name: 'big.bin', size: String(2 * MIB + 1) }, 'files')
    const job = await waitForJob(t, id)
    expect(job.status).to.equal('failed')
    expect(step(job, 'write').error_message).to.equal(
      `the step's files could not be stored: artifact 'big.bin' is larger than max_file_bytes (${2 * MIB} bytes)`,
    )
    expect((await t.request().get(`/api/jobs/${id}/artifacts`).expect(200)).body).to.deep.equal([])
    expect(storedFiles(t, id)).to.deep.equal([])
  })

  it('refuses the artifact that takes a job past max_job_bytes; the earlier step keeps its own', async () => {
    const id = await execute(t, 'two-files', { size: String(2 * MIB) }, 'files')
    const job = await waitForJob(t, id)
    expect(job.status).to.equal('failed')
    expect(step(job, 'first').status).to.equal('completed')
    expect(step(job, 'second').error_message).to.match(
      /artifact 'second.bin' \(2097152 bytes\) would take job '.+' past max_job_bytes \(3145728 bytes; 2097152 already stored\)/,
    )
    const list = (await t.request().get(`/api/jobs/${id}/artifacts`).expect(200)).body
    expect(list.map((a: { name: string }) => a.name)).to.deep.equal(['first.bin'])
    expect(storedFiles(t, id)).to.have.length(1)
  })

  it('fails the step on a bad artifact name, naming it, and discards what it had stored', async () => {
    const id = await execute(t, 'bad-name', {}, 'files')
    const job = await waitForJob(t, id)
    expect(job.status).to.equal('failed')
    expect(step(job, 'write').error_message).to.equal(
      `the step's files could not be stored: invalid artifact name 'bad\tname': the name holds control characters`,
    )
    expect((await t.request().get(`/api/jobs/${id}/artifacts`).expect(200)).body).to.deep.equal([])
    expect(storedFiles(t, id)).to.deep.equal([])
  })

  it('keeps nothing from a step that fails', async () => {
    const id = await execute(t, 'fails', {}, 'files')
    expect((await waitForJob(t, id)).status).to.equal('failed')
    expect((await t.request().get(`/api/jobs/${id}/artifacts`).expect(200)).body).to.deep.equal([])
  })

  it('hands the artifacts to hooks as hook.artifacts', async () => {
    const id = await execute(t, 'hooked', {}, 'files')
    expect((await waitForJob(t, id)).status).to.equal('completed')
    const hooks = await t.request().get(`/api/jobs?source_type=hook`).expect(200)
    const hookJob = (hooks.body as Array<{ job_id: string; source_id: string }>).find(
      (j) => j.source_id === id,
    )!
    const done = await waitForJob(t, hookJob.job_id)
    expect(done.status).to.equal('completed')
    const [a] = done.steps[0].output as Array<Record<string, unknown>>
    expect(a).to.include({
      name: 'out/result.txt',
      content_type: 'text/plain',
      size_bytes: 5,
      step_name: 'write',
      url: `/api/jobs/${id}/artifacts/out/result.txt`,
    })
  })

  it('goes with its job: the rows cascade and deleteJobFiles removes the files', async () => {
    const id = await execute(t, 'artifacts', {}, 'files')
    expect((await waitForJob(t, id)).status).to.equal('completed')
    expect(storedFiles(t, id)).to.have.length(5)
    const { db } = t.database
    await sql`DELETE FROM jobs WHERE id = ${id}`.execute(db)
    const { rows } = await sql<{ n: string }>`
      SELECT count(*) AS n FROM artifacts WHERE job_id = ${id}`.execute(db)
    expect(Number(rows[0]!.n)).to.equal(0)
    const services = await t.app.ready
    await services.artifacts.store.deleteJobFiles(id)
    expect(storedFiles(t, id)).to.deep.equal([])
  })

  it('answers 404 for the artifacts of an unknown job and 400 for a malformed id', async () => {
    const unknown = '0190d3c0-0000-7000-8000-000000000000'
    const res = await t.request().get(`/api/jobs/${unknown}/artifacts`).expect(404)
    expect(res.body).to.deep.equal({ error: `job '${unknown}' not found`, code: 'not_found' })
    const bad = await t.request().get('/api/jobs/abc/artifacts').expect(400)
    expect(bad.body).to.deep.equal({
      error: "invalid job id 'abc'",
      code: 'bad_request',
      field: 'job_id',
    })
  })
})
