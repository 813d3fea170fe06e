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

describe('renderTemplate: language', () => {
  const CASES: ReadonlyArray<readonly [string, string]> = [
    ['plain text', 'plain text'],
    ['{# comment #}x', 'x'],
    ['{% raw %}{{ not rendered }}{% endraw %}', '{{ not rendered }}'],
    ['{% raw %}${#arr[@]} "q" \\ {# x{% endraw %}', '${#arr[@]} "q" \\ {# x'],
    ['a  {%- raw -%}\n  {{ x }}\n  {%- endraw -%}\n  b', 'a{{ x }}b'],
    ['a {% raw -%}  x  {%- endraw %} b', 'a x b'],
    ['a  {{- input.name -}}  b', 'aAdab'],
    ['{%- if true -%}  x  {%- endif -%}', 'x'],
    ['{% set greeting = "Hi " ~ input.name %}{{ greeting }}', 'Hi Ada'],
    ['{% set block %}in{{ 1 }}{% endset %}{{ block }}', 'in1'],
    [
      '{% for x in input.items %}{{ loop.index0 }}{{ x }}{% if not loop.last %},{% endif %}{% endfor %}',
      '0x,1y,2z',
    ],
    [
      '{% for x in input.items %}{% if loop.first %}F{% endif %}{{ loop.length }}{% endfor %}',
      'F333',
    ],
    ['{% for k, v in input.nested.list.0 %}{{ k }}={{ v }}{% endfor %}', 'id=7'],
    ['{% for x in input.empty_list %}x{% else %}empty{% endfor %}', 'empty'],
    ['{% for c in "ab" %}{{ c }}.{% endfor %}', 'a.b.'],
    [
      '{% for x in [1, 2] %}{% set y = x * 10 %}{{ y }}{% endfor %}[{{ y | default(value="-") }}]',
      '1020[-]',
    ],
    ['{% if input.count > 3 %}big{% elif input.count > 1 %}mid{% else %}small{% endif %}', 'big'],
    ['{{ 1 + 2 * 3 - 4 / 2 }} {{ 7 % 3 }} {{ -input.count }}', '5 1 -5'],
    ['{{ "a" ~ 1 ~ true ~ input.items }}', 'a1true[x, y, z]'],
    [
      '{{ "y" in input.items }} {{ "ell" in input.text }} {{ "name" in input }} {{ 9 not in [1] }}',
      'true true true true',
    ],
    ['{{ input.count >= 5 and input.count < 6 }} {{ "a" < "b" }}', 'true true'],
    ['{{ input["name"] }} {{ input.items[1] }} {{ input.items[input.count - 4] }}', 'Ada y y'],
    ['{{ True }} {{ False }}', 'true false'],
    ['{% filter upper %}hi {{ input.name }}{% endfilter %}', 'HI ADA'],
    [
      '{% macro greet(who, punct="!") %}Hi {{ who }}{{ punct }}{% endmacro %}{{ greet("Bo") }}{{ greet(who="Al", punct="?") }}',
      'Hi Bo!Hi Al?',
    ],
    ['{{ secret.token }}', 's3cr3t'],
    ['a #} b {{ 1 }}', 'a #} b 1'],
  ]
  for (const [src, expected] of CASES) {
    it(`renders ${JSON.stringify(src)}`, () => {
      expect(render(src)).to.equal(expected)
    })
  }

  const ERRORS: ReadonlyArray<readonly [string, string]> = [
    ['{{ "a" + 1 }}', "'+' needs numbers, got string and number (use '~' to join strings)"],
    ['{{ 1 / 0 }}', 'division by zero'],
    ['{{ "a" < 1 }}', "cannot compare string with number using '<'"],
    ['{{ 1 in 2 }}', "'in' needs a list, a string or a map"],
    ['{% for x in input.count %}{% endfor %}', 'cannot loop over number'],
    ['{% for x in input.nested %}{% endfor %}', 'looping over a map needs two names'],
    ['{{ throw(message="stop here") }}', 'template line 1, column 4: stop here'],
    ['{{ input.count is odd }}', ''],
    ['{{ nope is odd }}', "test 'odd' was applied to an undefined variable"],
    ['{{ x(1) }}', "unknown function 'x'"],
    ['{{ input.name | frobnicate }}', "unknown filter 'frobnicate'"],
  ]
  for (const [src, message] of ERRORS) {
    it(`fails ${JSON.stringify(src)}`, () => {
      if (message === '') {
        expect(render(src)).to.equal('true')
        return
      }
      expect(renderError(src).message).to.include(message)
    })
  }

  it('bounds runaway loops', () => {
    const src =
      '{% for a in range(end=1000) %}{% for b in range(end=1000) %}{% endfor %}{% endfor %}'
    expect(renderError(src).message).to.include('loop iterations')
  })

  it('bounds recursive macros', () => {
    const src = '{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}'
    expect(renderError(src).message).to.include('macros nest deeper than')
  })

  it('never reads prototype properties of context values', () => {
    expect(renderError('{{ input.constructor }}').variable).to.equal('input.constructor')
    expect(renderError('{{ input.items.length }}').variable).to.equal('input.items.length')
    expect(renderError('{{ input.text.length }}').variable).to.equal('input.text.length')
  })

  it('keeps positions exact after raw blocks and rewrites', () => {
    const err = renderError(
      '{%- raw -%}\n {{ x }}\n{%- endraw -%}\n  {{ `q` ~ input.items.0 ~ nope }}',
    )
    expect([err.line, err.column]).to.deep.equal([4, 28])
  })

  it('returns strings without template syntax unchanged', () => {
    expect(render('echo "#}" and ${HOME}')).to.equal('echo "#}" and ${HOME}')
  })
})

describe('renderTemplate: example workspace templates', () => {
  const ex = {
    input: { name: 'World', note: null, dry_run: false, project: 'WeIR', error_message: 'boom' },
    build_greeting: { output: { greeting: 'Hello, World!' } },
    build_docs: { output: null },
    hook: {
      failed_steps: [{ step_name: 'a' }, { step_name: 'b' }],
      status: 'failed',
      is_success: false,
    },
  }
  const CASES: ReadonlyArray<readonly [string, string]> = [
    ['greeting="Hello, {{ input.name }}!"', 'greeting="Hello, World!"'],
    ['{{ build_greeting.output.greeting }}', 'Hello, World!'],
    ["{{ input.note | default(value='(none)') }}", ''],
    ["{{ input.missing | default(value='(none)') }}", '(none)'],
    ['{{ hook.failed_steps | length }}', '2'],
    ['{{ not input.dry_run }}', 'true'],
    ['{{ input.project | lower }}', 'weir'],
    ['{{ hook.status }} {{ hook.is_success }}', 'failed false'],
  ]
  for (const [src, expected] of CASES) {
    it(`renders ${JSON.stringify(src)}`, () => {
      expect(renderTemplate(src, ex)).to.equal(expected)
    })
  }

  it('falls back to the default when an upstream output is null or absent', () => {
    expect(renderTemplate('{{ build_docs.output.pages | default(value=0) }}', ex)).to.equal('0')
    expect(renderTemplate('{{ build_docs.output.pages | default(value=0) }}', {})).to.equal('0')
  })
})
