import { expect } from 'chai'
import {
  buildInput,
  fieldShapes,
  parseInputFile,
  splitPairs,
  type FieldShape,
} from '../../../src/cli/input-args.ts'

const field = (type: string, more: Partial<FieldShape> = {}): FieldShape => ({
  type,
  multiple: false,
  secret: false,
  ...more,
})

describe('weir run -i: input arguments', () => {
  it('splits key=value and key:=json, keeping = signs inside the value', () => {
    expect(splitPairs(['a=1', 'b=x=y', 'c:=[1]', 'd=', 'e:='])).to.deep.equal({
      pairs: [
        { key: 'a', raw: '1', json: false },
        { key: 'b', raw: 'x=y', json: false },
        { key: 'c', raw: '[1]', json: true },
        { key: 'd', raw: '', json: false },
        { key: 'e', raw: '', json: true },
      ],
      problems: [],
    })
    expect(splitPairs(['oops', '=1', ':=2']).problems).to.deep.equal([
      "-i 'oops': expected key=value (or key:=<json>)",
      "-i '=1': expected key=value (or key:=<json>)",
      "-i ':=2': expected key=value (or key:=<json>)",
    ])
  })

  it('reads field shapes from the declared schema as the API returns it', () => {
    const shapes = fieldShapes({
      replicas: { type: 'integer', default: 2 },
      flag: { type: 'bool' },
      tags: { type: 'string', multiple: true, options: ['a', 'b'] },
      token: { type: 'string', secret: true },
      odd: 'not a mapping',
    })
    expect([...shapes]).to.deep.equal([
      ['replicas', field('integer')],
      ['flag', field('boolean')],
      ['tags', field('string', { multiple: true })],
      ['token', field('string', { secret: true })],
    ])
    expect(fieldShapes(null).size).to.equal(0)
  })

  it('types each value by its field', () => {
    const fields = new Map<string, FieldShape>([
      ['replicas', field('integer')],
      ['ratio', field('number')],
      ['dry_run', field('boolean')],
      ['loud', field('boolean')],
      ['name', field('string')],
      ['zip', field('string')],
      ['day', field('date')],
      ['regions', field('string', { multiple: true })],
    ])
    const built = buildInput(
      [
        ...['replicas=3', 'ratio=-0.5', 'dry_run=false', 'loud=YES', 'name=a b', 'zip=007'],
        ...['day=2026-03-02', 'regions=eu, us', 'regions=ap', 'extra=7', 'raw:={"a":[1,null]}'],
      ],
      fields,
    )
    expect(built).to.deep.equal({
      ok: true,
      input: {
        replicas: 3,
        ratio: -0.5,
        dry_run: false,
        loud: true,
        name: 'a b',
        zip: '007',
        day: '2026-03-02',
        regions: ['eu', 'us', 'ap'],
        extra: '7',
        raw: { a: [1, null] },
      },
    })
  })

  it('puts -i values over the input file; the first -i of a list field replaces its list', () => {
    const fields = new Map([['tags', field('string', { multiple: true })]])
    const built = buildInput(['tags=x', 'tags=y', 'n=2'], fields, {
      tags: ['old'],
      n: 1,
      keep: true,
    })
    expect(built).to.deep.equal({ ok: true, input: { tags: ['x', 'y'], n: '2', keep: true } })
  })

  it('reports every value that does not fit its type at once, hiding secret values', () => {
    const fields = new Map<string, FieldShape>([
      ['replicas', field('integer')],
      ['big', field('integer')],
      ['ratio', field('number')],
      ['dry_run', field('boolean')],
      ['pin', field('integer', { secret: true })],
    ])
    const built = buildInput(
      ['replicas=3.5', 'big=9007199254740993', 'ratio=', 'dry_run=maybe', 'pin=12a', 'bad', 'j:={'],
      fields,
    )
    expect(built).to.deep.equal({
      ok: false,
      problems: [
        "-i 'bad': expected key=value (or key:=<json>)",
        "-i replicas: expected an integer, got '3.5'",
        '-i big: integer out of range (at most ±9007199254740991)',
        "-i ratio: expected a number, got ''",
        "-i dry_run: expected true or false, got 'maybe'",
        '-i pin: expected an integer, got the value given',
        '-i j: the value after := is not valid JSON',
      ],
    })
  })

  it('reads an input file that holds a JSON object, and names the file otherwise', () => {
    expect(parseInputFile('in.json', '{"a": 1}')).to.deep.equal({ ok: true, value: { a: 1 } })
    expect(parseInputFile('in.json', '[1]')).to.deep.equal({
      ok: false,
      problem: '--input-file in.json: expected a JSON object of input fields',
    })
    const broken = parseInputFile('in.json', '{nope')
    expect(broken.ok).to.equal(false)
    expect((broken as { problem: string }).problem).to.match(
      /^--input-file in\.json: not valid JSON \(/,
    )
  })
})
