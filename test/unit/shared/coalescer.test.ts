import { expect } from 'chai'
import { createCoalescer } from '../../../src/shared/coalescer.ts'

/** A flush whose calls the test releases one by one. */
function gatedFlush(fail: (items: number[]) => boolean = () => false) {
  const calls: number[][] = []
  const gates: Array<() => void> = []
  const flush = async (items: number[]): Promise<number[]> => {
    calls.push(items)
    await new Promise<void>((r) => gates.push(r))
    if (fail(items)) throw new Error(`bad batch ${items.join(',')}`)
    return items.map((i) => i * 10)
  }
  const release = async () => {
    while (gates.length === 0) await Promise.resolve()
    gates.shift()!()
  }
  return { calls, flush, release }
}

describe('createCoalescer', () => {
  it('flushes the first item at once and batches the items added while a flush runs', async () => {
    const g = gatedFlush()
    const add = createCoalescer(g.flush)
    const first = add(1)
    expect(g.calls).to.deep.equal([[1]])
    const rest = [add(2), add(3), add(4)]
    await g.release()
    expect(await first).to.equal(10)
    await g.release()
    expect(await Promise.all(rest)).to.deep.equal([20, 30, 40])
    expect(g.calls).to.deep.equal([[1], [2, 3, 4]])
  })

  it('fails every item of a failed batch, or with isolateFailures only the bad one', async () => {
    for (const isolateFailures of [false, true]) {
      const g = gatedFlush((items) => items.includes(3))
      const add = createCoalescer(g.flush, { isolateFailures })
      const first = add(1)
      const batch = [add(2), add(3)].map((p) =>
        p.then(
          (v) => `ok ${v}`,
          () => 'failed',
        ),
      )
      await g.release() // [1]
      await first
      await g.release() // [2, 3] fails
      if (isolateFailures) {
        await g.release() // [2] alone
        await g.release() // [3] alone
      }
      expect(await Promise.all(batch), String(isolateFailures)).to.deep.equal(
        isolateFailures ? ['ok 20', 'failed'] : ['failed', 'failed'],
      )
    }
  })

  it('splits a long queue into batches of maxBatch', async () => {
    const g = gatedFlush()
    const add = createCoalescer(g.flush, { maxBatch: 2 })
    const all = [1, 2, 3, 4, 5].map((i) => add(i))
    for (let i = 0; i < 3; i++) await g.release()
    expect(await Promise.all(all)).to.deep.equal([10, 20, 30, 40, 50])
    expect(g.calls).to.deep.equal([[1], [2, 3], [4, 5]])
  })
})
