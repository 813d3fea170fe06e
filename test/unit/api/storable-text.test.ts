import { expect } from 'chai'
import {
  escapeUnstorable,
  MAX_JSON_DEPTH,
  unstorableJson,
  unstorableReason,
} from '../../../src/api/storable-text.ts'

describe('text PostgreSQL cannot store', () => {
  const table: Array<[name: string, text: string, want: string | null]> = [
    ['accepts plain text', 'hello, world', null],
    ['accepts a surrogate pair (an emoji)', 'ok \u{1F600} ok', null],
    ['accepts every other control character', '\u0001\t\n\u001f\u007f', null],
    ['refuses a NUL', 'a\u0000b', 'contains a NUL character (\\u0000), which cannot be stored'],
    [
      'refuses a lone high surrogate',
      'a\ud800b',
      'contains an unpaired UTF-16 surrogate (\\ud800), which cannot be stored',
    ],
    [
      'refuses a lone low surrogate',
      '\udc00',
      'contains an unpaired UTF-16 surrogate (\\udc00), which cannot be stored',
    ],
    [
      'refuses a high surrogate at the end',
      'x\udbff',
      'contains an unpaired UTF-16 surrogate (\\udbff), which cannot be stored',
    ],
    [
      'refuses two high surrogates in a row',
      '\ud800\ud800\udc00',
      'contains an unpaired UTF-16 surrogate (\\ud800), which cannot be stored',
    ],
  ]
  for (const [name, text, want] of table) {
    it(name, () => expect(unstorableReason(text)).to.equal(want))
  }

  it('escapes what it cannot store so a message can quote it', () => {
    expect(escapeUnstorable('a\u0000b\ud800c\u{1F600}')).to.equal('a\\u0000b\\ud800c\u{1F600}')
  })
})

describe('unstorable text in a JSON value', () => {
  it('names every offending string and key by its path, in document order', () => {
    const body = { input: { name: 'x\u0000', list: ['ok', '\udfff'], ['k\u0000']: 1 } }
    expect(unstorableJson(body)).to.deep.equal([
      {
        path: 'input.k\\u0000',
        message: 'has a name that contains a NUL character (\\u0000), which cannot be stored',
      },
      { path: 'input.name', message: 'contains a NUL character (\\u0000), which cannot be stored' },
      {
        path: 'input.list[1]',
        message: 'contains an unpaired UTF-16 surrogate (\\udfff), which cannot be stored',
      },
    ])
  })

  it('names a bare string body "body"', () => {
    expect(unstorableJson('\u0000').map((i) => i.path)).to.deep.equal(['body'])
  })

  it('accepts numbers, booleans, null and nesting up to the limit', () => {
    let deep: unknown = 'leaf'
    for (let i = 0; i < MAX_JSON_DEPTH; i++) deep = [deep]
    expect(unstorableJson({ a: 1, b: true, c: null, d: [] })).to.deep.equal([])
    expect(unstorableJson(deep)).to.deep.equal([])
  })

  it('refuses nesting past the limit once, without recursing (200,000 levels)', () => {
    let deep: unknown = 1
    for (let i = 0; i < 200_000; i++) deep = { a: deep }
    const issues = unstorableJson(deep)
    expect(issues).to.have.length(1)
    expect(issues[0]!.message).to.equal(
      `is nested deeper than ${MAX_JSON_DEPTH} levels of arrays and objects`,
    )
    expect(issues[0]!.path).to.equal(Array(MAX_JSON_DEPTH).fill('a').join('.'))
  })

  it('stops at ten issues', () => {
    expect(unstorableJson(Array(50).fill('\u0000'))).to.have.length(10)
  })

  it('leaves skipped paths alone', () => {
    const body = { lines: [{ line: '\u0000', stream: '\u0000' }] }
    const issues = unstorableJson(body, '', (p) => /^lines\[\d+\]\.line$/.test(p))
    expect(issues.map((i) => i.path)).to.deep.equal(['lines[0].stream'])
  })
})
