import { expect } from 'chai'
import { revisionsToPrune, type CachedRevision } from '../../../src/runner/revision-cache.ts'

const rev = (revision: string, lastUse: number, inUse = false): CachedRevision => ({
  revision,
  lastUse,
  inUse,
})

describe('which cached revisions go (revisionsToPrune)', () => {
  it('keeps the most recently used ones', () => {
    const all = [rev('a', 1), rev('b', 4), rev('c', 3), rev('d', 2)]
    expect(revisionsToPrune(all, 2).sort()).to.deep.equal(['a', 'd'])
  })

  it('never removes a revision a step runs in', () => {
    const all = [rev('a', 1, true), rev('b', 4), rev('c', 3)]
    expect(revisionsToPrune(all, 1)).to.deep.equal(['c'])
  })

  it('removes folders of an earlier run (never used in this one) first, in name order', () => {
    const all = [rev('old2', -1), rev('old1', -1), rev('new', 5)]
    expect(revisionsToPrune(all, 2)).to.deep.equal(['old2'])
  })

  it('removes nothing while there are no more than `keep`', () => {
    expect(revisionsToPrune([rev('a', 1), rev('b', 2)], 3)).to.deep.equal([])
  })
})
