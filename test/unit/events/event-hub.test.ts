import { expect } from 'chai'
import type { StoredEvent } from '../../../src/db/repositories/event.repository.ts'
import { EventHub, type HubEvent } from '../../../src/events/event-hub.ts'
import { silentLogger } from '../../../src/shared/logger.ts'

/** An in-memory job_events table the hub reads; every read is recorded. */
function fakeTable() {
  const rows: StoredEvent[] = []
  const reads: number[] = []
  let gate: Promise<void> | null = null
  return {
    rows,
    reads,
    add(n: number) {
      for (let i = 0; i < n; i++) {
        const id = (rows.at(-1)?.id ?? 0) + 1
        rows.push({
          id,
          type: 'job.created',
          jobId: `j${id}`,
          workspace: 'w',
          data: {},
          at: new Date(0),
        })
      }
    },
    /** Holds reads until the returned function is called. */
    hold(): () => void {
      let release: () => void = () => undefined
      gate = new Promise((r) => (release = r))
      return () => {
        gate = null
        release()
      }
    },
    deps(pageSize = 3) {
      return {
        readAfter: async (after: number, limit: number) => {
          reads.push(after)
          if (gate) await gate
          return rows.filter((r) => r.id > after).slice(0, limit)
        },
        latestId: async () => rows.at(-1)?.id ?? 0,
        logger: silentLogger(),
        safetyPollMs: 3_600_000,
        pageSize,
      }
    },
  }
}

function collector() {
  const got: HubEvent[] = []
  return { got, sub: { onEvents: (e: ReadonlyArray<HubEvent>) => got.push(...e) } }
}

const settle = () => new Promise((r) => setImmediate(r))

describe('event hub', () => {
  it('starts a first subscriber at the end of the table and delivers later events in order', async () => {
    const table = fakeTable()
    table.add(4)
    const hub = new EventHub(table.deps())
    const a = collector()
    const { cursor } = await hub.subscribe(a.sub)
    expect(cursor).to.equal(4)
    table.add(7)
    hub.wake()
    await settle()
    await settle()
    expect(a.got.map((e) => e.id)).to.deep.equal([5, 6, 7, 8, 9, 10, 11])
    expect(a.got[0]!.frame).to.match(/^id: 5\nevent: job\.created\n/)
    await hub.close()
  })

  it('reads the table only while someone listens, and once for a burst of wake-ups', async () => {
    const table = fakeTable()
    const hub = new EventHub(table.deps(100))
    hub.wake()
    await settle()
    expect(table.reads).to.deep.equal([])
    const a = collector()
    const sub = await hub.subscribe(a.sub)
    await settle()
    const release = table.hold()
    table.reads.length = 0
    table.add(2)
    hub.wake()
    hub.wake()
    hub.wake()
    release()
    for (let i = 0; i < 5; i++) await settle()
    // One read in flight when the burst came, one more for the wake-ups during it.
    expect(table.reads.length).to.be.at.most(2)
    expect(a.got.map((e) => e.id)).to.deep.equal([1, 2])
    sub.unsubscribe()
    table.reads.length = 0
    table.add(1)
    hub.wake()
    await settle()
    expect(table.reads).to.deep.equal([])
    await hub.close()
  })

  it('hands a later subscriber the current cursor: it gets only what comes after', async () => {
    const table = fakeTable()
    const hub = new EventHub(table.deps())
    const a = collector()
    await hub.subscribe(a.sub)
    table.add(2)
    hub.wake()
    for (let i = 0; i < 3; i++) await settle()
    const b = collector()
    const { cursor } = await hub.subscribe(b.sub)
    expect(cursor).to.equal(2)
    table.add(1)
    hub.wake()
    for (let i = 0; i < 3; i++) await settle()
    expect(a.got.map((e) => e.id)).to.deep.equal([1, 2, 3])
    expect(b.got.map((e) => e.id)).to.deep.equal([3])
    await hub.close()
  })

  it('keeps going after a failed read and a throwing subscriber', async () => {
    const table = fakeTable()
    const deps = table.deps()
    let fail = true
    const hub = new EventHub({
      ...deps,
      readAfter: async (after, limit) => {
        if (fail) {
          fail = false
          throw new Error('connection reset')
        }
        return deps.readAfter(after, limit)
      },
    })
    const good = collector()
    await hub.subscribe({
      onEvents: () => {
        throw new Error('bad subscriber')
      },
    })
    await hub.subscribe(good.sub)
    table.add(1)
    hub.wake()
    for (let i = 0; i < 3; i++) await settle()
    hub.wake()
    for (let i = 0; i < 3; i++) await settle()
    expect(good.got.map((e) => e.id)).to.deep.equal([1])
    await hub.close()
  })
})
