import { expect } from 'chai'
import { parseEventFilter, parseLastEventId } from '../../../src/api/routes/events.routes.ts'
import { BadRequestError } from '../../../src/shared/errors.ts'

const JOB = '01900000-0000-7000-8000-000000000001'

describe('GET /api/events query', () => {
  it('parses workspace, job_id and a comma-separated types list', () => {
    expect(parseEventFilter({})).to.deep.equal({})
    expect(
      parseEventFilter({ workspace: 'w', job_id: JOB, types: ' job.created, ,step.finished' }),
    ).to.deep.equal({ workspace: 'w', jobId: JOB, types: ['job.created', 'step.finished'] })
  })

  it('names every unknown type and the field', () => {
    const err = (() => {
      try {
        parseEventFilter({ types: 'job.created,job.exploded,nope' })
      } catch (e) {
        return e as BadRequestError
      }
    })()
    expect(err).to.be.instanceOf(BadRequestError)
    expect(err!.field).to.equal('types')
    expect(err!.message).to.match(/^unknown event types 'job\.exploded', 'nope' in types/)
  })

  it('takes the Last-Event-ID header over last_event_id; none means live only', () => {
    expect(parseLastEventId('', {})).to.equal(undefined)
    expect(parseLastEventId('', { last_event_id: '12' })).to.equal(12)
    expect(parseLastEventId(' 7 ', { last_event_id: '12' })).to.equal(7)
    expect(parseLastEventId('0', {})).to.equal(0)
  })

  it('rejects a value that is not a non-negative integer, naming where it came from', () => {
    for (const [header, query, field] of [
      ['abc', {}, 'Last-Event-ID'],
      ['1.5', {}, 'Last-Event-ID'],
      ['', { last_event_id: '-1' }, 'last_event_id'],
      ['', { last_event_id: '99999999999999999999' }, 'last_event_id'],
    ] as const) {
      expect(() => parseLastEventId(header, query))
        .to.throw(BadRequestError)
        .with.property('field', field)
    }
  })
})
