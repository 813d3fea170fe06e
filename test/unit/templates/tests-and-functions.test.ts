import { expect } from 'chai'
import { renderTemplate, type TemplateOptions } from '../../../src/templates/render.ts'

const ctx = { n: 7, s: 'hello', list: [1, 2], map: { a: 1 }, nothing: null }

describe('template tests (x is …)', () => {
  const CASES: ReadonlyArray<readonly [string, boolean]> = [
    ['n is defined', true],
    ['missing is defined', false],
    ['missing is undefined', true],
    ['nothing is defined', true],
    ['n is odd', true],
    ['n is even', false],
    ['n is not even', true],
    ['s is string', true],
    ['n is string', false],
    ['n is number', true],
    ['s is number', false],
    ['21 is divisibleby(n)', true],
    ['22 is divisibleby(7)', false],
    ['list is iterable', true],
    ['map is iterable', true],
    ['s is iterable', false],
    ['map is object', true],
    ['list is object', false],
    ['s is starting_with("he")', true],
    ['s is ending_with("lo")', true],
    ['s is ending_with("he")', false],
    ['s is containing("ell")', true],
    ['list is containing(2)', true],
    ['map is containing("a")', true],
    ['map is containing("b")', false],
    ['s is matching("^h.*o$")', true],
    ['s is matching("^x")', false],
    ['nothing is none', true],
    ['s is truthy', true],
    ['"" is falsy', true],
    ['map is mapping', true],
    ['n is equalto(7)', true],
  ]
  for (const [expr, expected] of CASES) {
    it(`{{ ${expr} }} is ${expected}`, () => {
      expect(renderTemplate(`{{ ${expr} }}`, ctx)).to.equal(String(expected))
    })
  }

  it('rejects invalid regular expressions', () => {
    expect(() => renderTemplate('{{ s is matching("(") }}', ctx)).to.throw(
      "test 'matching': invalid regular expression '('",
    )
  })
})

describe('template functions', () => {
  const fixed: TemplateOptions = {
    env: { HOME_DIR: '/home/weir' },
    clock: { now: () => new Date('2024-03-05T06:07:08.009Z') },
    random: () => 0.5,
  }
  const CASES: ReadonlyArray<readonly [string, string]> = [
    ['{{ range(end=3) }}', '[0, 1, 2]'],
    ['{{ range(start=2, end=8, step_by=3) }}', '[2, 5]'],
    ['{{ range(3) }}', '[0, 1, 2]'],
    ['{{ range(1, 4) }}', '[1, 2, 3]'],
    ['{{ now(timestamp=true) }}', '1709618828'],
    ['{{ now(utc=true) }}', '2024-03-05T06:07:08.009+00:00'],
    ['{{ now(utc=true) | date(format="%d.%m.%Y") }}', '05.03.2024'],
    ['{{ get_env(name="HOME_DIR") }}', '/home/weir'],
    ['{{ get_env(name="NOPE", default="fallback") }}', 'fallback'],
    ['{{ get_random(start=10, end=20) }}', '15'],
    ['{{ get_random(end=4) }}', '2'],
  ]
  for (const [src, expected] of CASES) {
    it(`renders ${src}`, () => {
      expect(renderTemplate(src, {}, fixed)).to.equal(expected)
    })
  }

  it('renders now() in local time as RFC 3339', () => {
    expect(renderTemplate('{{ now() }}', {}, fixed)).to.match(
      /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}[+-]\d{2}:\d{2}$/,
    )
  })

  it('fails now() when the caller gave no clock', () => {
    expect(() => renderTemplate('{{ now() }}', {})).to.throw(
      "function 'now': no clock was given to this render",
    )
  })

  it('sees no environment unless one is given', () => {
    expect(() => renderTemplate('{{ get_env(name="PATH") }}', {})).to.throw(
      "function 'get_env': environment variable 'PATH' is not set",
    )
  })

  it('throw() fails the render with its message', () => {
    expect(() => renderTemplate('{{ throw(message="no deploys on Friday") }}', {})).to.throw(
      'template line 1, column 4: no deploys on Friday',
    )
  })

  it('rejects bad ranges', () => {
    expect(() => renderTemplate('{{ range(start=5, end=1) }}', {})).to.throw('greater than end')
    expect(() => renderTemplate('{{ range(end=10000000) }}', {})).to.throw('more than 100000 items')
    expect(() => renderTemplate('{{ range(end=3, step_by=0) }}', {})).to.throw('must be positive')
  })
})
