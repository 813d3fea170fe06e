import { expect } from 'chai'
import { createLineSplitter } from '../../../../src/runner/executors/line-splitter.ts'

function collect(maxBytes?: number) {
  const pieces: Array<[string, boolean]> = []
  const splitter = createLineSplitter((p, ends) => pieces.push([p, ends]), maxBytes)
  return { pieces, splitter, lines: () => pieces.map(([p]) => p) }
}

describe('line splitter', () => {
  it('splits on newlines across chunks and emits the unterminated last line at end', () => {
    const c = collect()
    c.splitter.push(Buffer.from('one\ntw'))
    expect(c.lines()).to.deep.equal(['one'])
    c.splitter.push(Buffer.from('o\n\nthree'))
    expect(c.lines()).to.deep.equal(['one', 'two', ''])
    c.splitter.end()
    expect(c.lines()).to.deep.equal(['one', 'two', '', 'three'])
  })

  it('drops one trailing carriage return, even when split from its newline', () => {
    const c = collect()
    c.splitter.push(Buffer.from('a\r\nb\r'))
    c.splitter.push(Buffer.from('\nc\r\r\n'))
    c.splitter.end()
    expect(c.lines()).to.deep.equal(['a', 'b', 'c\r'])
  })

  it('decodes a multi-byte character cut between chunks', () => {
    const c = collect()
    const bytes = Buffer.from('é😀\n')
    for (const b of bytes) c.splitter.push(Buffer.from([b]))
    expect(c.lines()).to.deep.equal(['é😀'])
  })

  it('turns invalid bytes into U+FFFD, including a truncated sequence at the end', () => {
    const c = collect()
    c.splitter.push(Buffer.from([0x61, 0xff, 0x62, 0x0a, 0xe2, 0x82]))
    c.splitter.end()
    expect(c.lines()).to.deep.equal(['a\uFFFDb', '\uFFFD'])
  })

  it('cuts long lines into pieces marked as continued, before the newline arrives', () => {
    const c = collect(8)
    c.splitter.push(Buffer.from('abcdefghijklmnopqrstu'))
    expect(c.pieces).to.deep.equal([
      ['abcdefgh', false],
      ['ijklmnop', false],
    ])
    c.splitter.push(Buffer.from('vwxyz\nok\n'))
    expect(c.pieces.slice(2)).to.deep.equal([
      ['qrstuvwx', false],
      ['yz', true],
      ['ok', true],
    ])
  })

  it('keeps a leading byte order mark', () => {
    const c = collect()
    c.splitter.push(Buffer.from('\uFEFFhi\n'))
    expect(c.lines()).to.deep.equal(['\uFEFFhi'])
  })
})
