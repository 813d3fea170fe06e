import { expect } from 'chai'
import { createFrontendCounter, emptyCounts } from '../../../scripts/bench/wire-counter.ts'

function startup(code = 196608): Buffer {
  const b = Buffer.alloc(8)
  b.writeInt32BE(8, 0)
  b.writeInt32BE(code, 4)
  return b
}

function message(type: string, body = ''): Buffer {
  const payload = Buffer.from(body ? `${body}\0` : '')
  const head = Buffer.alloc(5)
  head.write(type, 0)
  head.writeInt32BE(4 + payload.length, 1)
  return Buffer.concat([head, payload])
}

/** One extended-protocol statement: Parse, Bind, Describe, Execute, Sync. */
const extended = () =>
  Buffer.concat([message('P', 'select 1'), message('B'), message('D'), message('E'), message('S')])

describe('wire statement counter', () => {
  it('counts simple queries and executions after the startup message', () => {
    const counts = emptyCounts()
    const feed = createFrontendCounter(counts)
    feed(Buffer.concat([startup(), message('Q', 'select 1'), extended(), extended()]))
    expect(counts).to.deep.include({ simpleQueries: 1, executes: 2 })
  })

  it('skips an SSL request before the startup message', () => {
    const counts = emptyCounts()
    const feed = createFrontendCounter(counts)
    feed(Buffer.concat([startup(80877103), startup(), message('Q', 'select 1')]))
    expect(counts.simpleQueries).to.equal(1)
  })

  it('reassembles messages split at any byte', () => {
    const counts = emptyCounts()
    const feed = createFrontendCounter(counts)
    const all = Buffer.concat([
      startup(),
      message('Q', 'begin'),
      extended(),
      message('Q', 'commit'),
    ])
    for (let i = 0; i < all.length; i++) feed(all.subarray(i, i + 1))
    expect(counts).to.deep.equal({
      simpleQueries: 2,
      executes: 1,
      explicitTransactions: 1,
      singleStatementTransactions: 0,
    })
  })

  it('tells BEGIN…COMMIT blocks from statements that are transactions of their own', () => {
    const counts = emptyCounts()
    const feed = createFrontendCounter(counts)
    feed(startup())
    feed(Buffer.concat([message('Q', 'BEGIN'), extended(), extended(), message('Q', 'COMMIT')]))
    feed(Buffer.concat([extended(), message('Q', 'select 2')]))
    feed(Buffer.concat([message('Q', 'start transaction isolation level serializable')]))
    feed(message('Q', 'rollback'))
    expect(counts).to.deep.include({ explicitTransactions: 2, singleStatementTransactions: 2 })
  })
})
