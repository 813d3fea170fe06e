import { expect } from 'chai'
import { auditListQuerySchema } from '../../../src/api/routes/audit.routes.ts'
import { encodeJobCursor, jobListQuerySchema } from '../../../src/api/routes/jobs.routes.ts'
import { logsQuerySchema } from '../../../src/api/routes/logs.routes.ts'
import { userListQuerySchema } from '../../../src/api/routes/users.routes.ts'
import { workerListQuerySchema } from '../../../src/api/routes/workers.routes.ts'
import { parseQuery, type RawQuery } from '../../../src/api/zod-issues.ts'
import { BadRequestError } from '../../../src/shared/errors.ts'

const JOB = '01900000-0000-7000-8000-000000000001'
const b64 = (s: string) => Buffer.from(s).toString('base64url')

function refusal(run: () => unknown): { error: string; field: string | undefined } {
  try {
    run()
  } catch (e) {
    if (e instanceof BadRequestError) return { error: e.message, field: e.field }
    throw e
  }
  throw new Error('expected a 400')
}

const jobs = (q: RawQuery) => parseQuery(jobListQuerySchema, q)

describe('list query strings', () => {
  it('fills the paging defaults and caps the limit at 500', () => {
    expect(jobs({})).to.deep.equal({
      workspace: undefined,
      taskName: undefined,
      statuses: undefined,
      sourceType: undefined,
      parentJobId: undefined,
      limit: 50,
      offset: 0,
      cursor: undefined,
      count: true,
    })
    expect(jobs({ limit: '1000', offset: '20', count: 'false' })).to.deep.include({
      limit: 500,
      offset: 20,
      count: false,
    })
  })

  it('takes the last of repeated parameters and ignores empty and unknown ones', () => {
    expect(jobs({ limit: ['5', '7'], offset: '', colour: 'red' })).to.deep.include({
      limit: 7,
      offset: 0,
    })
  })

  it('words each bad parameter as before, naming it in `field`', () => {
    for (const [q, error, field] of [
      [{ limit: '0' }, 'limit must be at least 1, got 0', 'limit'],
      [{ limit: 'x' }, "limit must be an integer, got 'x'", 'limit'],
      [{ limit: '1.5' }, "limit must be an integer, got '1.5'", 'limit'],
      [{ offset: '-1' }, 'offset must be at least 0, got -1', 'offset'],
      [
        { offset: '10001' },
        "offset must be at most 10000, got 10001: page further with the cursor parameter, taking each page's X-Next-Cursor header",
        'offset',
      ],
      [{ count: 'maybe' }, "count must be true or false, got 'maybe'", 'count'],
      [{ task_name: 'x' }, 'task_name requires workspace', 'task_name'],
      [
        { status: 'weird,pending,nope' },
        "unknown status 'weird', 'nope' (expected pending, running, completed, failed, cancelled)",
        'status',
      ],
      [
        { source_type: 'x' },
        "unknown source_type 'x' (expected api, user, trigger, webhook, hook, task, rerun, upload)",
        'source_type',
      ],
      [{ cursor: 'zz' }, "invalid cursor 'zz'", 'cursor'],
    ] as const) {
      expect(
        refusal(() => jobs(q)),
        JSON.stringify(q),
      ).to.deep.equal({ error, field })
    }
  })

  it('names every bad parameter in one 400', () => {
    expect(refusal(() => jobs({ limit: 'x', offset: '-1', task_name: 't' }))).to.deep.equal({
      error:
        "limit must be an integer, got 'x'; offset must be at least 0, got -1; task_name requires workspace",
      field: 'limit',
    })
  })

  it('reads status lists, source types and the keyset cursor', () => {
    const at = new Date('2026-03-02T10:00:00.000Z')
    expect(
      jobs({
        workspace: 'w',
        task_name: 't',
        status: 'pending, running',
        source_type: 'webhook',
        cursor: encodeJobCursor(at, JOB),
      }),
    ).to.deep.include({
      workspace: 'w',
      taskName: 't',
      statuses: ['pending', 'running'],
      sourceType: 'webhook',
      cursor: { createdAt: at, id: JOB },
    })
    expect(refusal(() => jobs({ cursor: encodeJobCursor(at, JOB), offset: '5' }))).to.deep.equal({
      error: 'cursor cannot be combined with a non-zero offset',
      field: 'cursor',
    })
    expect(refusal(() => jobs({ cursor: b64(`${at.toISOString()}|nope`) })).field).to.equal(
      'cursor',
    )
  })

  it('filters the audit log by actor, action, target and time', () => {
    const q = parseQuery(auditListQuerySchema, {
      actor: 'a@b.c',
      action: 'auth.login',
      target_type: 'user',
      target_id: 'u',
      since: '2026-03-01T00:00:00+01:00',
      cursor: b64('42'),
    })
    expect(q).to.deep.include({
      actor: 'a@b.c',
      action: 'auth.login',
      targetType: 'user',
      targetId: 'u',
      since: new Date('2026-02-28T23:00:00.000Z'),
      until: undefined,
      beforeId: '42',
    })
    expect(refusal(() => parseQuery(auditListQuerySchema, { since: 'yesterday' }))).to.deep.equal({
      error: "since must be an RFC 3339 timestamp, got 'yesterday'",
      field: 'since',
    })
    expect(refusal(() => parseQuery(auditListQuerySchema, { cursor: 'zz' })).field).to.equal(
      'cursor',
    )
  })

  it('pages users by email cursor and workers by offset', () => {
    expect(parseQuery(userListQuerySchema, { cursor: b64('a@b.c'), limit: '2' })).to.deep.equal({
      limit: 2,
      offset: 0,
      count: true,
      cursor: 'a@b.c',
    })
    expect(refusal(() => parseQuery(userListQuerySchema, { cursor: b64('nope') })).field).to.equal(
      'cursor',
    )
    expect(parseQuery(workerListQuerySchema, { limit: '3', cursor: 'ignored' })).to.deep.equal({
      limit: 3,
      offset: 0,
      count: true,
    })
  })

  it('reads after_seq of the log routes', () => {
    expect(parseQuery(logsQuerySchema, {})).to.deep.equal({ after_seq: 0 })
    expect(parseQuery(logsQuerySchema, { after_seq: '12' })).to.deep.equal({ after_seq: 12 })
    expect(refusal(() => parseQuery(logsQuerySchema, { after_seq: '-1' }))).to.deep.equal({
      error: 'after_seq must be at least 0, got -1',
      field: 'after_seq',
    })
  })
})
