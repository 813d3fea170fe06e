import { expect } from 'chai'
import { createLogHub } from '../../../src/logs/log-hub.ts'
import type { LogEndInfo } from '../../../src/logs/log-hub.ts'
import type { LogRecord } from '../../../src/logs/log-record.ts'

function recorder() {
  const lines: LogRecord[] = []
  const ends: LogEndInfo[] = []
  return {
    lines,
    ends,
    listener: {
      onLines: (r: ReadonlyArray<LogRecord>) => lines.push(...r),
      onEnd: (i: LogEndInfo) => ends.push(i),
    },
  }
}

const rec = (seq: number): LogRecord => ({ seq, json: `{"seq":${seq}}`, step: 's' })

describe('log hub', () => {
  it('delivers lines and the end notice to every subscriber of that job only', () => {
    const hub = createLogHub()
    const a = recorder()
    const b = recorder()
    const other = recorder()
    hub.subscribe('j1', a.listener)
    hub.subscribe('j1', b.listener)
    hub.subscribe('j2', other.listener)
    hub.publish('j1', [rec(1), rec(2)])
    hub.publishEnd('j1', { status: 'completed', lastSeq: 2 })
    expect(a.lines.map((r) => r.seq)).to.deep.equal([1, 2])
    expect(b.lines.map((r) => r.seq)).to.deep.equal([1, 2])
    expect(a.ends).to.deep.equal([{ status: 'completed', lastSeq: 2 }])
    expect(other.lines).to.deep.equal([])
  })

  it('sends the very same record objects to all subscribers', () => {
    const hub = createLogHub()
    const a = recorder()
    const b = recorder()
    hub.subscribe('j', a.listener)
    hub.subscribe('j', b.listener)
    hub.publish('j', [rec(1)])
    expect(a.lines[0]).to.equal(b.lines[0])
  })

  it('counts subscribers and stops delivering after unsubscribe (idempotent)', () => {
    const hub = createLogHub()
    const a = recorder()
    const off = hub.subscribe('j', a.listener)
    hub.subscribe('j', recorder().listener)
    expect(hub.subscriberCount('j')).to.equal(2)
    off()
    off()
    expect(hub.subscriberCount('j')).to.equal(1)
    hub.publish('j', [rec(1)])
    expect(a.lines).to.deep.equal([])
    expect(hub.subscriberCount('nobody')).to.equal(0)
  })

  it('keeps delivering to others when a listener throws, and reports the error', () => {
    const errors: Error[] = []
    const hub = createLogHub({ onListenerError: (e) => errors.push(e) })
    const ok = recorder()
    hub.subscribe('j', {
      onLines: () => {
        throw new Error('boom')
      },
      onEnd: () => undefined,
    })
    hub.subscribe('j', ok.listener)
    hub.publish('j', [rec(1)])
    expect(ok.lines).to.have.length(1)
    expect(errors.map((e) => e.message)).to.deep.equal(['boom'])
  })

  it('lets a listener unsubscribe itself while being called', () => {
    const hub = createLogHub()
    const seen: number[] = []
    const off = hub.subscribe('j', {
      onLines: (r) => {
        seen.push(r[0]!.seq)
        off()
      },
      onEnd: () => undefined,
    })
    const other = recorder()
    hub.subscribe('j', other.listener)
    hub.publish('j', [rec(1)])
    hub.publish('j', [rec(2)])
    expect(seen).to.deep.equal([1])
    expect(other.lines.map((r) => r.seq)).to.deep.equal([1, 2])
  })
  it("reports each change of a job's subscriber count", () => {
    const changes: Array<[string, number]> = []
    const hub = createLogHub({ onSubscribersChanged: (jobId, n) => changes.push([jobId, n]) })
    const offA = hub.subscribe('j1', recorder().listener)
    const offB = hub.subscribe('j1', recorder().listener)
    offA()
    offA()
    offB()
    expect(changes).to.deep.equal([
      ['j1', 1],
      ['j1', 2],
      ['j1', 1],
      ['j1', 0],
    ])
  })
})
