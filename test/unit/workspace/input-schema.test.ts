import { expect } from 'chai'
import {
  describeJsonType,
  formatInputIssues,
  validateInput,
} from '../../../src/workspace/input-schema.ts'
import type { InputIssue } from '../../../src/workspace/input-schema.ts'
import type { InputField, InputSchema, InputType } from '../../../src/workspace/workspace.ts'

const LABELS = { name: null, description: null, order: null }
const PLAIN = { required: false, options: null, allowCustom: false, multiple: false, secret: false }
const field = (type: InputType, over: Partial<InputField> = {}): InputField => ({
  type,
  ...LABELS,
  ...PLAIN,
  ...over,
})

/** The deploy-service task of the example workspace (.workflows/inputs.yaml). */
const DEPLOY: InputSchema = [
  ['service', field('string', { name: 'Service', required: true, order: 1 })],
  [
    'environment',
    field('string', { options: ['dev', 'staging', 'prod'], default: 'dev', order: 2 }),
  ],
  ['replicas', field('integer', { default: 2, order: 3 })],
  ['cpu', field('number', { default: 0.5 })],
  ['dry_run', field('boolean', { default: true })],
  ['note', field('text')],
]

function issuesOf(schema: InputSchema, input: unknown): ReadonlyArray<InputIssue> {
  const check = validateInput(schema, true, input)
  return check.ok ? [] : check.issues
}

function messageOf(schema: InputSchema, input: unknown): string {
  return formatInputIssues(issuesOf(schema, input))
}

const MISSING = 'invalid input: input.service: required field is missing'

describe('input schema', () => {
  it('reports the API.md §13 example exactly', () => {
    const body = JSON.parse('{"input":{"replicas":"3","colour":"red"}}') as { input: unknown }
    expect(messageOf(DEPLOY, body.input)).to.equal(
      'invalid input: input.colour: unknown field; input.service: required field is missing; input.replicas: expected integer, got string',
    )
    expect(issuesOf(DEPLOY, body.input)[0]?.path).to.equal('input.colour')
  })

  it('fills defaults and leaves optional fields without one absent', () => {
    const check = validateInput(DEPLOY, true, { service: 'billing' })
    expect(check).to.deep.equal({
      ok: true,
      value: { service: 'billing', environment: 'dev', replicas: 2, cpu: 0.5, dry_run: true },
    })
  })

  it('keeps submitted values, never coerced', () => {
    const input = { service: 'b', environment: 'prod', replicas: 5, cpu: 2, dry_run: false }
    expect(validateInput(DEPLOY, true, input)).to.deep.equal({ ok: true, value: input })
  })

  it('treats null as absent: the default applies, or required fails', () => {
    const check = validateInput(DEPLOY, true, { service: 'a', replicas: null, note: null })
    expect(check.ok && check.value)
      .to.deep.include({ replicas: 2 })
      .and.not.have.property('note')
    expect(messageOf(DEPLOY, { service: null })).to.equal(MISSING)
  })

  it('lists unknown fields first, sorted, then declared fields in declaration order', () => {
    const issues = issuesOf(DEPLOY, { zeta: 1, dry_run: 'yes', alpha: 2, environment: 'qa' })
    expect(issues.map((i) => i.path)).to.deep.equal([
      'input.alpha',
      'input.zeta',
      'input.service',
      'input.environment',
      'input.dry_run',
    ])
    expect(issues[3]?.message).to.equal('must be one of [dev, staging, prod]')
  })

  it('rejects an input that is not an object, declared or not', () => {
    const notObject = { ok: false, issues: [{ path: 'input', message: 'expected object' }] }
    for (const input of [[], 'x', 3, true]) {
      expect(validateInput(DEPLOY, true, input)).to.deep.equal(notObject)
      expect(validateInput([], false, input)).to.deep.equal(notObject)
    }
  })

  it('treats an absent input as {}', () => {
    expect(messageOf(DEPLOY, undefined)).to.equal(MISSING)
  })

  it('accepts any object unchecked when the task declares no input', () => {
    const input = { anything: ['goes'], n: '3' }
    expect(validateInput([], false, input)).to.deep.equal({ ok: true, value: input })
  })

  it('copies a __proto__ key as plain data', () => {
    const check = validateInput([], false, JSON.parse('{"__proto__": {"polluted": true}}'))
    expect(check.ok).to.equal(true)
    if (!check.ok) return
    expect(Object.getPrototypeOf(check.value)).to.equal(Object.prototype)
    expect(Object.hasOwn(check.value, '__proto__')).to.equal(true)
  })

  describe('types', () => {
    const accepted: Array<[InputType, unknown[]]> = [
      ['string', ['x', '']],
      ['text', ['line 1\nline 2']],
      ['integer', [3, -0, 3.0, Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER]],
      ['number', [0.5, -2]],
      ['boolean', [true, false]],
      ['date', ['2026-02-28', '2024-02-29', '2000-02-29']],
      ['datetime', ['2026-01-15T14:30', '2026-01-15T14:30:00', '2026-01-15T14:30:00Z']],
      ['datetime', ['2026-01-15T14:30:00.123+01:00', '2026-01-15t14:30:00z']],
      ['datetime', ['2026-01-15 14:30:00-05:00', '2016-12-31T23:59:60Z']],
    ]
    for (const [type, value] of accepted.flatMap(([t, vs]) => vs.map((v) => [t, v] as const))) {
      it(`accepts ${JSON.stringify(value)} as ${type} and keeps it as submitted`, () => {
        expect(validateInput([['v', field(type)]], true, { v: value })).to.deep.equal({
          ok: true,
          value: { v: value },
        })
      })
    }

    const BAD_DATE = 'not a valid date (expected YYYY-MM-DD)'
    const BAD_DT = 'not a valid datetime (expected RFC 3339, e.g. 2026-01-15T14:30:00Z)'
    const RANGE = `integer out of range (at most ±${Number.MAX_SAFE_INTEGER})`
    const rejected: Array<[InputType, unknown, string]> = [
      ['string', 3, 'expected string, got number'],
      ['string', ['a'], 'expected string, got array'],
      ['text', { a: 1 }, 'expected string, got object'],
      ['integer', '3', 'expected integer, got string'],
      ['integer', 2.5, 'expected integer, got number'],
      ['integer', true, 'expected integer, got boolean'],
      ['integer', 2 ** 53, RANGE],
      ['integer', -(2 ** 53), RANGE],
      ['number', '0.5', 'expected number, got string'],
      ['number', Infinity, 'expected number, got number'],
      ['number', NaN, 'expected number, got number'],
      ['boolean', 'true', 'expected boolean, got string'],
      ['boolean', 1, 'expected boolean, got number'],
      ['date', 20260101, 'expected date (YYYY-MM-DD), got number'],
      ['date', '2026-02-29', BAD_DATE],
      ['date', '2026-13-01', BAD_DATE],
      ['date', '2026-04-31', BAD_DATE],
      ['date', '2026-1-5', BAD_DATE],
      ['date', '2026-01-15T00:00:00Z', BAD_DATE],
      ['datetime', false, 'expected datetime (RFC 3339), got boolean'],
      ['datetime', '2026-01-15', BAD_DT],
      ['datetime', '2026-01-15T24:00:00Z', BAD_DT],
      ['datetime', '2026-02-30T10:00Z', BAD_DT],
      ['datetime', '2026-01-15T14:30:00+25:00', BAD_DT],
      ['datetime', '2026-01-15T14:30:00 UTC', BAD_DT],
    ]
    for (const [type, value, message] of rejected) {
      it(`rejects ${String(JSON.stringify(value) ?? value)} as ${type}: ${message}`, () => {
        expect(issuesOf([['v', field(type)]], { v: value })).to.deep.equal([
          { path: 'input.v', message },
        ])
      })
    }
  })

  describe('options', () => {
    const ab = field('string', { options: ['a', 'b'] })
    const oneTwo = field('integer', { options: ['1', '2'] })
    const table: Array<[name: string, f: InputField, value: unknown, issue: string | null]> = [
      ['accepts a listed string', ab, 'b', null],
      ['rejects an unlisted string', ab, 'c', 'must be one of [a, b]'],
      [
        'allows any string with allow_custom',
        field('string', { options: ['a'], allowCustom: true }),
        'z',
        null,
      ],
      ['compares integers as strings', oneTwo, 2, null],
      ['rejects an unlisted integer', oneTwo, 3, 'must be one of [1, 2]'],
      ['checks the type before the options', oneTwo, '1', 'expected integer, got string'],
      ['compares booleans as strings', field('boolean', { options: ['true'] }), true, null],
    ]
    for (const [name, f, value, issue] of table) {
      it(name, () => {
        const want = issue === null ? [] : [{ path: 'input.v', message: issue }]
        expect(issuesOf([['v', f]], { v: value })).to.deep.equal(want)
      })
    }
  })

  describe('multiple', () => {
    const tags = field('string', { multiple: true, options: ['x', 'y', 'z'] })
    const table: Array<[name: string, value: unknown, issues: Array<[string, string]>]> = [
      ['accepts a list of listed strings', ['x', 'z'], []],
      ['accepts an empty list', [], []],
      ['rejects a bare string', 'x', [['input.tags', 'expected list of strings, got string']]],
      [
        'checks each item',
        ['x', 3, 'w'],
        [
          ['input.tags[1]', 'expected string, got number'],
          ['input.tags[2]', 'must be one of [x, y, z]'],
        ],
      ],
    ]
    for (const [name, value, issues] of table) {
      it(name, () => {
        const want = issues.map(([path, message]) => ({ path, message }))
        expect(issuesOf([['tags', tags]], { tags: value })).to.deep.equal(want)
      })
    }
  })

  describe('defaults', () => {
    const schema: InputSchema = [
      ['token', field('string', { default: '{{ secret.TOKEN }}' })],
      ['plain', field('string', { default: 'no template' })],
      [
        'list',
        field('string', { multiple: true, options: ['a', 'b'], default: ['{{ secret.A }}', 'b'] }),
      ],
      ['count', field('integer', { default: 4 })],
    ]
    const render = (t: string): unknown => `rendered(${t})`

    it('renders string defaults containing {{ when a renderer is given', () => {
      expect(validateInput(schema, true, {}, { renderDefault: render })).to.deep.equal({
        ok: true,
        value: {
          token: 'rendered({{ secret.TOKEN }})',
          plain: 'no template',
          list: ['rendered({{ secret.A }})', 'b'],
          count: 4,
        },
      })
    })

    it('keeps defaults verbatim without a renderer', () => {
      const check = validateInput(schema, true, {})
      expect(check.ok && check.value.token).to.equal('{{ secret.TOKEN }}')
    })

    it('does not render a submitted value', () => {
      const check = validateInput(schema, true, { token: '{{ x }}' }, { renderDefault: render })
      expect(check.ok && check.value.token).to.equal('{{ x }}')
    })
  })

  it('names JSON types', () => {
    const samples = { string: 's', number: 1.5, boolean: true, null: null, array: [], object: {} }
    for (const [name, value] of Object.entries(samples)) {
      expect(describeJsonType(value)).to.equal(name)
    }
    expect(describeJsonType(3)).to.equal('number')
  })

  it('formats issues joined with "; "', () => {
    expect(
      formatInputIssues([
        { path: 'input.a', message: 'x' },
        { path: 'input.b', message: 'y' },
      ]),
    ).to.equal('invalid input: input.a: x; input.b: y')
  })
})
