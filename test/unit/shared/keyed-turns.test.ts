import { expect } from 'chai'
import { KeyedTurns } from '../../../src/shared/keyed-turns.ts'

describe('KeyedTurns', () => {
  it('runs the tasks of one key one after another, other keys alongside', async () => {
    const turns = new KeyedTurns()
    const log: string[] = []
    let releaseA: () => void = () => undefined
    const a1 = turns.run('a', async () => {
      log.push('a1 start')
      await new Promise<void>((r) => (releaseA = r))
      log.push('a1 end')
    })
    const a2 = turns.run('a', async () => {
      log.push('a2')
    })
    const b1 = turns.run('b', async () => {
      log.push('b1')
    })
    await b1
    expect(log).to.deep.equal(['a1 start', 'b1'])
    releaseA()
    await Promise.all([a1, a2])
    expect(log).to.deep.equal(['a1 start', 'b1', 'a1 end', 'a2'])
  })

  it('runs the next task after a failed one, and the failure reaches its own caller only', async () => {
    const turns = new KeyedTurns()
    const failed = turns.run('k', async () => {
      throw new Error('boom')
    })
    const next = turns.run('k', async () => 'next ran')
    expect(
      await failed.then(
        () => 'ok',
        (e: Error) => e.message,
      ),
    ).to.equal('boom')
    expect(await next).to.equal('next ran')
    await turns.allIdle()
    await turns.idle('k')
  })
})
