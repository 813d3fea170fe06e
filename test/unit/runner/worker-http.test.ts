import { expect } from 'chai'
import { Readable } from 'node:stream'
import { WorkerHttp } from '../../../src/runner/worker-http.ts'

type Init = RequestInit & { duplex?: string }

/** A fetch that records its calls and answers `reply`. */
function recordingFetch(reply: () => Response) {
  const calls: Array<{ url: string; init: Init }> = []
  const impl = (async (url: string, init: Init) => {
    calls.push({ url, init })
    return reply()
  }) as unknown as typeof fetch
  return { calls, impl }
}

describe('WorkerHttp.stream', () => {
  it('streams an upload body as it is read, never following a redirect (which would tee it)', async () => {
    let pulled = 0
    async function* source(): AsyncGenerator<Uint8Array> {
      for (let i = 0; i < 3; i++) {
        pulled++
        yield Buffer.from(`part${i};`)
      }
    }
    const f = recordingFetch(() => new Response('{"id":"a"}', { status: 201 }))
    const http = new WorkerHttp('http://server.test/', { fetch: f.impl })
    const res = await http.stream('POST', '/worker/x', {
      bearer: 'secret',
      leaseToken: 'tok',
      timeoutMs: 1000,
      body: source(),
      contentLength: 18,
    })
    expect(res.status).to.equal(201)
    const { url, init } = f.calls[0]!
    expect(url).to.equal('http://server.test/worker/x')
    expect(init.redirect).to.equal('error')
    expect(init.duplex).to.equal('half')
    expect(init.body).to.be.instanceOf(Readable)
    expect(pulled, 'nothing read before fetch reads the body').to.equal(0)
    const chunks: string[] = []
    for await (const c of init.body as Readable) chunks.push(String(c))
    expect(chunks.join('')).to.equal('part0;part1;part2;')
    expect(init.headers).to.include({
      authorization: 'Bearer secret',
      'x-lease-token': 'tok',
      'content-length': '18',
      'content-type': 'application/octet-stream',
    })
  })

  it('follows redirects as fetch does when there is no body to send', async () => {
    const f = recordingFetch(() => new Response('x', { status: 200 }))
    await new WorkerHttp('http://server.test', { fetch: f.impl }).stream('GET', '/worker/y', {
      bearer: 'secret',
      timeoutMs: 1000,
    })
    expect(f.calls[0]!.init.redirect).to.equal(undefined)
    expect(f.calls[0]!.init.body).to.equal(undefined)
  })
})
