import { expect } from 'chai'
import { chunkLines } from '../../../src/runner/log-chunks.ts'

const line = (i: number, text = `line ${i}`) => ({ ts: 't', stream: 'stdout' as const, line: text })

describe('log push chunks', () => {
  it('keeps a small batch whole and drops fields the wire does not carry', () => {
    expect(chunkLines([{ ...line(1), continues: true }, line(2)])).to.deep.equal([
      [
        { ts: 't', stream: 'stdout', line: 'line 1' },
        { ts: 't', stream: 'stdout', line: 'line 2' },
      ],
    ])
  })

  it('splits at the line limit, keeping order', () => {
    const chunks = chunkLines(Array.from({ length: 2500 }, (_, i) => line(i)))
    expect(chunks.map((c) => c.length)).to.deep.equal([1000, 1000, 500])
    expect(chunks.flat().map((l) => l.line)).to.deep.equal(
      Array.from({ length: 2500 }, (_, i) => `line ${i}`),
    )
  })

  it('splits at the byte limit; a single oversized line still goes alone', () => {
    const big = 'x'.repeat(100)
    const chunks = chunkLines(
      [line(1, big), line(2, big), line(3, big), line(4, 'y'.repeat(1000))],
      1000,
      400,
    )
    expect(chunks.map((c) => c.map((l) => l.line.length))).to.deep.equal([
      [100, 100],
      [100],
      [1000],
    ])
  })

  it('returns nothing for no lines', () => {
    expect(chunkLines([])).to.deep.equal([])
  })
})
