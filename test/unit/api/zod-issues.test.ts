import { expect } from 'chai'
import { z } from 'zod'
import { intBetween, parseBody, parseQuery, validateRequest } from '../../../src/api/zod-issues.ts'
import { BadRequestError, ValidationError } from '../../../src/shared/errors.ts'

function messageOf(schema: z.ZodType, value: unknown): string[] {
  const r = validateRequest(schema, value)
  return r.ok ? [] : r.issues.map((i) => `${i.path}: ${i.message}`)
}

describe('zod issues in the API words', () => {
  it('words each kind of problem as the API always has', () => {
    const table: Array<[z.ZodType, unknown, string]> = [
      [z.object({ n: z.int() }), { n: '3' }, 'n: expected integer, got string'],
      [z.object({ n: z.int() }), { n: 2.5 }, 'n: expected integer, got number'],
      [z.object({ n: z.number() }), { n: true }, 'n: expected number, got boolean'],
      [z.object({ s: z.string() }), { s: null }, 's: expected string, got null'],
      [z.object({ s: z.string() }), {}, 's: required field is missing'],
      [
        z.object({ o: z.record(z.string(), z.unknown()) }),
        { o: [] },
        'o: expected object, got array',
      ],
      [z.object({ a: z.array(z.string()) }), { a: {} }, 'a: expected array, got object'],
      [z.object({ s: z.string().min(1) }), { s: '' }, 's: must not be empty'],
      [z.object({ s: z.string().min(8) }), { s: 'x' }, 's: must be at least 8 characters'],
      [z.object({ s: z.string().max(2) }), { s: 'xyz' }, 's: must be at most 2 characters'],
      [z.object({ a: z.array(z.int()).min(1) }), { a: [] }, 'a: must not be empty'],
      [z.object({ a: z.array(z.int()).max(1) }), { a: [1, 2] }, 'a: must have at most 1 entries'],
      [z.object({ n: z.number().min(0) }), { n: -1 }, 'n: must be at least 0'],
      [z.object({ n: z.number().lt(3) }), { n: 3 }, 'n: must be less than 3'],
      [z.object({ n: intBetween(1, 64) }), { n: 0 }, 'n: must be between 1 and 64'],
      [z.object({ e: z.enum(['a', 'b']) }), { e: 'c' }, 'e: expected one of a, b'],
      [z.object({ s: z.string().regex(/^x$/) }), { s: 'y' }, 's: must match /^x$/'],
      [
        z.object({ l: z.array(z.object({ v: z.int() })) }),
        { l: [{ v: 1 }, { v: 'x' }] },
        'l[1].v: expected integer, got string',
      ],
      [z.object({}), 'text', 'body: expected object, got string'],
    ]
    for (const [schema, value, want] of table) {
      expect(messageOf(schema, value), want).to.deep.equal([want])
    }
  })

  it('puts unknown fields first, one issue each, sorted', () => {
    const schema = z.strictObject({ a: z.string(), nested: z.strictObject({ x: z.int() }) })
    expect(messageOf(schema, { zz: 1, a: 1, nested: { x: 1, y: 2 }, bb: 2 })).to.deep.equal([
      'bb: unknown field',
      'nested.y: unknown field',
      'zz: unknown field',
      'a: expected string, got number',
    ])
  })

  it('keeps a message a schema spells out', () => {
    const schema = z.object({ s: z.string().refine((v) => v === 'ok', { error: 'not ok' }) })
    expect(messageOf(schema, { s: 'no' })).to.deep.equal(['s: not ok'])
  })

  it('throws a 400 validation_failed for a body, naming the first path in `field`', () => {
    const schema = z.strictObject({ a: z.int(), b: z.string() })
    expect(parseBody(schema, { a: 1, b: 'x' })).to.deep.equal({ a: 1, b: 'x' })
    expect(() => parseBody(schema, { a: 'x', c: 1 }))
      .to.throw(ValidationError)
      .that.deep.includes({
        message:
          'invalid request body: c: unknown field; a: expected integer, got string; b: required field is missing',
        code: 'validation_failed',
        status: 400,
        field: 'c',
      })
    expect(parseBody(z.object({ a: z.int().optional() }), undefined)).to.deep.equal({})
  })

  it('throws a 400 bad_request for a query string, joining its sentences', () => {
    const schema = z.object({
      a: z.string().refine(() => false, { error: 'a is wrong' }),
      b: z.string().refine(() => false, { error: 'b is wrong' }),
    })
    expect(() => parseQuery(schema, { a: 'x', b: ['1', '2'] }))
      .to.throw(BadRequestError)
      .that.deep.includes({ message: 'a is wrong; b is wrong', code: 'bad_request', field: 'a' })
  })

  it('keeps a parameter named __proto__ as plain data', () => {
    const schema = z.object({ a: z.string().optional() })
    expect(parseQuery(schema, { ['__proto__']: 'x', a: 'y' })).to.deep.equal({ a: 'y' })
  })
})
