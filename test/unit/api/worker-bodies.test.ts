import { expect } from 'chai'
import {
  parseClaimBody,
  parseCompleteBody,
  parseHeartbeatBody,
  parseLogsBody,
  parseRegisterBody,
  truncateUtf8,
} from '../../../src/api/worker-bodies.ts'

const paths = (p: { ok: boolean; issues?: Array<{ path: string }> }) =>
  p.ok ? [] : (p.issues ?? []).map((i) => i.path)

describe('worker protocol bodies', () => {
  it('accepts a good registration and defaults its optional fields', () => {
    const p = parseRegisterBody({ name: 'build-01', capabilities: ['script'], max_concurrency: 4 })
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

  it('names every bad registration field at once', () => {
    const p = parseRegisterBody({
      name: 'bad name!',
      capabilities: ['script', 'teleport'],
      tags: Array.from({ length: 33 }, (_, i) => `t${i}`),
      max_concurrency: 65,
      colour: 'blue',
    })
    expect(paths(p)).to.have.members([
      'colour',
      'name',
      'capabilities[1]',
      'tags',
      'max_concurrency',
    ])
    expect(paths(parseRegisterBody({}))).to.have.members([
      'name',
      'capabilities',
      'max_concurrency',
    ])
    expect(paths(parseRegisterBody([]))).to.include('(body)')
    expect(
      paths(parseRegisterBody({ name: 'x', capabilities: [], max_concurrency: 1 })),
    ).to.deep.equal(['capabilities'])
  })

  it('checks heartbeats entry by entry', () => {
    expect(parseHeartbeatBody({ boot_id: 'b', running: [] }).ok).to.equal(true)
    const p = parseHeartbeatBody({ running: [{ job_id: 'nope', step_name: '' }, 3] })
    expect(paths(p)).to.have.members([
      'boot_id',
      'running[0].job_id',
      'running[0].step_name',
      'running[1]',
    ])
  })

  it('bounds the claim wait', () => {
    expect(parseClaimBody(undefined, 30)).to.deep.equal({ ok: true, value: { waitSecs: 25 } })
    expect(parseClaimBody({}, 10)).to.deep.equal({ ok: true, value: { waitSecs: 10 } })
    expect(parseClaimBody({ wait_secs: 0 }, 30)).to.deep.equal({ ok: true, value: { waitSecs: 0 } })
    expect(paths(parseClaimBody({ wait_secs: 31 }, 30))).to.deep.equal(['wait_secs'])
    expect(paths(parseClaimBody({ wait_secs: 'soon' }, 30))).to.deep.equal(['wait_secs'])
  })

  it('checks log batches and normalises timestamps', () => {
    const ok = parseLogsBody({
      seq: 2,
      lines: [{ ts: '2026-03-02T11:00:00+01:00', stream: 'stderr', line: 'x' }],
    })
    expect(ok).to.deep.equal({
      ok: true,
      value: { seq: 2, lines: [{ ts: '2026-03-02T10:00:00.000Z', stream: 'stderr', line: 'x' }] },
    })
    expect(paths(parseLogsBody({ seq: 0, lines: [] }))).to.have.members(['seq', 'lines'])
    expect(
      paths(parseLogsBody({ seq: 1, lines: [{ ts: 'then', stream: 'err', line: 1 }] })),
    ).to.have.members(['lines[0].ts', 'lines[0].stream', 'lines[0].line'])
    expect(paths(parseLogsBody({ seq: 1, lines: new Array(1001).fill({}) }))).to.deep.equal([
      'lines',
    ])
  })

  it('checks completions and truncates long error messages', () => {
    const p = parseCompleteBody({ seq: 3, status: 'failed', error_message: 'é'.repeat(40000) })
    expect(p.ok).to.equal(true)
    if (p.ok) {
      expect(Buffer.byteLength(p.value.errorMessage!, 'utf8')).to.be.at.most(64 * 1024)
      expect(p.value.exitCode).to.equal(null)
      expect(p.value.output).to.equal(null)
    }
    expect(paths(parseCompleteBody({ seq: 1, status: 'done', exit_code: 1.5 }))).to.have.members([
      'status',
      'exit_code',
    ])
  })

  it('truncates UTF-8 on a character boundary', () => {
    expect(truncateUtf8('aé', 2)).to.equal('a')
    expect(truncateUtf8('abc', 10)).to.equal('abc')
  })
})
