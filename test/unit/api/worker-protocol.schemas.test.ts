import { expect } from 'chai'
import type { z } from 'zod'
import {
  claimBodySchema,
  completeBodySchema,
  emptyBodySchema,
  heartbeatBodySchema,
  logsBodySchema,
  reasonBodySchema,
  registerBodySchema,
} from '../../../src/api/routes/worker-protocol.schemas.ts'
import { validateRequest, type Checked } from '../../../src/api/zod-issues.ts'

const check = <S extends z.ZodType>(schema: S, body: unknown): Checked<z.output<S>> =>
  validateRequest(schema, body === undefined ? {} : body)

const paths = (c: Checked<unknown>) => (c.ok ? [] : c.issues.map((i) => i.path))
const issues = (c: Checked<unknown>) => (c.ok ? [] : c.issues.map((i) => `${i.path}: ${i.message}`))

describe('worker protocol bodies', () => {
  it('accepts a good registration and defaults its optional fields', () => {
    const p = check(registerBodySchema, {
      name: 'build-01',
      capabilities: ['script'],
      max_concurrency: 4,
    })
    expect(p).to.deep.equal({
      ok: true,
      value: {
        name: 'build-01',
        hostname: null,
        version: null,
        capabilities: ['script'],
        tags: [],
        maxConcurrency: 4,
      },
    })
  })

  it('drops repeated capabilities and tags', () => {
    const p = check(registerBodySchema, {
      name: 'w',
      hostname: 'h',
      version: '1',
      capabilities: ['script', 'script'],
      tags: ['a', 'b', 'a'],
      max_concurrency: 1,
    })
    expect(p.ok && p.value).to.deep.include({ capabilities: ['script'], tags: ['a', 'b'] })
  })

  it('names every bad registration field at once', () => {
    const p = check(registerBodySchema, {
      name: 'bad name!',
      capabilities: ['script', 'teleport'],
      tags: Array.from({ length: 33 }, (_, i) => `t${i}`),
      max_concurrency: 65,
      colour: 'blue',
    })
    expect(issues(p)).to.deep.equal([
      'colour: unknown field',
      'name: expected 1-64 characters of A-Z a-z 0-9 _ . -, got "bad name!"',
      'capabilities[1]: expected one of script, docker, kubernetes',
      'tags: must have at most 32 entries',
      'max_concurrency: must be between 1 and 64',
    ])
    expect(issues(check(registerBodySchema, {}))).to.deep.equal([
      'name: required field is missing',
      'capabilities: required field is missing',
      'max_concurrency: required field is missing',
    ])
    expect(issues(check(registerBodySchema, []))).to.deep.equal([
      'body: expected object, got array',
    ])
    expect(
      issues(check(registerBodySchema, { name: 'x', capabilities: [], max_concurrency: 1 })),
    ).to.deep.equal(['capabilities: must not be empty'])
    expect(
      issues(
        check(registerBodySchema, {
          name: 'x',
          capabilities: ['script'],
          tags: ['', 7],
          max_concurrency: 2.5,
        }),
      ),
    ).to.deep.equal([
      'tags[0]: must not be empty',
      'tags[1]: expected string, got number',
      'max_concurrency: expected integer, got number',
    ])
  })

  it('checks heartbeats entry by entry', () => {
    expect(check(heartbeatBodySchema, { boot_id: 'b', running: [] })).to.deep.equal({
      ok: true,
      value: { bootId: 'b', running: [] },
    })
    const job = '01900000-0000-7000-8000-000000000001'
    expect(
      check(heartbeatBodySchema, { boot_id: 'b', running: [{ job_id: job, step_name: 's' }] }),
    ).to.deep.equal({ ok: true, value: { bootId: 'b', running: [{ jobId: job, stepName: 's' }] } })
    const p = check(heartbeatBodySchema, { running: [{ job_id: 'nope', step_name: '' }, 3] })
    expect(issues(p)).to.deep.equal([
      'boot_id: required field is missing',
      'running[0].job_id: expected a job id (lowercase UUID)',
      'running[0].step_name: must not be empty',
      'running[1]: expected object, got number',
    ])
  })

  it('bounds the claim wait', () => {
    const upTo30 = claimBodySchema(30)
    expect(check(upTo30, undefined)).to.deep.equal({ ok: true, value: { waitSecs: 25 } })
    expect(check(claimBodySchema(10), {})).to.deep.equal({ ok: true, value: { waitSecs: 10 } })
    expect(check(upTo30, { wait_secs: 0 })).to.deep.equal({ ok: true, value: { waitSecs: 0 } })
    expect(check(upTo30, { wait_secs: null })).to.deep.equal({ ok: true, value: { waitSecs: 25 } })
    expect(issues(check(upTo30, { wait_secs: 31 }))).to.deep.equal([
      'wait_secs: must be between 0 and 30',
    ])
    expect(issues(check(upTo30, { wait_secs: 'soon' }))).to.deep.equal([
      'wait_secs: expected number, got string',
    ])
  })

  it('checks log batches and normalises timestamps', () => {
    const ok = check(logsBodySchema, {
      seq: 2,
      lines: [{ ts: '2026-03-02T11:00:00+01:00', stream: 'stderr', line: 'x' }],
    })
    expect(ok).to.deep.equal({
      ok: true,
      value: { seq: 2, lines: [{ ts: '2026-03-02T10:00:00.000Z', stream: 'stderr', line: 'x' }] },
    })
    expect(issues(check(logsBodySchema, { seq: 0, lines: [] }))).to.deep.equal([
      'seq: must be at least 1',
      'lines: must not be empty',
    ])
    expect(
      issues(check(logsBodySchema, { seq: 1, lines: [{ ts: 'then', stream: 'err', line: 1 }] })),
    ).to.deep.equal([
      'lines[0].ts: expected an RFC 3339 timestamp',
      'lines[0].stream: expected one of stdout, stderr',
      'lines[0].line: expected string, got number',
    ])
    // An oversized batch is refused as a whole, without an issue per line.
    expect(
      issues(check(logsBodySchema, { seq: 1, lines: new Array(1001).fill({}) })),
    ).to.deep.equal(['lines: must have at most 1000 entries'])
  })

  it('checks completions and truncates long error messages on a character boundary', () => {
    const p = check(completeBodySchema, {
      seq: 3,
      status: 'failed',
      error_message: `a${'é'.repeat(40000)}`,
    })
    expect(p.ok).to.equal(true)
    if (p.ok) {
      const bytes = Buffer.byteLength(p.value.errorMessage!, 'utf8')
      expect(bytes).to.equal(64 * 1024 - 1)
      expect(p.value.errorMessage!.endsWith('é')).to.equal(true)
      expect(p.value.exitCode).to.equal(null)
      expect(p.value.output).to.equal(null)
    }
    expect(
      check(completeBodySchema, { seq: 1, status: 'completed', exit_code: 0, output: { a: 1 } }),
    ).to.deep.equal({
      ok: true,
      value: {
        seq: 1,
        status: 'completed',
        lines: [],
        claimNext: false,
        exitCode: 0,
        output: { a: 1 },
        errorMessage: null,
      },
    })
    const withLines = check(completeBodySchema, {
      seq: 2,
      status: 'completed',
      lines: [{ ts: '2025-01-01T00:00:00Z', stream: 'stdout', line: 'last' }],
      claim_next: true,
    })
    expect(withLines.ok && withLines.value).to.include({ claimNext: true })
    expect(withLines.ok && withLines.value.lines).to.deep.equal([
      { ts: '2025-01-01T00:00:00.000Z', stream: 'stdout', line: 'last' },
    ])
    expect(
      issues(check(completeBodySchema, { seq: 1, status: 'completed', lines: [{ line: 1 }] })),
    ).to.have.length.greaterThan(0)
    expect(
      issues(check(completeBodySchema, { seq: 1, status: 'done', exit_code: 1.5 })),
    ).to.deep.equal([
      'status: expected one of completed, failed, cancelled',
      'exit_code: expected integer, got number',
    ])
    expect(paths(check(completeBodySchema, { status: 'failed', error_message: 7 }))).to.deep.equal([
      'seq',
      'error_message',
    ])
  })

  it('takes an optional drain reason and refuses fields where none are expected', () => {
    expect(check(reasonBodySchema, undefined)).to.deep.equal({ ok: true, value: { reason: null } })
    expect(check(reasonBodySchema, { reason: 'maintenance' })).to.deep.equal({
      ok: true,
      value: { reason: 'maintenance' },
    })
    expect(issues(check(reasonBodySchema, { reason: 'x'.repeat(1001) }))).to.deep.equal([
      'reason: must be at most 1000 characters',
    ])
    expect(check(emptyBodySchema, undefined).ok).to.equal(true)
    expect(issues(check(emptyBodySchema, { b: 1, a: 2 }))).to.deep.equal([
      'a: unknown field',
      'b: unknown field',
    ])
  })
})
