import { expect } from 'chai'
import { encodeLaunch, FrameDecoder } from '../../../src/runner/executors/spawner-frames.ts'

function frame(kind: string, id: number, payload: Buffer | string): Buffer {
  const body = Buffer.isBuffer(payload) ? payload : Buffer.from(payload)
  const head = Buffer.alloc(9)
  head.writeUInt32BE(5 + body.length, 0)
  head.write(kind, 4, 'latin1')
  head.writeUInt32BE(id, 5)
  return Buffer.concat([head, body])
}

describe('spawner frames (python helper wire format)', () => {
  it('decodes every kind, across chunk boundaries, one byte at a time', () => {
    const pid = Buffer.alloc(4)
    pid.writeUInt32BE(4242, 0)
    const stream = Buffer.concat([
      frame('S', 7, pid),
      frame('O', 7, Buffer.from([0xff, 0x00, 0x41])),
      frame('E', 7, 'oops\n'),
      frame('X', 7, '{"code":3,"signal":null}'),
      frame('F', 8, '{"message":"spawn nope ENOENT","code":"ENOENT"}'),
      frame('X', 9, '{"code":null,"signal":"SIGKILL"}'),
    ])
    const d = new FrameDecoder()
    const out = [...stream].flatMap((byte) => d.push(Buffer.from([byte])))
    expect(out).to.deep.equal([
      { t: 'spawned', id: 7, pid: 4242 },
      { t: 'out', id: 7, d: Buffer.from([0xff, 0x00, 0x41]) },
      { t: 'err', id: 7, d: Buffer.from('oops\n') },
      { t: 'exit', id: 7, code: 3, signal: null },
      { t: 'error', id: 8, message: 'spawn nope ENOENT', code: 'ENOENT' },
      { t: 'exit', id: 9, code: null, signal: 'SIGKILL' },
    ])
  })

  it('skips unknown kinds and malformed payloads without losing the frames after them', () => {
    const d = new FrameDecoder()
    const out = d.push(
      Buffer.concat([frame('?', 1, 'x'), frame('X', 2, 'not json'), frame('E', 3, 'ok')]),
    )
    expect(out).to.deep.equal([{ t: 'err', id: 3, d: Buffer.from('ok') }])
  })

  it('encodes a launch as one frame the helper can read', () => {
    const f = encodeLaunch(5, { command: 'sh', args: ['-c', 'echo é'], cwd: '/tmp', env: {} })
    expect(f.readUInt32BE(0)).to.equal(f.length - 4)
    expect(f.toString('latin1', 4, 5)).to.equal('L')
    expect(f.readUInt32BE(5)).to.equal(5)
    expect(JSON.parse(f.subarray(9).toString('utf8'))).to.deep.equal({
      command: 'sh',
      args: ['-c', 'echo é'],
      cwd: '/tmp',
      env: {},
    })
  })
})
