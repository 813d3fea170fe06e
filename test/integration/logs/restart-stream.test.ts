import { expect } from 'chai'
import { writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { buildTestApp, execute, waitForJob, type TestApp } from '../../helpers/test-app.ts'
import { openLogStream, type LogLineMessage } from '../../helpers/ws-client.ts'

const STREAMS = resolve(import.meta.dirname, '../../fixtures/streams')
const TUNING = {
  cluster: {
    heartbeatMs: 200,
    lapseSecs: 1,
    takeoverMs: 200,
    followCheckMs: 200,
    drainPollMs: 300,
  },
}

describe('log stream across a server restart', function () {
  this.timeout(60000)
  let first: TestApp | undefined
  let second: TestApp | undefined

  after(async () => {
    await second?.close()
    await first?.close()
  })

  // About 15 s: two server starts, a graceful stop (2 s grace), and the retry's 1 s delay.
  it('a client that reconnects with after_seq gets the rest once, then the end marker', async () => {
    first = await buildTestApp({ workspaces: { streams: STREAMS }, tuning: TUNING })
    const port = (await first.app.listen()).port
    const base = `127.0.0.1:${port}`
    const marker = join(first.logDir, 'go')
    const id = await execute(first, 'wait-marker-retry', { marker, count: '5' }, 'streams')
    const before = await openLogStream(base, id)
    await before.waitForLine((l) => l.line === 'attempt 1 before 5')

    // Restart: the running attempt is stopped with the server; its retry runs on the new one.
    await first.app.stop()
    const { code } = await before.closed
    expect(code).to.equal(1001)
    second = await buildTestApp({
      workspaces: { streams: STREAMS },
      shared: { database: first.database, logDir: first.logDir },
      listen: `127.0.0.1:${port}`,
      tuning: TUNING,
    })
    await second.app.listen()
    const after = await openLogStream(base, id, before.lastSeq())
    await after.waitForLine((l) => l.line === 'attempt 2 before 5', 20000)
    writeFileSync(marker, '')
    const { code: endCode } = await after.closed
    expect(endCode).to.equal(1000)
    const job = await waitForJob(second, id)
    expect(job.status).to.equal('completed')

    const received: LogLineMessage[] = [...before.lines, ...after.lines]
    const seqs = received.map((l) => l.seq)
    expect(seqs).to.deep.equal(Array.from({ length: seqs.length }, (_, i) => i + 1))
    expect(after.end).to.deep.include({ job_id: id, status: 'completed', last_seq: seqs.length })
    expect(after.afterEnd).to.equal(0)
    const stored = (await second.request().get(`/api/jobs/${id}/logs`).expect(200)).body
      .logs as string
    expect(received.map((l) => JSON.stringify(l))).to.deep.equal(
      stored.split('\n').filter((l) => l !== ''),
    )
    expect(received.filter((l) => l.line.startsWith('attempt 2 after'))).to.have.length(5)
  })
})
