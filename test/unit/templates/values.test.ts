import { expect } from 'chai'
import {
  evaluateCondition,
  renderRecord,
  renderValue,
  TemplateError,
} from '../../../src/templates/render.ts'

const ctx = {
  input: { count: 5, flag: true, name: 'Ada', tags: ['a', 'b'], meta: { k: 'v' }, note: null },
  checkout: { output: { files: [1, 2], info: { rev: 'abc' } } },
}

describe('renderValue (§8.4)', () => {
  const CASES: ReadonlyArray<readonly [string, unknown, unknown]> = [
    ['passes numbers through', 3, 3],
    ['passes booleans through', true, true],
    ['passes null through', null, null],
    ['does not template strings inside a YAML list', ['{{ input.name }}'], ['{{ input.name }}']],
    [
      'does not template strings inside a YAML map',
      { a: '{{ input.name }}' },
      { a: '{{ input.name }}' },
    ],
    ['keeps a list from a single variable path', '{{ input.tags }}', ['a', 'b']],
    ['keeps a map from a single variable path', '{{ checkout.output.info }}', { rev: 'abc' }],
    ['keeps structure with numeric segments', '{{checkout.output.files}}', [1, 2]],
    ['renders a single path to a number as text', '{{ input.count }}', '5'],
    ['renders a single path to a boolean as text', '{{ input.flag }}', 'true'],
    ['renders a single path to null as empty text', '{{ input.note }}', ''],
    ['renders a filtered list as text', '{{ input.tags | reverse }}', '[b, a]'],
    ['renders surrounding text', 'tags: {{ input.tags }}', 'tags: [a, b]'],
    ['returns plain strings unchanged', 'plain', 'plain'],
  ]
  for (const [what, value, expected] of CASES) {
    it(what, () => {
      expect(renderValue(value, ctx)).to.deep.equal(expected)
    })
  }

  it('returns the very same non-string value', () => {
    const list = ['{{ x }}']
    expect(renderValue(list, ctx)).to.equal(list)
  })

  it('fails on an undefined single path', () => {
    expect(() => renderValue('{{ input.nope }}', ctx)).to.throw(
      TemplateError,
      "variable 'input.nope' is not defined",
    )
  })
})

describe('renderRecord', () => {
  it('renders every entry', () => {
    const out = renderRecord({ text: 'Hi {{ input.name }}', n: 2, tags: '{{ input.tags }}' }, ctx)
    expect(out).to.deep.equal({ text: 'Hi Ada', n: 2, tags: ['a', 'b'] })
  })

  it('reports every failing key at once', () => {
    let caught: unknown
    try {
      renderRecord({ text: '{{ build.output.greting }}', ok: 'x', other: '{{ 1 + }}' }, ctx, {
        keyPrefix: 'input.',
        clock: { now: () => new Date(0) },
      })
    } catch (e) {
      caught = e
    }
    expect(caught).to.be.instanceOf(TemplateError)
    const err = caught as TemplateError
    expect(err.message).to.match(
      /^input\.text: template line 1, column 4: variable 'build\.output\.greting' is not defined; input\.other: template line 1, column \d+: /,
    )
    expect([err.line, err.column, err.variable]).to.deep.equal([1, 4, 'build.output.greting'])
  })
})

describe('evaluateCondition (§5.4)', () => {
  const CASES: ReadonlyArray<readonly [string, boolean]> = [
    ['{{ input.flag }}', true],
    ['{{ not input.flag }}', false],
    ['{{ input.count > 3 }}', true],
    ['{{ input.count }}', true],
    ['{{ input.note }}', false],
    ['  {{ "FALSE" }} ', false],
    ['{{ "None" }}', false],
    ['{{ "null" }}', false],
    ['{{ 0 }}', false],
    ['{{ "0.0" }}', true],
    ['{{ "" }}', false],
    ['{{ input.tags }}', true],
    ['{{ [] }}', true],
    ['{{ input.missing is defined }}', false],
    ['{{ input.flag and input.count }}', true],
    ['{% if input.flag %}yes{% endif %}', true],
    ['{% if input.missing %}yes{% endif %}', false],
    ['false', false],
    ['anything', true],
  ]
  for (const [src, expected] of CASES) {
    it(`${JSON.stringify(src)} is ${expected}`, () => {
      expect(evaluateCondition(src, ctx)).to.equal(expected)
    })
  }

  it('throws on render errors', () => {
    expect(() => evaluateCondition('{{ input.missing }}', ctx)).to.throw(TemplateError)
  })
})
