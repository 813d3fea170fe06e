import { expect } from 'chai'
import { executeBodySchema } from '../../../src/api/routes/execute.ts'
import { parseBody, validateRequest } from '../../../src/api/zod-issues.ts'
import { ValidationError } from '../../../src/shared/errors.ts'

describe('the execute envelope (API.md §4.4, check 1)', () => {
  const accepted = (input: unknown): unknown => ({ ok: true, value: { input, sourceJobId: null } })
  const rejected = (...issues: Array<[path: string, message: string]>): unknown => ({
    ok: false,
    issues: issues.map(([path, message]) => ({ path, message })),
  })
  const table: Array<[name: string, body: unknown, want: unknown]> = [
    ['treats a body without input as {}', {}, accepted({})],
    ['treats "input": null as {}', { input: null }, accepted({})],
    ['passes the input object on', { input: { a: 1 } }, accepted({ a: 1 })],
    [
      'names unknown top-level fields, sorted, then a non-object input',
      { zz: 1, input: [1], aa: 2 },
      rejected(
        ['aa', 'unknown field'],
        ['zz', 'unknown field'],
        ['input', 'expected object, got array'],
      ),
    ],
    ['rejects a string input', { input: 'x' }, rejected(['input', 'expected object, got string'])],
    ['rejects an array body', [], rejected(['body', 'expected object, got array'])],
    ['rejects a null body', null, rejected(['body', 'expected object, got null'])],
  ]
  for (const [name, body, want] of table) {
    it(name, () => {
      expect(validateRequest(executeBodySchema, body)).to.deep.equal(want)
    })
  }

  it('takes the job a re-run replays, and refuses what is not a job id', () => {
    const id = '01a25112-be33-726a-a4a8-6c072a159dba'
    expect(validateRequest(executeBodySchema, { source_job_id: id })).to.deep.equal({
      ok: true,
      value: { input: {}, sourceJobId: id },
    })
    expect(validateRequest(executeBodySchema, { source_job_id: 'nope' })).to.deep.equal(
      rejected(['source_job_id', 'expected a job id']),
    )
  })

  it('treats an absent body as {} and words a refusal as a 400 naming every field', () => {
    expect(parseBody(executeBodySchema, undefined)).to.deep.equal({ input: {}, sourceJobId: null })
    expect(() => parseBody(executeBodySchema, { inputs: {}, input: 3 }))
      .to.throw(ValidationError)
      .that.deep.includes({
        message: 'invalid request body: inputs: unknown field; input: expected object, got number',
        code: 'validation_failed',
        field: 'inputs',
      })
  })
})
