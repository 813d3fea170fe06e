import { expect } from 'chai'
import {
  MAX_CYCLES_PER_COMPONENT,
  dependantsOf,
  findCycles,
  leafSteps,
  topologicalOrder,
  upstreamClosure,
  type DagNode,
} from '../../../src/flow/dag.ts'

/** Builds nodes from `{ step: [deps] }`, keeping key order as the flow's YAML order. */
function dag(spec: Record<string, string[]>): DagNode[] {
  return Object.entries(spec).map(([name, dependsOn]) => ({ name, dependsOn }))
}

const diamond = dag({ d: ['b', 'c'], b: ['a'], c: ['a'], a: [] })

describe('flow/dag', () => {
  describe('findCycles', () => {
    const cases: Array<{ name: string; nodes: DagNode[]; cycles: string[][] }> = [
      { name: 'an empty flow', nodes: [], cycles: [] },
      { name: 'a diamond without a cycle', nodes: diamond, cycles: [] },
      { name: 'a self-loop', nodes: dag({ a: ['a'], b: ['a'] }), cycles: [['a', 'a']] },
      {
        name: 'a 2-cycle',
        nodes: dag({ y: ['x'], x: ['y'] }),
        cycles: [['x', 'y', 'x']],
      },
      {
        name: 'a 3-cycle, started at its smallest name and following depends_on',
        nodes: dag({ test: ['package'], package: ['build'], build: ['test'] }),
        cycles: [['build', 'test', 'package', 'build']],
      },
      {
        name: 'two disjoint cycles, sorted',
        nodes: dag({ q: ['p'], p: ['q'], c: ['b'], b: ['c'], ok: [] }),
        cycles: [
          ['b', 'c', 'b'],
          ['p', 'q', 'p'],
        ],
      },
      {
        name: 'two cycles sharing a step (one component)',
        nodes: dag({ a: ['b'], b: ['a', 'c'], c: ['b'] }),
        cycles: [
          ['a', 'b', 'a'],
          ['b', 'c', 'b'],
        ],
      },
      {
        name: 'a self-loop inside a larger cycle',
        nodes: dag({ a: ['b'], b: ['a', 'b'] }),
        cycles: [
          ['a', 'b', 'a'],
          ['b', 'b'],
        ],
      },
      {
        name: 'a cycle reached from acyclic steps',
        nodes: dag({ root: [], m: ['root', 'n'], n: ['m'], tail: ['n'] }),
        cycles: [['m', 'n', 'm']],
      },
      {
        name: 'dependencies on unknown steps (ignored)',
        nodes: dag({ a: ['ghost'], ghost2: ['a', 'nowhere'] }),
        cycles: [],
      },
    ]
    for (const c of cases) {
      it(`reports ${JSON.stringify(c.cycles)} for ${c.name}`, () => {
        expect(findCycles(c.nodes)).to.deep.equal(c.cycles)
      })
    }

    it('caps a dense component but still reports a cycle through its smallest step', () => {
      const names = Array.from({ length: 8 }, (_, i) => `s${i}`)
      const nodes = names.map((name) => ({ name, dependsOn: names.filter((n) => n !== name) }))
      const cycles = findCycles(nodes)
      expect(cycles).to.have.length(MAX_CYCLES_PER_COMPONENT)
      expect(cycles[0]).to.deep.equal(['s0', 's1', 's0'])
      for (const cycle of cycles) expect(cycle[0]).to.equal(cycle[cycle.length - 1])
    })

    it('handles a 200-step flow with a long cycle quickly', () => {
      const names = Array.from({ length: 200 }, (_, i) => `step-${String(i).padStart(3, '0')}`)
      const nodes = names.map((name, i) => ({ name, dependsOn: [names[(i + 1) % 200]!] }))
      const cycles = findCycles(nodes)
      expect(cycles).to.have.length(1)
      expect(cycles[0]).to.have.length(201)
      expect(cycles[0]![0]).to.equal('step-000')
    })
  })

  describe('upstreamClosure', () => {
    const cases: Array<{ nodes: DagNode[]; of: string; want: string[]; why: string }> = [
      { why: 'a root has none', nodes: diamond, of: 'a', want: [] },
      { why: 'the join sees both branches', nodes: diamond, of: 'd', want: ['a', 'b', 'c'] },
      { why: 'a branch sees the root', nodes: diamond, of: 'b', want: ['a'] },
      {
        why: 'a cycle does not include the step itself',
        nodes: dag({ a: ['b'], b: ['a', 'c'], c: [] }),
        of: 'a',
        want: ['b', 'c'],
      },
      { why: 'unknown deps are ignored', nodes: dag({ a: ['ghost'] }), of: 'a', want: [] },
      { why: 'an unknown step has none', nodes: diamond, of: 'zzz', want: [] },
    ]
    for (const c of cases) {
      it(`${c.why} (${c.of} -> ${JSON.stringify(c.want)})`, () => {
        expect([...upstreamClosure(c.nodes, c.of)].sort()).to.deep.equal(c.want)
      })
    }
  })

  describe('topologicalOrder', () => {
    const cases: Array<{ why: string; nodes: DagNode[]; want: string[] }> = [
      { why: 'diamond, ties by name', nodes: diamond, want: ['a', 'b', 'c', 'd'] },
      {
        why: 'independent roots by name',
        nodes: dag({ zeta: [], alpha: [], mid: ['zeta'] }),
        want: ['alpha', 'zeta', 'mid'],
      },
      {
        why: 'cycle members and their dependants last, by name',
        nodes: dag({ root: [], y: ['x'], x: ['y', 'root'], after: ['x'], b: ['root'] }),
        want: ['root', 'b', 'after', 'x', 'y'],
      },
      {
        why: 'past unknown deps',
        nodes: dag({ a: ['ghost'], b: ['a'] }),
        want: ['a', 'b'],
      },
      { why: 'a self-loop last', nodes: dag({ a: ['a'], b: [] }), want: ['b', 'a'] },
    ]
    for (const c of cases) {
      it(`orders ${c.why}: ${JSON.stringify(c.want)}`, () => {
        expect(topologicalOrder(c.nodes)).to.deep.equal(c.want)
      })
    }
  })

  describe('leafSteps and dependantsOf', () => {
    it('finds the steps nothing depends on, by name', () => {
      expect(leafSteps(diamond)).to.deep.equal(['d'])
      expect(leafSteps(dag({ z: [], a: [], m: ['z'] }))).to.deep.equal(['a', 'm'])
    })

    it('maps every step to its sorted dependants', () => {
      const map = dependantsOf(diamond)
      expect(Object.fromEntries(map)).to.deep.equal({ a: ['b', 'c'], b: ['d'], c: ['d'], d: [] })
    })

    it('ignores dependencies on unknown steps', () => {
      expect(Object.fromEntries(dependantsOf(dag({ a: ['ghost'] })))).to.deep.equal({ a: [] })
    })
  })
})
