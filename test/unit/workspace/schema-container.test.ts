import { expect } from 'chai'
import { parseCpu, parseMemory } from '../../../src/workspace/schema-container.ts'

describe('container resources', () => {
  it('reads cpu as CPUs or millicores, in billionths of a CPU', () => {
    expect(parseCpu(0.5)).to.equal(500_000_000)
    expect(parseCpu('2')).to.equal(2_000_000_000)
    expect(parseCpu('250m')).to.equal(250_000_000)
    for (const bad of [0, -1, 'lots', '1.5 cores', 2000, null]) {
      expect(parseCpu(bad), String(bad)).to.equal(undefined)
    }
  })

  it('reads memory in powers of 1024 as docker run --memory does, at least 6 MiB', () => {
    expect(parseMemory('64m')).to.equal(64 * 1024 ** 2)
    expect(parseMemory('64Mi')).to.equal(64 * 1024 ** 2)
    expect(parseMemory('1g')).to.equal(1024 ** 3)
    expect(parseMemory('1.5GiB')).to.equal(1.5 * 1024 ** 3)
    expect(parseMemory(16777216)).to.equal(16777216)
    for (const bad of ['1k', 1024, '12 parsecs', 'm', true]) {
      expect(parseMemory(bad), String(bad)).to.equal(undefined)
    }
  })
})
