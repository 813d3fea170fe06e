import { expect } from 'chai'
import { renderTemplate, TemplateError } from '../../../src/templates/render.ts'

const ctx = {
  input: {
    name: 'Ada',
    count: 5,
    flag: true,
    off: false,
    note: null,
    items: ['x', 'y', 'z'],
    empty_list: [],
    empty_map: {},
    nested: { list: [{ id: 7 }] },
    html: '<b>&</b>',
    nan: Number.NaN,
    zero: 0,
    blank: '',
    text: 'hello',
  },
  secret: { token: 's3cr3t' },
}

function render(src: string): string {
  return renderTemplate(src, ctx)
}

function renderError(src: string, c: Readonly<Record<string, unknown>> = ctx): TemplateError {
  try {
    renderTemplate(src, c)
  } catch (e) {
    expect(e).to.be.instanceOf(TemplateError)
    return e as TemplateError
  }
  throw new Error(`expected ${JSON.stringify(src)} to fail`)
}

describe('renderTemplate: Tera compatibility (WORKSPACE-FORMAT.md §8.6)', () => {
  it('#1 does not autoescape', () => {
    expect(render('{{ input.html }}')).to.equal('<b>&</b>')
  })

  describe('#2 only undefined fails', () => {
    it('renders null as an empty string', () => {
      expect(render('[{{ input.note }}]')).to.equal('[]')
    })
    it('names an undefined top-level variable with its position', () => {
      const err = renderError('ab\n  {{ nope }}')
      expect(err.message).to.equal("template line 2, column 6: variable 'nope' is not defined")
      expect(err.reason).to.equal("variable 'nope' is not defined")
      expect([err.line, err.column, err.variable]).to.deep.equal([2, 6, 'nope'])
    })
    it('names the full path when a nested key is missing', () => {
      const err = renderError('{{ build_greeting.output.greting }}', {
        build_greeting: { output: { greeting: 'hi' } },
      })
      expect(err.message).to.include("variable 'build_greeting.output.greting' is not defined")
      expect(err.variable).to.equal('build_greeting.output.greting')
    })
    it('names the full path when an intermediate key is missing or null', () => {
      expect(renderError('{{ input.missing.deeper }}').variable).to.equal('input.missing.deeper')
      expect(renderError('{{ input.note.x }}').variable).to.equal('input.note.x')
      expect(renderError('{{ input.items.7 }}').variable).to.equal('input.items.7')
      expect(renderError('{{ input[input.text].x }}').variable).to.equal('input[input.text].x')
    })
    it('fails on undefined variables inside filters, loops and operators', () => {
      for (const src of [
        '{{ nope | upper }}',
        '{% for x in nope %}{% endfor %}',
        '{{ nope ~ "a" }}',
        '{{ nope == 1 }}',
        '{{ "a" | replace(from=nope, to="b") }}',
      ]) {
        expect(renderError(src).variable, src).to.equal('nope')
      }
    })
    it('treats undefined as false in if / not / and / or / inline if', () => {
      expect(render('{% if nope %}y{% else %}n{% endif %}')).to.equal('n')
      expect(render('{% if nope | length %}y{% else %}n{% endif %}')).to.equal('n')
      expect(render('{{ not nope }}')).to.equal('true')
      expect(render('{{ nope or input.flag }}')).to.equal('true')
      expect(render('{{ input.flag and nope.x }}')).to.equal('false')
      expect(render('{{ "y" if nope else "n" }}')).to.equal('n')
    })
    it('still fails on undefined operands of comparisons in conditions, as Tera does', () => {
      expect(renderError('{% if nope | length > 0 %}y{% endif %}').variable).to.equal('nope')
    })
    it('applies default only to undefined values, even for missing nested paths', () => {
      expect(render('{{ input.x.y | default(value=1) }}')).to.equal('1')
      expect(render('[{{ input.note | default(value=1) }}]')).to.equal('[]')
      expect(render('{{ input.zero | default(value=1) }}')).to.equal('0')
      expect(render('{{ nope | default(value=input.name) | upper }}')).to.equal('ADA')
    })
    it('evaluates the default value lazily', () => {
      expect(render('{{ input.name | default(value=nope) }}')).to.equal('Ada')
    })
    it('supports is defined / is undefined on missing paths', () => {
      expect(render('{{ input.name is defined }} {{ input.x.y is defined }}')).to.equal(
        'true false',
      )
      expect(render('{{ nope is undefined }} {{ input.note is not defined }}')).to.equal(
        'true false',
      )
    })
  })

  it('#3 takes named arguments for filters and functions', () => {
    expect(render('{{ input.text | truncate(length=2, end="!") }}')).to.equal('he!')
    expect(render('{{ range(end=3, start=1) | join(sep="-") }}')).to.equal('1-2')
  })

  it('#4 reads numeric segments (items.0) as indexes, outside strings only', () => {
    expect(render('{{ input.items.0 }}{{ input.items.2 }}')).to.equal('xz')
    expect(render('{{ input.nested.list.0.id }}')).to.equal('7')
    expect(render('{{ "input.items.0" }} {{ 1.5 + 1 }}')).to.equal('input.items.0 2.5')
  })

  it('#5 accepts backtick strings', () => {
    expect(render('{{ `say "hi"` }}')).to.equal('say "hi"')
    expect(render('{{ input.text | replace(from=`l`, to=`L`) }}')).to.equal('heLLo')
  })

  describe('#6 Tera truthiness', () => {
    const CASES: ReadonlyArray<readonly [string, boolean]> = [
      ['input.empty_list', false],
      ['input.empty_map', false],
      ['input.nan', false],
      ['input.zero', false],
      ['input.blank', false],
      ['input.note', false],
      ['input.off', false],
      ['input.items', true],
      ['input.nested', true],
      ['input.count', true],
      ['input.text', true],
      ['[]', false],
      ['"0"', true],
    ]
    for (const [expr, truthy] of CASES) {
      it(`${expr} is ${truthy ? 'true' : 'false'} in if, not and inline if`, () => {
        expect(render(`{% if ${expr} %}T{% else %}F{% endif %}`)).to.equal(truthy ? 'T' : 'F')
        expect(render(`{{ not ${expr} }}`)).to.equal(String(!truthy))
        expect(render(`{{ "T" if ${expr} else "F" }}`)).to.equal(truthy ? 'T' : 'F')
      })
    }
  })

  it('#7 and/or return booleans', () => {
    expect(render('{{ input.name and input.count }}')).to.equal('true')
    expect(render('{{ input.zero or input.blank }}')).to.equal('false')
    expect(render('{{ input.zero or input.name }}')).to.equal('true')
  })

  it('#8 == and != are type-strict and structural', () => {
    expect(render('{{ "5" == 5 }} {{ input.count == 5 }} {{ 1 == 1.0 }}')).to.equal(
      'false true true',
    )
    expect(render('{{ [1, [2]] == [1, [2]] }} {{ input.nested == input.nested }}')).to.equal(
      'true true',
    )
    expect(render('{{ input.empty_map != {} }} {{ true == 1 }} {{ none == none }}')).to.equal(
      'false false true',
    )
  })

  it('#9 prints lists as [a, b] and maps as [object]', () => {
    expect(render('{{ input.items }} {{ input.nested }} {{ [1, [2, null], "a"] }}')).to.equal(
      '[x, y, z] [object] [1, [2, ], a]',
    )
  })

  it('#10 rejects the Tera-only tags break, continue and set_global', () => {
    for (const tag of ['break', 'continue', 'set_global x = 1']) {
      const err = renderError(`{% for x in input.items %}{% ${tag} %}{% endfor %}`)
      expect(err.message).to.include(`'{% ${tag.split(' ')[0]} %}' is not supported`)
    }
  })

  it('#11 still renders Nunjucks-only syntax', () => {
    expect(render('{{ 2 ** 3 }} {{ 7 // 2 }} {{ "a" if input.flag else "b" }}')).to.equal('8 3 a')
    expect(render('{% if input.off %}a{% elseif input.flag %}b{% endif %}')).to.equal('b')
    expect(render('{{ input.items | dump }}')).to.equal('["x","y","z"]')
  })

  it('#12 uses strftime dates and … as the truncate end', () => {
    expect(render('{{ 86400 | date(format="%Y-%m-%d %H:%M") }}')).to.equal('1970-01-02 00:00')
    expect(render('{{ "abcdef" | truncate(length=3) }}')).to.equal('abc…')
  })
})
