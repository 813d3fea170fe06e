import { expect } from 'chai'
import { createDockerStreamDemuxer } from '../../../../src/runner/executors/docker-stream.ts'

function frame(stream: number, text: string): Buffer {
  const payload = Buffer.from(text)
  const header = Buffer.alloc(8)
  header[0] = stream
  header.writeUInt32BE(payload.length, 4)
  return Buffer.concat([header, payload])
}

function demux(chunks: Buffer[]) {
  const out: Array<['stdout' | 'stderr', string]> = []
  const d = createDockerStreamDemuxer({
    stdout: (b) => out.push(['stdout', b.toString()]),
    stderr: (b) => out.push(['stderr', b.toString()]),
  })
  for (const c of chunks) d.push(c)
  return { out, pending: d.pending }
}

describe('Docker attach stream demultiplexing', () => {
  it('splits frames into stdout and stderr', () => {
    const data = Buffer.concat([frame(1, 'out\n'), frame(2, 'err\n'), frame(1, 'more')])
    expect(demux([data])).to.deep.equal({
      out: [
        ['stdout', 'out\n'],
        ['stderr', 'err\n'],
        ['stdout', 'more'],
      ],
      pending: 0,
    })
  })

  it('reassembles headers and payloads cut anywhere, byte by byte', () => {
    const data = Buffer.concat([frame(1, 'héllo\n'), frame(2, 'x'.repeat(300))])
    const parts = { stdout: [] as Buffer[], stderr: [] as Buffer[] }
    const d = createDockerStreamDemuxer({
      stdout: (b) => parts.stdout.push(Buffer.from(b)),
      stderr: (b) => parts.stderr.push(Buffer.from(b)),
    })
    for (const b of data) d.push(Buffer.from([b]))
    expect(Buffer.concat(parts.stdout).toString()).to.equal('héllo\n')
    expect(Buffer.concat(parts.stderr).toString()).to.equal('x'.repeat(300))
    expect(d.pending).to.equal(0)
  })

  it('reports a frame left incomplete', () => {
    const data = frame(1, 'abcdef').subarray(0, 10)
    expect(demux([data])).to.deep.equal({ out: [['stdout', 'ab']], pending: 4 })
  })
})
