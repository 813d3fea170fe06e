import { expect } from 'chai'
import { execute, type TestApp } from '../../helpers/test-app.ts'
import { waitFor } from '../../helpers/wait-for.ts'
import { buildProtocolApp, registerWorker, type RegisteredWorker } from './protocol-client.ts'

describe('worker protocol over a listening server', function () {
  this.timeout(25000)
  let t: TestApp
  let base: string
  before(async function () {
    this.timeout(60000)
    t = await buildProtocolApp()
    base = `http://127.0.0.1:${(await t.app.listen()).port}`
  })
  after(async () => {
    await t?.close()
  })

  const claimOverFetch = (w: RegisteredWorker, waitSecs: number, signal?: AbortSignal) =>
    fetch(`${base}/worker/claim`, {
      method: 'POST',
      headers: { authorization: `Bearer ${w.secret}`, 'content-type': 'application/json' },
      body: JSON.stringify({ wait_secs: waitSecs }),
      signal,
    })
  const waiting = async (n: number) => {
    const { steps: remoteSteps } = (await t.app.ready).workers
    await waitFor(() => remoteSteps.waitingClaims === n, { what: `${n} waiting claims` })
  }

  it('wakes a long-poll claim when a job is executed', async () => {
    const w = await registerWorker(t)
    const res = claimOverFetch(w, 20)
    await waiting(1)
    const jobId = await execute(t, 'one-step')
    const claimed = await res
    expect(claimed.status).to.equal(200)
    expect(((await claimed.json()) as { job_id: string }).job_id).to.equal(jobId)
    await t.reset()
  })

  it('claims nothing for a client that went away while waiting', async () => {
    const gone = await registerWorker(t)
    const ac = new AbortController()
    const abandoned = claimOverFetch(gone, 20, ac.signal).catch((e: Error) => e)
    await waiting(1)
    ac.abort()
    expect(await abandoned).to.be.instanceOf(Error)
    await waiting(0)
    const jobId = await execute(t, 'one-step')
    const next = await registerWorker(t)
    const res = await claimOverFetch(next, 5)
    expect(res.status).to.equal(200)
    expect(await res.json()).to.include({ job_id: jobId, attempt: 1 })
    await t.reset()
  })

  it('answers a waiting claim with 204 when the server stops', async () => {
    const w = await registerWorker(t)
    const res = claimOverFetch(w, 25)
    await waiting(1)
    const stopped = t.app.stop()
    expect((await res).status).to.equal(204)
    await stopped
  })
})
