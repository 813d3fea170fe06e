import { expect } from 'chai'
import { checkTemplate, isTemplate, type TemplateRef } from '../../../src/templates/render.ts'

function refsOf(src: string): ReadonlyArray<TemplateRef> {
  const r = checkTemplate(src)
  if (!r.ok) throw new Error(`unexpected failure: ${r.message}`)
  return r.refs
}

function notesOf(src: string): ReadonlyArray<string> {
  const r = checkTemplate(src)
  if (!r.ok) throw new Error(`unexpected failure: ${r.message}`)
  return r.nonPortable
}

function failureOf(src: string): { message: string; line: number; column: number } {
  const r = checkTemplate(src)
  if (r.ok) throw new Error(`expected ${JSON.stringify(src)} to fail`)
  return { message: r.message, line: r.line, column: r.column }
}

describe('isTemplate', () => {
  const CASES: ReadonlyArray<readonly [string, boolean]> = [
    ['plain', false],
    ['${HOME} #} }}', false],
    ['{{ x }}', true],
    ['{% if x %}{% endif %}', true],
    ['{# note #}', true],
  ]
  for (const [s, expected] of CASES) {
    it(`${JSON.stringify(s)} -> ${expected}`, () => expect(isTemplate(s)).to.equal(expected))
  }
})

describe('checkTemplate', () => {
  describe('refs', () => {
    it('lists free variables with their static paths and 1-based positions', () => {
      expect(
        refsOf('Hi {{ input.name }}\n  {{ build_greeting.output.greeting | upper }}'),
      ).to.deep.equal([
        { root: 'input', path: ['name'], line: 1, column: 7 },
        { root: 'build_greeting', path: ['output', 'greeting'], line: 2, column: 6 },
      ])
    })

    it('keeps numeric and bracketed literal segments, and stops at computed ones', () => {
      expect(refsOf('{{ a.items.0.id }}{{ b["x y"].z }}{{ c[d.e].f }}')).to.deep.equal([
        { root: 'a', path: ['items', '0', 'id'], line: 1, column: 4 },
        { root: 'b', path: ['x y', 'z'], line: 1, column: 22 },
        { root: 'c', path: [], line: 1, column: 38 },
        { root: 'd', path: ['e'], line: 1, column: 40 },
      ])
    })

    it('reports positions in the original source after rewriting items.0 and backticks', () => {
      expect(refsOf('{{ `a"b` ~ x.0 ~ y }}')).to.deep.equal([
        { root: 'x', path: ['0'], line: 1, column: 12 },
        { root: 'y', path: [], line: 1, column: 18 },
      ])
    })

    it('excludes loop variables, loop, set names and macro parameters', () => {
      const src = [
        '{% for item in input.items %}{{ item.name }}{{ loop.index }}{% endfor %}',
        '{% for k, v in input.map %}{{ k }}{{ v }}{% endfor %}',
        '{% set total = input.count * 2 %}{{ total }}',
        '{% macro m(a, b=secret.x) %}{{ a }}{{ b }}{{ c }}{% endmacro %}{{ m(1) }}',
      ].join('\n')
      expect(refsOf(src).map((r) => [r.root, ...r.path].join('.'))).to.deep.equal([
        'input.items',
        'input.map',
        'input.count',
        'secret.x',
        'c',
      ])
    })

    it('counts a variable used before its set as free', () => {
      expect(refsOf('{{ x }}{% set x = 1 %}{{ x }}').map((r) => r.root)).to.deep.equal(['x'])
    })

    it('includes variables inside filter arguments, tests, conditions and function calls', () => {
      const src =
        '{% if a is defined and b %}{{ c | default(value=d) }}{{ range(end=e) }}{% endif %}'
      expect(refsOf(src).map((r) => r.root)).to.deep.equal(['a', 'b', 'c', 'd', 'e'])
    })

    it('does not treat map-literal keys, argument names or function names as variables', () => {
      expect(
        refsOf('{{ {k: v} }}{{ x | truncate(length=n) }}{{ now() }}').map((r) => r.root),
      ).to.deep.equal(['v', 'x', 'n'])
    })
  })

  describe('non-portable syntax (§8.6 #11)', () => {
    const CASES: ReadonlyArray<readonly [string, string]> = [
      [
        '{{ a if b else c }}',
        "line 1, column 4: an inline 'x if c else y' works in Weir but not in Strøm",
      ],
      ['{{ 2 ** 3 }}', "the '**' operator"],
      ['{{ 7 // 2 }}', "the '//' operator"],
      ['{% if a %}{% elseif b %}{% endif %}', "line 1, column 14: 'elseif' (Tera: 'elif')"],
      ['{{ x | dump }}', "filter 'dump'"],
      ['{{ x | batch(2) }}', "filter 'batch'"],
      ['{{ x | truncate(5) }}', "positional arguments to filter 'truncate'"],
      ['{{ range(3) }}', "positional arguments to function 'range'"],
      ['{{ {a: 1} }}', 'a map literal'],
      ['{{ x is none }}', "test 'none'"],
      ['{% set x %}y{% endset %}', "block '{% set %}…{% endset %}'"],
      ['{% macro m() %}{% endmacro %}', "an inline '{% macro %}'"],
      ['{{ a === b }}', "'==='"],
      ['{% verbatim %}x{% endverbatim %}', "'{% verbatim %}' (Tera: '{% raw %}')"],
    ]
    for (const [src, note] of CASES) {
      it(`notes ${JSON.stringify(src)}`, () => {
        const notes = notesOf(src)
        expect(notes).to.have.length(1)
        expect(notes[0]).to.include(note)
      })
    }

    it('lists notes in source order', () => {
      const notes = notesOf('{% if a %}{% elseif b %}{% endif %}\n{% verbatim %}x{% endverbatim %}')
      expect(notes.map((n) => n.slice(0, n.indexOf(':')))).to.deep.equal([
        'line 1, column 14',
        'line 2, column 1',
      ])
    })

    it('has no notes for plain Tera templates', () => {
      const src =
        '{% for x in items | sort %}{{ x | truncate(length=3) }}{% if loop.last %}.{% elif x %},{% endif %}{% endfor %}'
      expect(notesOf(src)).to.deep.equal([])
    })
  })

  describe('errors', () => {
    const CASES: ReadonlyArray<readonly [string, string, number, number]> = [
      ['{{ x', "expected '}}'", 1, 5],
      ['a\n{{ x y }}', "expected '}}'", 2, 6],
      ['{{ x | }}', "expected a filter name after '|', got '}}'", 1, 8],
      ['{% if x %}', "missing '{% endif %}'", 1, 11],
      ['{% for x in y %}', "missing '{% endfor %}'", 1, 17],
      ['{{ x | default(value=1', 'unexpected end of template', 1, 23],
      ['{% for x in y %}{% endif %}', "unexpected '{% endif %}'", 1, 20],
      ['{% frob %}', "unknown tag '{% frob %}'", 1, 4],
      ['ab\n {# open', "comment '{#' is never closed", 2, 2],
      [
        '{% for x in y %}{% break %}{% endfor %}',
        "tag '{% break %}' is not supported in Weir templates",
        1,
        20,
      ],
      ['{% continue %}', "tag '{% continue %}' is not supported in Weir templates", 1, 4],
      ['{% set_global x = 1 %}', "tag '{% set_global %}' is not supported in Weir templates", 1, 4],
      ['{% include "x.html" %}', "tag '{% include %}' is not supported in Weir templates", 1, 4],
      [
        '{% switch x %}{% case 1 %}{% endswitch %}',
        "tag '{% switch %}' is not supported in Weir templates",
        1,
        4,
      ],
      ['\n  {{ name | xyz }}', "unknown filter 'xyz'", 2, 13],
      ['{{ x is frob }}', "unknown test 'frob'", 1, 4],
      ['{{ x is divisibleby }}', "test 'divisibleby' takes 1 argument", 1, 4],
      ['{{ nope() }}', "unknown function 'nope'", 1, 4],
      [
        '{{ x | truncate(lenght=3) }}',
        "filter 'truncate' has no argument 'lenght' (expected length, end)",
        1,
        17,
      ],
      ['{{ x | upper(1) }}', "filter 'upper' takes at most 0 argument(s)", 1, 8],
      ['{{ x | replace("a", from="b") }}', "filter 'replace' got argument 'from' twice", 1, 21],
      ['{{ x.y() }}', 'only functions and macros can be called (methods are not supported)', 1, 5],
      ['{{ r/ab/ }}', 'regular expression literals are not supported in Weir templates', 1, 4],
      ['{{ (1, 2) }}', 'tuples are not supported; use [a, b]', 1, 4],
      ['{{ "open }}', 'string is never closed', 1, 4],
      ['{% raw %}x', "missing '{% endraw %}'", 1, 11],
      ['{{ a ! b }}', "unexpected character '!'", 1, 6],
      ['{{ items[0 }}', "expected ']', got '}}'", 1, 12],
      ['{% if x y %}{% endif %}', "expected '%}' to close '{% if'", 1, 9],
      ['{% if a %}{% else %}{% elif b %}{% endif %}', "unexpected '{% elif %}'", 1, 24],
      ['{% for a, b, c in m %}{% endfor %}', 'a for loop takes one or two variable names', 1, 8],
      ['{% set x 1 %}', "expected '=' or '%}' in '{% set %}', got '1'", 1, 10],
      ['{% macro m() %}{% endmacro q %}', "'{% endmacro q %}' closes macro 'm'", 1, 28],
    ]
    for (const [src, message, line, column] of CASES) {
      it(`reports ${JSON.stringify(src)} at ${line}:${column}`, () => {
        expect(failureOf(src)).to.deep.equal({ message, line, column })
      })
    }
  })

  it('accepts non-templates and returns the same answer from its cache', () => {
    expect(checkTemplate('no syntax here')).to.deep.equal({ ok: true, refs: [], nonPortable: [] })
    const src = '{{ cached.value }}'
    expect(checkTemplate(src)).to.deep.equal(checkTemplate(src))
  })
})
