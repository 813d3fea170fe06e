import { expect } from 'chai'
import { renderTemplate } from '../../../src/templates/render.ts'

// 2024-03-05T06:07:08.009Z, a Tuesday, day 65 of a leap year
const TS = 1709618828
const ISO = '2024-03-05T06:07:08.009Z'

describe('date filter (strftime, Tera semantics)', () => {
  const CASES: ReadonlyArray<readonly [string, unknown, string]> = [
    ['%Y-%m-%d', TS, '2024-03-05'],
    ['%F %T', TS, '2024-03-05 06:07:08'],
    ['%D %R', TS, '03/05/24 06:07'],
    ['%y %b %B %a %A', TS, '24 Mar March Tue Tuesday'],
    ['%j|%e|%-d|%-m|%_H', TS, '065| 5|5|3| 6'],
    ['%I:%M %p %P', TS, '06:07 AM am'],
    ['%u %w', TS, '2 2'],
    ['%s', TS, '1709618828'],
    ['%% %n', TS, '% \n'],
    ['%H:%M:%S%.3f', ISO, '06:07:08.009'],
    ['%f', ISO, '009000000'],
    ['%z %:z %Z', ISO, '+0000 +00:00 +00:00'],
    ['%Y-%m-%d %H:%M %z', '2024-03-05T23:30:00+02:00', '2024-03-05 23:30 +0200'],
    ['%Y-%m-%d %H:%M %Z', '2024-03-05T10:00:00', '2024-03-05 10:00 UTC'],
    ['%d/%m/%Y', '2024-03-05', '05/03/2024'],
  ]
  for (const [format, value, expected] of CASES) {
    it(`formats ${JSON.stringify(value)} with "${format}"`, () => {
      expect(renderTemplate('{{ v | date(format=f) }}', { v: value, f: format })).to.equal(expected)
    })
  }

  it('defaults to %Y-%m-%d', () => {
    expect(renderTemplate('{{ v | date }}', { v: ISO })).to.equal('2024-03-05')
  })

  it('converts into an IANA time zone', () => {
    const src = '{{ v | date(format="%Y-%m-%d %H:%M %z", timezone="Europe/Copenhagen") }}'
    expect(renderTemplate(src, { v: ISO })).to.equal('2024-03-05 07:07 +0100')
    expect(renderTemplate(src, { v: '2024-07-01T22:30:00Z' })).to.equal('2024-07-02 00:30 +0200')
    const ny = '{{ v | date(format="%H:%M %z", timezone="America/New_York") }}'
    expect(renderTemplate(ny, { v: TS })).to.equal('01:07 -0500')
  })

  const ERRORS: ReadonlyArray<readonly [string, unknown, string]> = [
    ['{{ v | date(timezone="Mars/Base") }}', TS, "unknown time zone 'Mars/Base'"],
    ['{{ v | date(format="%Q") }}', TS, "unsupported format '%Q'"],
    ['{{ v | date }}', 'yesterday', "cannot read 'yesterday' as a date"],
    ['{{ v | date }}', [1], 'expects a timestamp or a date string, got list'],
  ]
  for (const [src, value, message] of ERRORS) {
    it(`fails ${src} on ${JSON.stringify(value)}`, () => {
      expect(() => renderTemplate(src, { v: value })).to.throw(message)
    })
  }
})
