import { expect } from 'chai'
import {
  createOutputCollector,
  parseOutputLine,
} from '../../../../src/runner/executors/output-protocol.ts'

describe('OUTPUT: protocol', () => {
  const cases: Array<[string, unknown]> = [
    ['OUTPUT: {"a":1}', { a: 1 }],
    ['OUTPUT:{"a":1}', { a: 1 }],
    ['OUTPUT: [1,2]', [1, 2]],
    ['OUTPUT: "text"', 'text'],
    ['OUTPUT: 42', 42],
    ['OUTPUT: null', null],
  ]
  for (const [line, value] of cases) {
    it(`reads ${JSON.stringify(value)} from ${JSON.stringify(line)}`, () => {
      expect(parseOutputLine(line)).to.deep.equal({ kind: 'value', value })
    })
  }

  for (const line of ['output: {}', ' OUTPUT: {}', 'echo OUTPUT: {}', 'OUTPUT', '']) {
    it(`ignores ${JSON.stringify(line)}`, () => {
      expect(parseOutputLine(line)).to.deep.equal({ kind: 'none' })
    })
  }

  it('flags unparsable JSON', () => {
    const r = parseOutputLine('OUTPUT: {nope}')
    expect(r.kind).to.equal('invalid')
  })

  it('keeps the last valid value and warns about invalid lines', () => {
    const c = createOutputCollector()
    c.observe('OUTPUT: {"n":1}', true)
    c.observe('OUTPUT: {"n":2}', true)
    c.observe('OUTPUT: {broken', true)
    c.observe('plain', true)
    expect(c.found).to.equal(true)
    expect(c.value).to.deep.equal({ n: 2 })
    expect(c.warnings).to.have.length(1)
    expect(c.warnings[0]).to.match(/^OUTPUT: line ignored \(stdout line 3\): invalid JSON/)
  })

  it('joins an OUTPUT: line the splitter cut into pieces', () => {
    const c = createOutputCollector()
    c.observe('OUTPUT: {"long":"ab', false)
    c.observe('cd"}', true)
    expect(c.value).to.deep.equal({ long: 'abcd' })
  })

  it('does not treat a continuation piece as the start of a line', () => {
    const c = createOutputCollector()
    c.observe('xxxx', false)
    c.observe('OUTPUT: 1', true)
    expect(c.found).to.equal(false)
  })

  it('rejects output over 1 MiB', () => {
    const c = createOutputCollector()
    const big = JSON.stringify('x'.repeat(1024 * 1024))
    c.observe(`OUTPUT: ${big.slice(0, 600000)}`, false)
    c.observe(big.slice(600000), true)
    expect(c.found).to.equal(false)
    expect(c.warnings[0]).to.contain('1 MiB')
  })

  it('is undefined when nothing was found', () => {
    const c = createOutputCollector()
    expect(c.found).to.equal(false)
    expect(c.value).to.equal(undefined)
  })
})
