import { expect } from 'chai'
import { LogOwners } from '../../../src/cluster/log-owners.ts'

describe('log owners cache', () => {
  it('answers known owners without a lookup, looks others up once', async () => {
    const lookups: string[] = []
    const owners = new LogOwners(async (id) => {
      lookups.push(id)
      return id === 'missing' ? undefined : `owner-of-${id}`
    })
    owners.set('a', 'me')
    expect(owners.cached('a')).to.equal('me')
    expect(await owners.resolve('a')).to.equal('me')
    expect(await owners.resolve('b')).to.equal('owner-of-b')
    expect(await owners.resolve('b')).to.equal('owner-of-b')
    expect(await owners.resolve('missing')).to.equal(undefined)
    expect(lookups).to.deep.equal(['b', 'missing'])
  })

  it('keeps at most `max` entries, dropping the least recently set', () => {
    const owners = new LogOwners(async () => undefined, 2)
    owners.set('a', 'x')
    owners.set('b', 'x')
    owners.set('a', 'y')
    owners.set('c', 'x')
    expect(owners.cached('b')).to.equal(undefined)
    expect(owners.cached('a')).to.equal('y')
    expect(owners.cached('c')).to.equal('x')
  })
})
