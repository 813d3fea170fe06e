import { expect } from 'chai'
import type { NewLogLine } from '../../../src/logs/log-record.ts'
import { JobLogScrubber, LogSecrets } from '../../../src/logs/scrubber.ts'

const ts = '2026-03-02T10:00:00.000Z'
function line(text: string, extra: Partial<NewLogLine> = {}): NewLogLine {
  return { ts, stream: 'stdout', step: 'build', line: text, ...extra }
}

describe('log scrubber', () => {
  it('returns the very same lines when the job has no secrets', () => {
    const s = new JobLogScrubber()
    s.add([])
    const lines = [line('a'), line('b', { continues: true })]
    expect(s.scrubLines(lines)).to.equal(lines)
  })

  it('masks whole lines and text inside lines', () => {
    const s = new JobLogScrubber()
    s.add(['hunter22'])
    const out = s.scrubLines([line('hunter22'), line('pw=hunter22;', { stream: 'stderr' })])
    expect(out.map((l) => [l.stream, l.line])).to.deep.equal([
      ['stdout', '******'],
      ['stderr', 'pw=******;'],
    ])
  })

  it('masks a secret cut between pieces of one long line, at every cut position', () => {
    const secret = 'piece-spanning-secret'
    const text = `head ${secret} tail`
    for (let i = 0; i <= text.length; i++) {
      const s = new JobLogScrubber()
      s.add([secret])
      const first = s.scrubLines([line(text.slice(0, i), { continues: true })])
      const second = s.scrubLines([line(text.slice(i))])
      const joined = [...first, ...second].map((l) => l.line).join('')
      expect(joined, `cut at ${i}`).to.equal('head ****** tail')
    }
  })

  it('keeps the held tails of different steps and streams apart', () => {
    const s = new JobLogScrubber()
    s.add(['abcdefgh'])
    const out = s.scrubLines([
      line('1234567890abcd', { continues: true }),
      line('zzzz', { step: 'other' }),
      line('abcd', { stream: 'stderr' }),
      line('efgh!'),
    ])
    expect(out.map((l) => `${l.step}/${l.stream}:${l.line}`)).to.deep.equal([
      'build/stdout:1234567',
      'other/stdout:zzzz',
      'build/stderr:abcd',
      'build/stdout:890******!',
    ])
  })

  it('loads an unknown job once, and only adds to a known one', async () => {
    const calls: string[] = []
    const secrets = new LogSecrets({
      load: async (id) => {
        calls.push(id)
        return ['loaded-secret']
      },
    })
    const loaded = await secrets.forJob('j1')
    await secrets.forJob('j1')
    secrets.add('j2', ['added-secret'])
    await secrets.forJob('j2')
    expect(calls).to.deep.equal(['j1'])
    expect(loaded.scrubLines([line('loaded-secret')])[0]!.line).to.equal('******')
    secrets.forget('j1')
    expect(secrets.get('j1')).to.equal(undefined)
  })

  it('forgets the oldest jobs beyond its limit', () => {
    const secrets = new LogSecrets({ maxJobs: 2 })
    for (const id of ['a', 'b', 'c']) secrets.add(id, [])
    expect(['a', 'b', 'c'].map((id) => secrets.get(id) !== undefined)).to.deep.equal([
      false,
      true,
      true,
    ])
  })
})
