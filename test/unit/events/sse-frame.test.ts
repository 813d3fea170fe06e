import { expect } from 'chai'
import {
  eventFrame,
  matchesFilter,
  PING_FRAME,
  SSE_PREAMBLE,
  sseFrame,
} from '../../../src/events/sse-frame.ts'

describe('SSE frames', () => {
  it('writes id, event and one line of JSON data, ending with a blank line', () => {
    expect(sseFrame('job.created', { job_id: 'j', text: 'a\nb' }, 42)).to.equal(
      'id: 42\nevent: job.created\ndata: {"job_id":"j","text":"a\\nb"}\n\n',
    )
    expect(sseFrame('resync', { oldest_id: 7 })).to.equal(
      'event: resync\ndata: {"oldest_id":7}\n\n',
    )
  })

  it('starts with retry 3000 and a ping; pings carry no id', () => {
    expect(SSE_PREAMBLE).to.equal('retry: 3000\n\nevent: ping\ndata: {}\n\n')
    expect(PING_FRAME).to.equal('event: ping\ndata: {}\n\n')
  })

  it('adds ts (the time the event was recorded) to the payload', () => {
    const frame = eventFrame({
      id: 3,
      type: 'job.started',
      jobId: 'j',
      workspace: 'w',
      data: { job_id: 'j', status: 'running' },
      at: new Date('2026-03-02T10:00:01.204Z'),
    })
    expect(frame).to.equal(
      'id: 3\nevent: job.started\ndata: {"job_id":"j","status":"running","ts":"2026-03-02T10:00:01.204Z"}\n\n',
    )
  })
})

describe('event filters', () => {
  const ev = { type: 'job.created', jobId: 'j1', workspace: 'w1' }
  const cases: Array<[string, Parameters<typeof matchesFilter>[1], boolean]> = [
    ['no filter', {}, true],
    ['same workspace', { workspace: 'w1' }, true],
    ['other workspace', { workspace: 'w2' }, false],
    ['same job', { jobId: 'j1' }, true],
    ['other job', { jobId: 'j2' }, false],
    ['listed type', { types: ['job.finished', 'job.created'] }, true],
    ['unlisted type', { types: ['job.finished'] }, false],
    ['all match', { workspace: 'w1', jobId: 'j1', types: ['job.created'] }, true],
    ['one fails', { workspace: 'w1', jobId: 'j2', types: ['job.created'] }, false],
  ]
  for (const [name, filter, expected] of cases) {
    it(`${name}: ${expected ? 'passes' : 'is filtered out'}`, () => {
      expect(matchesFilter(ev, filter)).to.equal(expected)
    })
  }

  it('never matches a job filter for events without a job (trigger.skipped)', () => {
    expect(
      matchesFilter({ type: 'trigger.skipped', jobId: null, workspace: 'w1' }, { jobId: 'j1' }),
    ).to.equal(false)
  })
})
