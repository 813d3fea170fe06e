import { expect } from 'chai'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { WorkerHttp, type CallRecord } from '../../../src/runner/worker-http.ts'

/** A loopback server that answers each POST with `answer(path, body)`, or never for `/hang`. */
async function jsonServer(): Promise<{ server: Server; base: string }> {
  const server = createServer((req, res) => {
    let body = ''
    req.setEncoding('utf8')
    req.on('data', (c: string) => (body += c))
    req.on('end', () => {
      if (req.url === '/api/hang') return
      res.setHeader('content-type', 'application/json')
      res.statusCode = req.url === '/api/missing' ? 404 : 200
      res.end(
        JSON.stringify({
          path: req.url,
          auth: req.headers.authorization,
          lease: req.headers['x-lease-token'] ?? null,
          got: JSON.parse(body) as unknown,
        }),
      )
    })
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  return { server, base: `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/` }
}

describe('WorkerHttp.post over a real socket', () => {
  let s: { server: Server; base: string }
  before(async () => {
    s = await jsonServer()
  })
  after(() => {
    s.server.closeAllConnections()
    s.server.close()
  })

  it('sends the JSON body with its headers under the base path and parses the answer, on one kept-alive connection', async () => {
    const calls: CallRecord[] = []
    const http = new WorkerHttp(s.base, { onCall: (c) => calls.push(c) })
    let connections = 0
    s.server.on('connection', () => connections++)
    try {
      for (const seq of [1, 2, 3]) {
        const reply = await http.post(
          '/claim',
          { seq },
          { bearer: 'sec', leaseToken: 'tok', timeoutMs: 5000 },
        )
        expect(reply).to.deep.equal({
          status: 200,
          body: { path: '/api/claim', auth: 'Bearer sec', lease: 'tok', got: { seq } },
        })
      }
      const missing = await http.post('/missing', {}, { bearer: 'sec', timeoutMs: 5000 })
      expect(missing.status).to.equal(404)
      expect(connections).to.equal(1)
      expect(calls.map((c) => [c.path, c.status])).to.deep.equal([
        ['/claim', 200],
        ['/claim', 200],
        ['/claim', 200],
        ['/missing', 404],
      ])
      expect(calls.every((c) => c.endMs >= c.startMs)).to.equal(true)
    } finally {
      http.close()
    }
  })

  it('answers status null naming why when no answer comes: a timeout, a refused connection, an abort', async () => {
    const http = new WorkerHttp(s.base)
    try {
      const hung = await http.post('/hang', {}, { bearer: 'x', timeoutMs: 100 })
      expect(hung).to.deep.equal({ status: null, body: null, error: 'no answer within 100 ms' })
      const stop = new AbortController()
      const pending = http.post('/hang', {}, { bearer: 'x', timeoutMs: 5000, signal: stop.signal })
      stop.abort()
      const aborted = await pending
      expect(aborted.status).to.equal(null)
    } finally {
      http.close()
    }
    const closed = createServer()
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r))
    const port = (closed.address() as AddressInfo).port
    await new Promise<void>((r) => closed.close(() => r()))
    const refused = new WorkerHttp(`http://127.0.0.1:${port}`)
    try {
      const reply = await refused.post('/x', {}, { bearer: 'x', timeoutMs: 5000 })
      expect(reply.status).to.equal(null)
      expect((reply as { error: string }).error).to.contain('ECONNREFUSED')
    } finally {
      refused.close()
    }
  })
})
