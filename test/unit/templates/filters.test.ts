import { expect } from 'chai'
import { renderTemplate } from '../../../src/templates/render.ts'

const ctx = {
  s: '  Hello World  ',
  words: 'hello big WORLD',
  n: -3.456,
  list: [3, 1, 2],
  names: ['b', 'A', 'a', 'c'],
  people: [
    { name: 'ann', team: 'red', age: 31 },
    { name: 'bob', team: 'blue', age: 25 },
    { name: 'cid', team: 'red', age: null },
  ],
  map: { a: 1, b: 2 },
  html: '<p>Hi &amp; <b>bye</b></p><!-- c -->',
  multiline: 'one\ntwo\n\nthree\n',
}

// [template, expected output]
const CASES: ReadonlyArray<readonly [string, string]> = [
  // string filters
  ['{{ words | lower }}', 'hello big world'],
  ['{{ words | upper }}', 'HELLO BIG WORLD'],
  ['{{ words | capitalize }}', 'Hello big world'],
  ['{{ words | title }}', 'Hello Big World'],
  ['[{{ s | trim }}]', '[Hello World]'],
  ['[{{ s | trim_start }}]', '[Hello World  ]'],
  ['[{{ s | trim_end }}]', '[  Hello World]'],
  ['{{ "xxabcxx" | trim_start_matches(pat="x") }}', 'abcxx'],
  ['{{ "xxabcxx" | trim_end_matches(pat="x") }}', 'xxabc'],
  ['{{ "Hello World" | truncate(length=5) }}', 'Hello…'],
  ['{{ "Hello World" | truncate(length=5, end="...") }}', 'Hello...'],
  ['{{ "Hello" | truncate(length=10) }}', 'Hello'],
  ['{{ words | wordcount }}', '3'],
  ['{{ "a-b-a" | replace(from="a", to="x") }}', 'x-b-x'],
  [`{{ "it's \\"q\\"" | addslashes }}`, `it\\'s \\"q\\"`],
  ['{{ "Héllo, Wörld!  2024" | slugify }}', 'hello-world-2024'],
  ['{{ html | striptags }}', 'Hi &amp; bye'],
  ['{{ "<a>  <b> x </b>\n <c>" | spaceless }}', '<a><b> x </b><c>'],
  ['{{ "a\nb\r\nc" | linebreaksbr }}', 'a<br>b<br>c'],
  ['{{ multiline | indent }}', 'one\n    two\n\n    three'],
  ['{{ multiline | indent(prefix="> ", first=true, blank=true) }}', '> one\n> two\n> \n> three'],
  ['{{ "a,b,c" | split(pat=",") | join(sep="|") }}', 'a|b|c'],
  ['{{ "42" | int + 1 }}', '43'],
  ['{{ "x" | int(default=7) }}', '7'],
  ['{{ "ff" | int(base=16) }}', '255'],
  ['{{ "0b101" | int(base=2) }}', '5'],
  ['{{ 3.9 | int }}', '3'],
  ['{{ "2.5" | float * 2 }}', '5'],
  ['{{ "nope" | float(default=1.5) }}', '1.5'],
  ['{{ "a b/c?d=é&x" | urlencode }}', 'a%20b/c%3Fd%3D%C3%A9%26x'],
  ['{{ "a b/c" | urlencode_strict }}', 'a%20b%2Fc'],
  [`{{ "<a href='x'>&</a>" | escape }}`, '&lt;a href=&#x27;x&#x27;&gt;&amp;&lt;&#x2F;a&gt;'],
  [`{{ "<a b='c'>&" | escape_xml }}`, '&lt;a b=&apos;c&apos;&gt;&amp;'],
  ['{{ "<b>" | safe }}', '<b>'],
  ['{{ list | as_str }}', '[3, 1, 2]'],
  ['{{ (1 | as_str) ~ "x" }}', '1x'],
  // list filters
  ['{{ list | first }}', '3'],
  ['{{ list | last }}', '2'],
  ['{{ list | nth(n=1) }}', '1'],
  ['[{{ list | nth(n=9) }}]', '[]'],
  ['{{ list | join(sep=", ") }}', '3, 1, 2'],
  ['{{ list | join }}', '312'],
  ['{{ list | length }}', '3'],
  ['{{ map | length }}', '2'],
  ['{{ "héllo" | length }}', '5'],
  ['{{ list | reverse }}', '[2, 1, 3]'],
  ['{{ "abc" | reverse }}', 'cba'],
  ['{{ list | sort }}', '[1, 2, 3]'],
  ['{{ names | sort }}', '[A, a, b, c]'],
  ['{{ people | sort(attribute="name") | map(attribute="name") }}', '[ann, bob, cid]'],
  ['{{ names | unique }}', '[b, A, c]'],
  ['{{ names | unique(case_sensitive=true) }}', '[b, A, a, c]'],
  ['{{ people | unique(attribute="team") | length }}', '2'],
  ['{{ list | slice(start=1) }}', '[1, 2]'],
  ['{{ list | slice(end=-1) }}', '[3, 1]'],
  ['{{ list | slice(start=1, end=2) }}', '[1]'],
  [
    '{% for team, ps in people | group_by(attribute="team") %}{{ team }}={{ ps | length }};{% endfor %}',
    'red=2;blue=1;',
  ],
  ['{{ people | filter(attribute="team", value="red") | map(attribute="name") }}', '[ann, cid]'],
  ['{{ people | filter(attribute="age") | map(attribute="name") }}', '[ann, bob]'],
  ['{{ people | map(attribute="age") }}', '[31, 25]'],
  ['{{ list | concat(with=[4, 5]) }}', '[3, 1, 2, 4, 5]'],
  ['{{ list | concat(with=9) }}', '[3, 1, 2, 9]'],
  // number filters
  ['{{ n | abs }}', '3.456'],
  ['{{ n | round }}', '-3'],
  ['{{ 2.5 | round }}', '3'],
  ['{{ -2.5 | round }}', '-3'],
  ['{{ n | round(method="ceil") }}', '-3'],
  ['{{ n | round(method="floor", precision=1) }}', '-3.5'],
  ['{{ 3.14159 | round(precision=2) }}', '3.14'],
  ['{{ 1 | pluralize }}|{{ 2 | pluralize }}', '|s'],
  [
    '{{ 1 | pluralize(singular="y", plural="ies") }}|{{ 0 | pluralize(singular="y", plural="ies") }}',
    'y|ies',
  ],
  ['{{ 999 | filesizeformat }}', '999 B'],
  ['{{ 1500000 | filesizeformat }}', '1.5 MB'],
  ['{{ 2048 | filesizeformat(binary=true) }}', '2 KiB'],
  // other filters
  ['{{ missing | default(value="d") }}', 'd'],
  ['{{ map.zzz | default(value=map.a) }}', '1'],
  ['{{ map | json_encode }}', '{"a":1,"b":2}'],
  ['{{ list | json_encode(pretty=true) }}', '[\n  3,\n  1,\n  2\n]'],
  ['{{ map | get(key="b") }}', '2'],
  ['{{ map | get(key="z", default="none") }}', 'none'],
  ['{{ 0 | date }}', '1970-01-01'],
  // Nunjucks-only filters (non-portable, but they work)
  ['{{ map | dump }}', '{"a":1,"b":2}'],
  ['{{ list | batch(2) }}', '[[3, 1], [2]]'],
  ['[{{ "ab" | center(6) }}]', '[  ab  ]'],
  ['{{ "ab" | list }}', '[a, b]'],
  ['{{ 5 | string ~ "!" }}', '5!'],
  ['{{ list | sum }}', '6'],
  ['{{ people | sum(attribute="age", start=1) }}', 'ERR'],
  ['{{ "a\nb" | nl2br }}', 'a<br />\nb'],
  ['{{ people | selectattr("age") | length }}', '2'],
  ['{{ people | rejectattr("age") | map(attribute="name") }}', '[cid]'],
  ['{{ missing | d("x") }}', 'x'],
  ['{{ "<" | e }}', '&lt;'],
  // positional arguments (Nunjucks style) map onto Tera's parameter order
  ['{{ "Hello World" | truncate(5) }}', 'Hello…'],
  ['{{ 3.14159 | round(2) }}', '3.14'],
  ['{{ list | join(", ") }}', '3, 1, 2'],
]

describe('template filters', () => {
  for (const [src, expected] of CASES) {
    it(`renders ${JSON.stringify(src)}`, () => {
      if (expected === 'ERR') {
        expect(() => renderTemplate(src, ctx)).to.throw()
        return
      }
      expect(renderTemplate(src, ctx)).to.equal(expected)
    })
  }

  const ERRORS: ReadonlyArray<readonly [string, string]> = [
    ['{{ 5 | upper }}', "filter 'upper' expects a string, got number"],
    ['{{ "a" | replace(from="a") }}', "filter 'replace' needs argument 'to'"],
    ['{{ "a" | truncate(length="x") }}', "argument 'length' must be a number"],
    ['{{ 1 | round(method="up") }}', 'method must be common, ceil or floor'],
    ['{{ map | get(key="z") }}', "key 'z' not found"],
    ['{{ [1, "a"] | sort }}', 'cannot sort'],
    ['{{ "a" | first }}', "filter 'first' expects a list, got string"],
  ]
  for (const [src, message] of ERRORS) {
    it(`fails ${JSON.stringify(src)} with "${message}"`, () => {
      expect(() => renderTemplate(src, ctx)).to.throw(message)
    })
  }
})
