import { expect } from 'chai'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createHttpServer } from '../../../src/api/http-server.ts'
import { webUi } from '../../../src/api/middleware/web-ui.ts'
import { healthMiddleware } from '../../../src/api/routes/health.routes.ts'
import { silentLogger } from '../../../src/shared/logger.ts'
import { buildTestApp, type TestApp } from '../../helpers/test-app.ts'

const INDEX =
  '<!doctype html><title>Weir</title><script type="module" src="/assets/index-AbC123.js"></script>'
const ASSET = 'console.log("weir")'

function uiFolder(): string {
  const dir = mkdtempSync(join(tmpdir(), 'weir-ui-'))
  mkdirSync(join(dir, 'assets'))
  writeFileSync(join(dir, 'index.html'), INDEX)
  writeFileSync(join(dir, 'assets', 'index-AbC123.js'), ASSET)
  writeFileSync(join(dir, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>')
  return dir
}

describe('web UI: static files and the app fallback', function () {
  this.timeout(60_000)
  let t: TestApp
  let dir: string

  before(async function () {
    this.timeout(120_000)
    dir = uiFolder()
    t = await buildTestApp({ worker: false, uiDir: dir })
  })
  after(async () => {
    await t?.close()
    rmSync(dir, { recursive: true, force: true })
  })

  it('serves index.html at / with no-cache and a content security policy', async () => {
    const res = await t.request().get('/').set('Accept', 'text/html').expect(200)
    expect(res.text).to.equal(INDEX)
    expect(res.headers['content-type']).to.equal('text/html; charset=utf-8')
    expect(res.headers['cache-control']).to.equal('no-cache')
    expect(res.headers['content-security-policy']).to.include("default-src 'self'")
  })

  it('serves hashed assets for a year, immutable, and other top-level files with no-cache', async () => {
    const js = await t.request().get('/assets/index-AbC123.js').expect(200)
    expect(js.headers['content-type']).to.equal('text/javascript; charset=utf-8')
    expect(js.headers['cache-control']).to.equal('public, max-age=31536000, immutable')
    expect(js.headers['content-length']).to.equal(String(Buffer.byteLength(ASSET)))
    const head = await t.request().head('/assets/index-AbC123.js').expect(200)
    expect(head.headers['content-length']).to.equal(String(Buffer.byteLength(ASSET)))
    const icon = await t.request().get('/favicon.svg').expect(200)
    expect(icon.headers['content-type']).to.equal('image/svg+xml')
    expect(icon.headers['cache-control']).to.equal('no-cache')
  })

  it('answers index.html for app routes that accept HTML, so a reload of /jobs/<id> works', async () => {
    for (const path of [
      '/jobs',
      '/jobs/7c0e9a52-3f4b-4e0f-9a43-2d8e61b0c5aa',
      '/tasks/default/x',
    ]) {
      const res = await t.request().get(path).set('Accept', 'text/html,*/*;q=0.8').expect(200)
      expect(res.text, path).to.equal(INDEX)
    }
  })

  it('leaves API paths alone: unknown ones keep the JSON 404 envelope', async () => {
    for (const path of [
      '/api/nope',
      '/worker/nope',
      '/hooks',
      '/metrics/x',
      '/healthz/x',
      '/API/x',
    ]) {
      const res = await t.request().get(path).set('Accept', 'text/html')
      expect(res.status, path).to.be.oneOf([404, 405])
      expect(res.headers['content-type'], path).to.match(/^application\/json/)
      expect(res.body.code, path).to.be.oneOf(['not_found', 'method_not_allowed'])
    }
    await t.request().get('/healthz').set('Accept', 'text/html').expect(200, { status: 'ok' })
    const jobs = await t.request().get('/api/jobs').set('Accept', 'text/html').expect(200)
    expect(jobs.body).to.deep.equal([])
  })

  it('answers 404 JSON for a missing asset, a non-HTML client, a path outside the folder and other methods', async () => {
    const missing = await t.request().get('/assets/gone-123.js').expect(404)
    expect(missing.body).to.deep.equal({
      error: 'no such UI asset: /assets/gone-123.js',
      code: 'not_found',
    })
    const json = await t.request().get('/jobs').set('Accept', 'application/json').expect(404)
    expect(json.body.code).to.equal('not_found')
    const escape = await t
      .request()
      .get('/%2e%2e/%2e%2e/etc/passwd')
      .set('Accept', 'application/json')
    expect(escape.status).to.equal(404)
    const post = await t.request().post('/').send({})
    expect(post.status).to.equal(404)
    expect(post.body.code).to.equal('not_found')
  })

  it('says the UI is not built when its folder has no index.html', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'weir-ui-empty-'))
    const http = createHttpServer({
      logger: silentLogger(),
      health: healthMiddleware(async () => ({ ready: false, shuttingDown: false, checks: {} })),
      ui: webUi(empty),
    })
    const { port } = await http.listen('127.0.0.1:0')
    try {
      const res = await fetch(`http://127.0.0.1:${port}/`, { headers: { Accept: 'text/html' } })
      expect(res.status).to.equal(404)
      expect(((await res.json()) as { error: string }).error).to.match(/web UI is not built/)
    } finally {
      await http.close()
      rmSync(empty, { recursive: true, force: true })
    }
  })

  it('serves the page while the readiness gate holds, and keeps the API at 503', async () => {
    const http = createHttpServer({
      logger: silentLogger(),
      health: healthMiddleware(async () => ({ ready: false, shuttingDown: false, checks: {} })),
      ui: webUi(dir),
    })
    const { port } = await http.listen('127.0.0.1:0')
    try {
      const page = await fetch(`http://127.0.0.1:${port}/jobs`, {
        headers: { Accept: 'text/html' },
      })
      expect(page.status).to.equal(200)
      expect(await page.text()).to.equal(INDEX)
      const asset = await fetch(`http://127.0.0.1:${port}/assets/index-AbC123.js`)
      expect(asset.status).to.equal(200)
      const api = await fetch(`http://127.0.0.1:${port}/api/config`, {
        headers: { Accept: 'text/html' },
      })
      expect(api.status).to.equal(503)
      expect(((await api.json()) as { code: string }).code).to.equal('unavailable')
    } finally {
      await http.close()
    }
  })
})
