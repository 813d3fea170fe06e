import { expect } from 'chai'
import { readdir, readFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import WebSocket from 'ws'
import { buildTestApp, execute, waitForJob, type TestApp } from '../helpers/test-app.ts'

const SECRETS_WS = resolve(import.meta.dirname, '../fixtures/secrets')
const MASK = '******'

/** The workspace secrets of the fixture and the two secret inputs the test submits. */
const INPUT = { passphrase: 'pass-phrase-51tt-SECRET', api_password: 'apiPw-66uu-SECRET' }

/** Parts of each secret: any of them showing up means a secret leaked, whole or in pieces. */
const FRAGMENTS = ['wsTok', '7Qz1', 'K9pLm3', 'dbPw', '33kq88', 'pass-phrase', '51tt', '66uu']

function expectNoSecret(where: string, text: string): void {
  for (const f of FRAGMENTS) expect(text, `${where} contains '${f}'`).not.to.contain(f)
  expect(text, `${where} contains SECRET`).not.to.match(/SECRET/)
}

interface Line {
  ts: string
  stream: string
  step: string
  line: string
  seq: number
}

async function jsonlFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true })
  return entries
    .filter((e) => e.isFile() && e.name.endsWith('.jsonl'))
    .map((e) => join(e.parentPath, e.name))
}

/** Every message of a log stream until the server closes it. */
function streamAll(url: string): Promise<{ raw: string[]; code: number }> {
  return new Promise((resolvePromise, reject) => {
    const ws = new WebSocket(url)
    const raw: string[] = []
    ws.on('message', (data) => raw.push(String(data)))
    ws.on('close', (code) => resolvePromise({ raw, code }))
    ws.on('error', reject)
  })
}

describe('secrets are masked everywhere', function () {
  this.timeout(30000)
  let t: TestApp
  let base: string
  let jobId: string
  let job: Record<string, any>
  let logs: Line[]
  let logsText: string
  let streamed: { raw: string[]; code: number }

  before(async function () {
    this.timeout(60000)
    t = await buildTestApp({ workspaces: { secrets: SECRETS_WS } })
    const addr = await t.app.listen()
    base = `ws://127.0.0.1:${addr.port}`
    jobId = await execute(t, 'leaks', INPUT, 'secrets')
    // Connected while the job runs: live lines as well as the backfill go through the socket.
    const streaming = streamAll(`${base}/api/jobs/${jobId}/logs/stream`)
    job = await waitForJob(t, jobId, 20000)
    streamed = await streaming
    const res = await t.request().get(`/api/jobs/${jobId}/logs`).expect(200)
    logsText = res.text
    logs = (res.body.logs as string)
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Line)
  })
  after(async () => {
    await t?.close()
  })

  const linesOf = (step: string, stream?: string) =>
    logs.filter((l) => l.step === step && (stream === undefined || l.stream === stream))
  const stepOf = (name: string) =>
    (job.steps as Array<Record<string, any>>).find((s) => s.step_name === name)!

  it('masks secrets printed as whole lines, inside text and on stderr', () => {
    expect(linesOf('whole-line').map((l) => l.line)).to.deep.equal([MASK, MASK])
    expect(linesOf('inside-text').map((l) => l.line)).to.deep.equal([
      `token=${MASK};db=${MASK};pw=${MASK} end`,
    ])
    expect(linesOf('to-stderr').map((l) => [l.stream, l.line])).to.deep.equal([
      ['stderr', `stderr has ${MASK}`],
    ])
  })

  it('masks a secret written in two halves with a pause between them', () => {
    expect(linesOf('split-shell').map((l) => l.line)).to.deep.equal([`split=${MASK} done`])
    expect(linesOf('split-python').map((l) => l.line)).to.deep.equal([`py=${MASK}!`])
  })

  it('masks a secret cut in two by the record limit of an overlong line', () => {
    const pieces = linesOf('long-line').map((l) => l.line)
    expect(pieces.length).to.be.at.least(2)
    expect(pieces.join('')).to.equal('x'.repeat(65536 - 10) + `${MASK} tail`)
  })

  it('masks step outputs in the log, the step row and the job output', () => {
    expect(linesOf('output').map((l) => l.line)).to.deep.equal([
      `OUTPUT: {"token": "${MASK}", "note": "pw ${MASK}"}`,
    ])
    expect(stepOf('output').output).to.deep.equal({ token: MASK, note: `pw ${MASK}` })
    expect(job.output.output).to.deep.equal({ token: MASK, note: `pw ${MASK}` })
  })

  it('masks error messages of failed steps and of the job', () => {
    expect(job.status).to.equal('failed')
    const fails = stepOf('fails')
    expect(fails.status).to.equal('failed')
    expect(fails.error_message).to.contain(`fatal: credentials ${MASK} rejected`)
    expect(linesOf('fails', 'stderr').map((l) => l.line)).to.deep.equal([
      `fatal: credentials ${MASK} rejected`,
    ])
    expect(job.error_message).to.contain(`credentials ${MASK} rejected`)
  })

  it('masks template errors, and the _server lines that report them', () => {
    const filter = stepOf('template-filter')
    expect(filter.status).to.equal('failed')
    expect(filter.error_message).to.contain(`cannot read '${MASK}' as a date`)
    const missing = stepOf('template-missing')
    expect(missing.status).to.equal('failed')
    expect(missing.error_message).to.contain("variable 'whole_line.output.missing' is not defined")
    const server = linesOf('_server').map((l) => l.line)
    expect(server.some((l) => l.includes(`cannot read '${MASK}' as a date`))).to.equal(true)
  })

  it('masks the job input and the rendered step inputs', () => {
    expect(job.input).to.deep.equal({ passphrase: MASK, api_password: MASK })
    expect(stepOf('whole-line').input).to.deep.equal({ passphrase: MASK })
    expect(stepOf('with-input').input).to.deep.equal({ token: MASK, label: 'plain' })
  })

  it('leaves no secret in the job detail, the job list or the log API', async () => {
    expectNoSecret('job detail', JSON.stringify(job))
    const list = await t.request().get('/api/jobs').expect(200)
    expect(list.text).to.contain(jobId)
    expectNoSecret('job list', list.text)
    expectNoSecret('GET logs', logsText)
    expect(logsText).to.contain(MASK)
    const step = await t.request().get(`/api/jobs/${jobId}/steps/inside-text/logs`).expect(200)
    expectNoSecret('GET step logs', step.text)
  })

  it('leaves no secret in the JSONL files on disk', async () => {
    const files = await jsonlFiles(t.logDir)
    expect(files.length).to.be.at.least(1)
    let all = ''
    for (const f of files) all += await readFile(f, 'utf8')
    expect(all).to.contain(MASK)
    expectNoSecret('log files', all)
    const lines = all.split('\n').filter(Boolean)
    expect(lines.length).to.equal(logs.length)
  })

  it('sends the same masked lines over the WebSocket stream', () => {
    expect(streamed.code).to.equal(1000)
    const messages = streamed.raw.map((m) => JSON.parse(m) as Record<string, unknown>)
    expect(messages.at(-1)).to.include({ type: 'end', job_id: jobId, status: 'failed' })
    expect(messages.slice(0, -1)).to.deep.equal(logs)
    expectNoSecret('WebSocket stream', streamed.raw.join('\n'))
  })

  it('still masks a line appended after the job log was closed', async () => {
    const { logs } = await t.app.ready
    await logs.store.close(jobId)
    const { records } = await logs.store.append(jobId, [
      { ts: new Date().toISOString(), stream: 'stdout', step: '_server', line: INPUT.passphrase },
    ])
    expect(records.map((r) => JSON.parse(r.json).line)).to.deep.equal([MASK])
  })

  it('hides a secret input shorter than four characters in the API (logs keep it)', async () => {
    const id = await execute(t, 'short-values', { passphrase: 'p1', api_password: 'x' }, 'secrets')
    const detail = await waitForJob(t, id, 20000)
    expect(detail.input).to.deep.equal({ passphrase: MASK, api_password: MASK })
    expect(detail.steps[0].input).to.deep.equal({ passphrase: MASK })
    const res = await t.request().get(`/api/jobs/${id}/steps/echo/logs`).expect(200)
    expect(res.body.logs).to.contain('"line":"p1"')
  })
})
