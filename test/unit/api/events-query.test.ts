import { expect } from 'chai'
import { parseEventStreamParams } from '../../../src/api/routes/events.routes.ts'
import { BadRequestError } from '../../../src/shared/errors.ts'
import { EVENT_TYPES } from '../../../src/shared/events.ts'

const JOB = '01900000-0000-7000-8000-000000000001'

function refusal(query: Record<string, string>, header = ''): BadRequestError {
  try {
    parseEventStreamParams(query, header)
  } catch (e) {
    if (e instanceof BadRequestError) return e
    throw e
  }
  throw new Error('expected a 400')
}

describe('GET /api/events query', () => {
  it('parses workspace, job_id and a comma-separated types list', () => {
    expect(parseEventStreamParams({}, '')).to.deep.equal({ filter: {}, lastEventId: undefined })
    expect(
      parseEventStreamParams(
        { workspace: 'w', job_id: JOB, types: ' job.created, ,step.finished' },
        '',
      ).filter,
    ).to.deep.equal({ workspace: 'w', jobId: JOB, types: ['job.created', 'step.finished'] })
    expect(parseEventStreamParams({ types: ' , ' }, '').filter).to.deep.equal({})
  })

  it('names every unknown type and the field', () => {
    const err = refusal({ types: 'job.created,job.exploded,nope' })
    expect(err.field).to.equal('types')
    expect(err.message).to.match(/^unknown event types 'job\.exploded', 'nope' in types/)
  })

  it('takes the Last-Event-ID header over last_event_id; none means live only', () => {
    const resume = (header: string, query: Record<string, string>) =>
      parseEventStreamParams(query, header).lastEventId
    expect(resume('', {})).to.equal(undefined)
    expect(resume('', { last_event_id: '12' })).to.equal(12)
    expect(resume(' 7 ', { last_event_id: '12' })).to.equal(7)
    expect(resume('0', {})).to.equal(0)
  })

  it('rejects a value that is not a non-negative integer, naming where it came from', () => {
    for (const [header, query, field] of [
      ['abc', {}, 'Last-Event-ID'],
      ['1.5', {}, 'Last-Event-ID'],
      ['', { last_event_id: '-1' }, 'last_event_id'],
      ['', { last_event_id: '99999999999999999999' }, 'last_event_id'],
      ['', { last_event_id: '9999999999999999' }, 'last_event_id'],
    ] as const) {
      expect(refusal(query, header).field).to.equal(field)
    }
    expect(refusal({}, 'abc').message).to.equal(
      "Last-Event-ID must be a non-negative integer, got 'abc'",
    )
  })

  it('names every bad parameter in one 400', () => {
    const err = refusal({ job_id: 'nope', types: 'x' }, 'abc')
    expect(err.field).to.equal('job_id')
    expect(err.message).to.equal(
      [
        "invalid job id 'nope'",
        `unknown event type 'x' in types (known: ${EVENT_TYPES.join(', ')})`,
        "Last-Event-ID must be a non-negative integer, got 'abc'",
      ].join('; '),
    )
  })
})
