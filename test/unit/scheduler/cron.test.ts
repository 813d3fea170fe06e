import { expect } from 'chai'
import { checkCron, isValidTimezone, nextFireTimes } from '../../../src/scheduler/cron.ts'

const CPH = 'Europe/Copenhagen'
const NY = 'America/New_York'
const iso = (dates: ReadonlyArray<Date>): string[] => dates.map((d) => d.toISOString())
const at = (s: string): Date => new Date(s)

describe('cron', () => {
  describe('checkCron', () => {
    const valid: Array<[string, 5 | 6 | 7]> = [
      ['* * * * *', 5],
      ['0 0 25 * *', 5],
      ['*/10 * * * * *', 6],
      ['0 0 2 * * *', 6],
      ['0 0 12 * * ? *', 7],
      ['0 0 12 * * ? 2030-2040/5', 7],
      ['0 9 * JAN-MAR MON-FRI', 5],
      ['0 9 * jan-mar mon-fri', 5],
      ['1-5/2,30 * * * *', 5],
      ['0 12 ? * MON', 5],
      ['0 0 L * *', 5],
      ['0 0 * * 5L', 5],
      ['0 0 * * MON#2', 5],
      ['0 0 15W * ?', 5],
      ['0 0 LW * ?', 5],
      ['0 0 1W,15 * ?', 5],
      ['0 0 * * 7', 5],
      ['@hourly', 5],
      ['@daily', 5],
      ['@midnight', 5],
      ['@weekly', 5],
      ['@monthly', 5],
      ['@yearly', 5],
      ['@annually', 5],
      ['  0 0 * * *  ', 5],
    ]
    for (const [expr, fields] of valid) {
      it(`accepts '${expr}' as ${fields} fields`, () => {
        expect(checkCron(expr)).to.deep.equal({ ok: true, fields })
      })
    }

    const invalid: Array<[string, string]> = [
      ['', 'expected 5, 6 or 7 fields, got 0'],
      ['0 0 * *', 'expected 5, 6 or 7 fields, got 4'],
      ['0 0 0 * * * * 2027', 'expected 5, 6 or 7 fields, got 8'],
      ['0 25 * * *', "hour field '25'"],
      ['60 * * * *', "minute field '60'"],
      ['* * * * 8', "day-of-week field '8'"],
      ['0 0 * JAN-FOO *', "month field 'JAN-FOO'"],
      ['*/0 * * * *', "minute field '*/0'"],
      ['5-1 * * * *', "minute field '5-1'"],
      ['0 0 ,1 * *', 'empty list item'],
      ['0 0 30 2 *', "day-of-month field '30' names no day that month field '2' has"],
      ['0 0 * * 1#6', "day-of-week field '1#6'"],
      ['0 0 1-5W * *', "'1-5W' is not a nearest-weekday item"],
      ['0 0 32W * *', "'32W' is not a nearest-weekday item"],
      ['H * * * *', 'hashed values (H) are not supported'],
      ['@reboot', "unknown nickname '@reboot'"],
      ['0 0 0 * * * 3000', "year field: '3000' is outside 1970-2099"],
      ['0 0 0 * * * 2030-2020', "year field: range '2030-2020' ends before it starts"],
      ['0 0 0 * * * 20x0', "year field: invalid item '20x0'"],
      ['0 0 0 29 2 ? 2099', 'it never fires'],
    ]
    for (const [expr, reason] of invalid) {
      it(`rejects '${expr}' (${reason})`, () => {
        const check = checkCron(expr)
        expect(check.ok).to.equal(false)
        if (check.ok) return
        expect(check.message).to.match(new RegExp(`^invalid cron expression '${escape(expr)}': `))
        expect(check.message).to.contain(reason)
      })
    }
  })

  describe('isValidTimezone', () => {
    const table: Array<[string, boolean]> = [
      ['UTC', true],
      [CPH, true],
      [NY, true],
      ['Etc/GMT+1', true],
      ['CET+1', false],
      ['+01:00', false],
      ['Mars/Base', false],
      ['', false],
      [' UTC', false],
    ]
    for (const [tz, ok] of table) {
      it(`${ok ? 'accepts' : 'rejects'} '${tz}'`, () => {
        expect(isValidTimezone(tz)).to.equal(ok)
      })
    }
  })

  describe('nextFireTimes', () => {
    const table: Array<{ name: string; expr: string; tz: string; after: string; want: string[] }> =
      [
        {
          name: 'fires every 10 s with seconds first (API.md §4.5)',
          expr: '*/10 * * * * *',
          tz: 'UTC',
          after: '2026-03-02T10:00:00.000Z',
          want: [
            '2026-03-02T10:00:10.000Z',
            '2026-03-02T10:00:20.000Z',
            '2026-03-02T10:00:30.000Z',
          ],
        },
        {
          name: 'is strictly after a time with milliseconds',
          expr: '*/10 * * * * *',
          tz: 'UTC',
          after: '2026-03-02T10:00:09.999Z',
          want: ['2026-03-02T10:00:10.000Z', '2026-03-02T10:00:20.000Z'],
        },
        {
          name: 'is strictly after a time that is itself a slot',
          expr: '0 0 2 * * *',
          tz: 'UTC',
          after: '2026-03-03T02:00:00.000Z',
          want: ['2026-03-04T02:00:00.000Z', '2026-03-05T02:00:00.000Z'],
        },
        {
          name: 'fires a 5-field expression at second 0 in local time',
          expr: '30 2 * * *',
          tz: CPH,
          after: '2026-01-10T12:00:00.000Z',
          want: ['2026-01-11T01:30:00.000Z', '2026-01-12T01:30:00.000Z'],
        },
        {
          name: 'matches either day field when both are restricted',
          expr: '0 0 13 * FRI',
          tz: 'UTC',
          after: '2026-03-28T00:00:00.000Z',
          want: [
            '2026-04-03T00:00:00.000Z',
            '2026-04-10T00:00:00.000Z',
            '2026-04-13T00:00:00.000Z',
          ],
        },
        {
          name: 'reads names and ranges',
          expr: '0 9 * FEB-MAR MON',
          tz: 'UTC',
          after: '2026-01-31T00:00:00.000Z',
          want: ['2026-02-02T09:00:00.000Z', '2026-02-09T09:00:00.000Z'],
        },
        {
          name: 'fires on the last day of the month (L)',
          expr: '0 0 L * ?',
          tz: 'UTC',
          after: '2026-01-15T00:00:00.000Z',
          want: ['2026-01-31T00:00:00.000Z', '2026-02-28T00:00:00.000Z'],
        },
        {
          name: 'fires on the last Friday (5L)',
          expr: '0 0 * * 5L',
          tz: 'UTC',
          after: '2026-01-01T00:00:00.000Z',
          want: ['2026-01-30T00:00:00.000Z', '2026-02-27T00:00:00.000Z'],
        },
        {
          name: 'fires on the nth weekday (#)',
          expr: '0 0 * * MON#2',
          tz: 'UTC',
          after: '2026-01-01T00:00:00.000Z',
          want: ['2026-01-12T00:00:00.000Z', '2026-02-09T00:00:00.000Z'],
        },
        {
          name: 'moves 15W off a Sunday to Monday (15 Feb and 15 Mar 2026)',
          expr: '0 9 15W * ?',
          tz: 'UTC',
          after: '2026-02-01T00:00:00.000Z',
          want: [
            '2026-02-16T09:00:00.000Z',
            '2026-03-16T09:00:00.000Z',
            '2026-04-15T09:00:00.000Z',
          ],
        },
        {
          name: 'moves 15W off a Saturday to Friday (15 Aug 2026)',
          expr: '0 9 15W * ?',
          tz: 'UTC',
          after: '2026-08-01T00:00:00.000Z',
          want: ['2026-08-14T09:00:00.000Z'],
        },
        {
          name: 'keeps 1W inside the month (Sat 1 Aug -> Mon 3)',
          expr: '0 9 1W * ?',
          tz: 'UTC',
          after: '2026-07-02T00:00:00.000Z',
          want: ['2026-08-03T09:00:00.000Z', '2026-09-01T09:00:00.000Z'],
        },
        {
          name: 'fires on the last weekday (LW) in local time',
          expr: '0 0 LW * ?',
          tz: CPH,
          after: '2026-05-01T00:00:00.000Z',
          want: ['2026-05-28T22:00:00.000Z', '2026-06-29T22:00:00.000Z'],
        },
        {
          name: 'combines W days with weekdays by OR',
          expr: '0 12 15W * MON',
          tz: 'UTC',
          after: '2026-02-10T00:00:00.000Z',
          want: [
            '2026-02-16T12:00:00.000Z',
            '2026-02-23T12:00:00.000Z',
            '2026-03-02T12:00:00.000Z',
          ],
        },
        {
          name: 'expands @daily in the trigger time zone',
          expr: '@daily',
          tz: CPH,
          after: '2026-06-01T12:00:00.000Z',
          want: ['2026-06-01T22:00:00.000Z', '2026-06-02T22:00:00.000Z'],
        },
        {
          name: 'expands @weekly to Sunday midnight',
          expr: '@weekly',
          tz: 'UTC',
          after: '2026-03-02T00:00:00.000Z',
          want: ['2026-03-08T00:00:00.000Z'],
        },
        {
          name: 'expands @yearly',
          expr: '@yearly',
          tz: NY,
          after: '2026-03-02T00:00:00.000Z',
          want: ['2027-01-01T05:00:00.000Z'],
        },
        {
          name: 'waits for the first year a 7-field expression allows',
          expr: '0 0 12 * * ? 2027',
          tz: 'UTC',
          after: '2026-06-01T00:00:00.000Z',
          want: ['2027-01-01T12:00:00.000Z', '2027-01-02T12:00:00.000Z'],
        },
        {
          name: 'stops at the end of the last allowed year',
          expr: '*/10 * * * * * 2026',
          tz: 'UTC',
          after: '2026-12-31T23:59:35.000Z',
          want: ['2026-12-31T23:59:40.000Z', '2026-12-31T23:59:50.000Z'],
        },
        {
          name: 'steps years in local time',
          expr: '0 0 0 1 1 ? 2030-2040/5',
          tz: CPH,
          after: '2026-01-01T00:00:00.000Z',
          want: [
            '2029-12-31T23:00:00.000Z',
            '2034-12-31T23:00:00.000Z',
            '2039-12-31T23:00:00.000Z',
          ],
        },
        {
          name: 'returns nothing when every allowed year has passed',
          expr: '0 0 0 1 1 ? 2020',
          tz: 'UTC',
          after: '2026-01-01T00:00:00.000Z',
          want: [],
        },
      ]
    for (const row of table) {
      it(row.name, () => {
        const got = nextFireTimes(row.expr, row.tz, at(row.after), Math.max(row.want.length, 1))
        expect(iso(got)).to.deep.equal(row.want)
      })
    }

    it('returns an empty list for n = 0', () => {
      expect(nextFireTimes('* * * * *', 'UTC', at('2026-01-01T00:00:00Z'), 0)).to.deep.equal([])
    })

    it('treats a "*" year like a 6-field expression', () => {
      const after = at('2026-03-02T10:00:00Z')
      expect(iso(nextFireTimes('0 15 10 * * ? *', CPH, after, 3))).to.deep.equal(
        iso(nextFireTimes('0 15 10 * * ?', CPH, after, 3)),
      )
    })

    it('throws on an invalid expression or time zone', () => {
      const after = at('2026-01-01T00:00:00Z')
      expect(() => nextFireTimes('0 25 * * *', 'UTC', after, 1)).to.throw(
        "invalid cron expression '0 25 * * *'",
      )
      expect(() => nextFireTimes('0 0 * * *', 'CET+1', after, 1)).to.throw(
        "invalid timezone 'CET+1'",
      )
    })
  })
})

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}
