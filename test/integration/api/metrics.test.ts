import { expect } from 'chai'
import { buildTestApp, execute, waitForJob, type TestApp } from '../../helpers/test-app.ts'

/** The value of one sample line (`name{labels} value`) in Prometheus text, or undefined. */
function sample(
  text: string,
  name: string,
  labels: Record<string, string> = {},
): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue
    const m = /^([a-z_]+)(?:\{(.*)\})? (\S+)$/.exec(line)
    if (!m || m[1] !== name) continue
    const got = Object.fromEntries(
      [...(m[2] ?? '').matchAll(/([a-z_]+)="([^"]*)"/g)].map((x) => [x[1], x[2]]),
    )
    if (Object.entries(labels).every(([k, v]) => got[k] === v)) return Number(m[3])
  }
  return undefined
}

describe('GET /metrics', function () {
  this.timeout(30_000)

  describe('open (no auth, no token)', () => {
    let t: TestApp
    before(async () => {
      t = await buildTestApp()
    })
    after(async () => t.close())

    it('counts jobs, requests by route pattern, and reads the gauges from the database', async () => {
      const jobId = await execute(t, 'hello-world', { name: 'Metrics' })
      await waitForJob(t, jobId)
      await t.request().get('/api/jobs/00000000-0000-7000-8000-00000000beef').expect(404)
      const res = await t.request().get('/metrics').expect(200)
      expect(res.headers['content-type']).to.match(/^text\/plain; version=0\.0\.4/)
      const text = res.text
      expect(
        sample(text, 'weir_jobs_created_total', { workspace: 'default', source_type: 'api' }),
      ).to.equal(1)
      expect(
        sample(text, 'weir_jobs_finished_total', { workspace: 'default', status: 'completed' }),
      ).to.equal(1)
      expect(
        sample(text, 'weir_http_requests_total', {
          method: 'POST',
          route: '/api/workspaces/:ws/tasks/:task/execute',
          status: '200',
        }),
      ).to.equal(1)
      expect(
        sample(text, 'weir_http_requests_total', { route: '/api/jobs/:id', status: '404' }),
      ).to.equal(1)
      expect(text).not.to.contain('beef')
      expect(sample(text, 'weir_jobs', { status: 'running' })).to.equal(0)
      expect(sample(text, 'weir_steps_ready')).to.equal(0)
    })
  })

  describe('with metrics.token', () => {
    let t: TestApp
    before(async () => {
      t = await buildTestApp({ worker: false, env: { WEIR__METRICS__TOKEN: 'scrape-secret-1' } })
    })
    after(async () => t.close())

    it('refuses a scrape without the token or with a wrong one', async () => {
      const none = await t.request().get('/metrics').expect(401)
      expect(none.body.error).to.match(/Bearer/)
      await t.request().get('/metrics').set('Authorization', 'Bearer wrong-token').expect(401)
    })

    it('serves it with the token, and counts waiting steps', async () => {
      await execute(t, 'hello-world', { name: 'Queued' })
      const res = await t
        .request()
        .get('/metrics')
        .set('Authorization', 'Bearer scrape-secret-1')
        .expect(200)
      expect(sample(res.text, 'weir_jobs', { status: 'pending' })).to.equal(1)
      expect(sample(res.text, 'weir_steps_ready')).to.equal(1)
    })
  })
})
