import { expect } from 'chai'
import {
  endMarker,
  serializeLogLine,
  splitLongLine,
  toWellFormedLine,
} from '../../../src/logs/log-record.ts'

const bytes = (s: string) => Buffer.byteLength(s)

describe('log records', () => {
  it('serialises the keys in the documented order with no trailing newline', () => {
    const json = serializeLogLine({
      seq: 3,
      line: 'Hello, "World"!',
      step: 'build-greeting',
      stream: 'stdout',
      ts: '2026-03-02T10:00:00.412Z',
    })
    expect(json).to.equal(
      '{"ts":"2026-03-02T10:00:00.412Z","stream":"stdout","step":"build-greeting","line":"Hello, \\"World\\"!","seq":3}',
    )
  })

  it('builds the end marker', () => {
    expect(endMarker('j1', 'completed', 9)).to.equal(
      '{"type":"end","job_id":"j1","status":"completed","last_seq":9}',
    )
  })

  describe('splitLongLine', () => {
    it('keeps short and empty lines whole', () => {
      expect(splitLongLine('abc', 8)).to.deep.equal(['abc'])
      expect(splitLongLine('', 8)).to.deep.equal([''])
    })

    it('splits 200 KiB of ASCII into 64 KiB pieces', () => {
      const pieces = splitLongLine('a'.repeat(200 * 1024))
      expect(pieces.map((p) => p.length)).to.deep.equal([65536, 65536, 65536, 8192])
    })

    it('never cuts inside a multi-byte character or a surrogate pair', () => {
      const line = 'é😀€x'.repeat(1000)
      const pieces = splitLongLine(line, 10)
      expect(pieces.join('')).to.equal(line)
      for (const p of pieces) {
        expect(bytes(p)).to.be.at.most(10)
        expect(toWellFormedLine(p)).to.equal(p)
      }
      expect(pieces.slice(0, -1).every((p) => bytes(p) >= 7)).to.equal(true)
    })

    it('puts exactly maxBytes in a piece when the characters allow it', () => {
      expect(splitLongLine('ééééé', 4)).to.deep.equal(['éé', 'éé', 'é'])
    })
  })

  it('replaces lone surrogates with U+FFFD and keeps pairs', () => {
    expect(toWellFormedLine('a\uD800b\uDC00c😀')).to.equal('a\uFFFDb\uFFFDc😀')
  })
})
