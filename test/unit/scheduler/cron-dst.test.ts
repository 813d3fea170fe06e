import { expect } from 'chai'
import { fireTimesBetween, nextFireTimes } from '../../../src/scheduler/cron.ts'

// Copenhagen: 2026-03-29 02:00 CET -> 03:00 CEST (01:00Z); 2026-10-25 03:00 CEST -> 02:00 CET (01:00Z).
// New York: 2026-03-08 02:00 EST -> 03:00 EDT (07:00Z); 2026-11-01 02:00 EDT -> 01:00 EST (06:00Z).
// Lord Howe: 2026-04-05 02:00 (+11) -> 01:30 (+10:30) at 15:00Z. Santiago: 2026-09-06 00:00 -> 01:00.
const CPH = 'Europe/Copenhagen'
const NY = 'America/New_York'
const iso = (dates: ReadonlyArray<Date>): string[] => dates.map((d) => d.toISOString())
const at = (s: string): Date => new Date(s)

describe('cron across DST changes and catch-up windows', () => {
  describe('nextFireTimes', () => {
    const table: Array<{ name: string; expr: string; tz: string; after: string; want: string[] }> =
      [
        {
          name: 'shifts a time skipped by spring-forward by the gap',
          expr: '30 2 * * *',
          tz: CPH,
          after: '2026-03-28T12:00:00.000Z',
          want: ['2026-03-29T01:30:00.000Z', '2026-03-30T00:30:00.000Z'],
        },
        {
          name: 'still fires the shifted slot when starting inside the shifted hour',
          expr: '30 2 * * *',
          tz: CPH,
          after: '2026-03-29T01:10:00.000Z',
          want: ['2026-03-29T01:30:00.000Z', '2026-03-30T00:30:00.000Z'],
        },
        {
          name: 'fires a repeated wall time once, on its first pass',
          expr: '30 2 * * *',
          tz: CPH,
          after: '2026-10-24T12:00:00.000Z',
          want: ['2026-10-25T00:30:00.000Z', '2026-10-26T01:30:00.000Z'],
        },
        {
          name: 'skips the second pass when starting inside the repeated hour',
          expr: '30 2 * * *',
          tz: CPH,
          after: '2026-10-25T01:10:00.000Z',
          want: ['2026-10-26T01:30:00.000Z'],
        },
        {
          name: 'keeps minute steps inside a restricted, repeated hour to the first pass',
          expr: '*/20 2 * * *',
          tz: CPH,
          after: '2026-10-24T23:50:00.000Z',
          want: [
            '2026-10-25T00:00:00.000Z',
            '2026-10-25T00:20:00.000Z',
            '2026-10-25T00:40:00.000Z',
            '2026-10-26T01:00:00.000Z',
          ],
        },
        {
          name: 'keeps an every-hour expression an interval through fall-back',
          expr: '0 * * * *',
          tz: CPH,
          after: '2026-10-24T23:30:00.000Z',
          want: [
            '2026-10-25T00:00:00.000Z',
            '2026-10-25T01:00:00.000Z',
            '2026-10-25T02:00:00.000Z',
          ],
        },
        {
          name: 'shifts a skipped time in New York',
          expr: '30 2 * * *',
          tz: NY,
          after: '2026-03-07T12:00:00.000Z',
          want: ['2026-03-08T07:30:00.000Z', '2026-03-09T06:30:00.000Z'],
        },
        {
          name: 'fires a repeated time once in New York',
          expr: '30 1 * * *',
          tz: NY,
          after: '2026-10-31T12:00:00.000Z',
          want: ['2026-11-01T05:30:00.000Z', '2026-11-02T06:30:00.000Z'],
        },
        {
          name: 'applies DST rules inside allowed years',
          expr: '0 30 2 * * * 2026',
          tz: CPH,
          after: '2026-10-24T12:00:00.000Z',
          want: ['2026-10-25T00:30:00.000Z', '2026-10-26T01:30:00.000Z'],
        },
        {
          name: 'handles a 30-minute fall-back (Lord Howe) with a first-pass-only rule',
          expr: '*/20 1 * * *',
          tz: 'Australia/Lord_Howe',
          after: '2026-04-04T14:05:00.000Z',
          want: [
            '2026-04-04T14:20:00.000Z',
            '2026-04-04T14:40:00.000Z',
            '2026-04-05T14:30:00.000Z',
          ],
        },
        {
          name: 'fires a skipped midnight at the first valid time (Santiago)',
          expr: '0 0 * * *',
          tz: 'America/Santiago',
          after: '2026-09-05T12:00:00.000Z',
          want: ['2026-09-06T04:00:00.000Z', '2026-09-07T03:00:00.000Z'],
        },
      ]
    for (const row of table) {
      it(row.name, () => {
        expect(iso(nextFireTimes(row.expr, row.tz, at(row.after), row.want.length))).to.deep.equal(
          row.want,
        )
      })
    }
  })

  describe('fireTimesBetween', () => {
    it('returns every slot in (after, until], ascending', () => {
      const got = fireTimesBetween(
        '*/10 * * * * *',
        'UTC',
        at('2026-03-02T10:00:10Z'),
        at('2026-03-02T10:00:30Z'),
        10,
      )
      expect(iso(got)).to.deep.equal(['2026-03-02T10:00:20.000Z', '2026-03-02T10:00:30.000Z'])
    })

    it('keeps the newest `limit` slots when more fell due', () => {
      const got = fireTimesBetween(
        '*/10 * * * * *',
        'UTC',
        at('2026-03-02T10:00:00Z'),
        at('2026-03-02T16:05:03Z'),
        3,
      )
      expect(iso(got)).to.deep.equal([
        '2026-03-02T16:04:40.000Z',
        '2026-03-02T16:04:50.000Z',
        '2026-03-02T16:05:00.000Z',
      ])
    })

    const empty: Array<[string, string, string, number]> = [
      ['an empty window', '2026-03-02T10:00:30Z', '2026-03-02T10:00:30Z', 5],
      ['a reversed window', '2026-03-02T10:00:30Z', '2026-03-02T10:00:00Z', 5],
      ['limit 0', '2026-03-02T10:00:00Z', '2026-03-02T10:01:00Z', 0],
      ['a window between slots', '2026-03-02T10:00:01Z', '2026-03-02T10:00:09Z', 5],
    ]
    for (const [name, after, until, limit] of empty) {
      it(`returns nothing for ${name}`, () => {
        expect(
          fireTimesBetween('*/10 * * * * *', 'UTC', at(after), at(until), limit),
        ).to.deep.equal([])
      })
    }

    it('fires a repeated wall time once across fall-back', () => {
      const got = fireTimesBetween(
        '30 2 * * *',
        CPH,
        at('2026-10-23T12:00:00Z'),
        at('2026-10-27T12:00:00Z'),
        10,
      )
      expect(iso(got)).to.deep.equal([
        '2026-10-24T00:30:00.000Z',
        '2026-10-25T00:30:00.000Z',
        '2026-10-26T01:30:00.000Z',
        '2026-10-27T01:30:00.000Z',
      ])
    })

    it('includes the shifted slot of a spring-forward day', () => {
      const got = fireTimesBetween(
        '30 2 * * *',
        CPH,
        at('2026-03-27T12:00:00Z'),
        at('2026-03-30T12:00:00Z'),
        2,
      )
      expect(iso(got)).to.deep.equal(['2026-03-29T01:30:00.000Z', '2026-03-30T00:30:00.000Z'])
    })

    const chains: Array<[string, string, string]> = [
      ['*/20 1-3 * * *', CPH, '2026-10-24T22:00:00Z'],
      ['*/20 1-3 * * *', CPH, '2026-03-28T22:00:00Z'],
      ['0 * * * *', CPH, '2026-10-24T22:00:00Z'],
      ['0 30 1 15W,L * ? 2026', 'UTC', '2026-09-01T00:00:00Z'],
    ]
    for (const [expr, tz, start] of chains) {
      it(`agrees with nextFireTimes for '${expr}' in ${tz}`, () => {
        const chain = nextFireTimes(expr, tz, at(start), 8).map((d) => d.getTime())
        for (const [i, j, limit] of [
          [0, 7, 3],
          [1, 5, 10],
          [2, 6, 1],
        ] as const) {
          // Windows start and end just off slots, to exercise both bounds.
          const after = new Date(chain[i]! - 1)
          const until = new Date(chain[j]! + 1)
          const want = chain.slice(i, j + 1).slice(-limit)
          const got = fireTimesBetween(expr, tz, after, until, limit).map((d) => d.getTime())
          expect(got).to.deep.equal(want)
        }
      })
    }
  })
})
