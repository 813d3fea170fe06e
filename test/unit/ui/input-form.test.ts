import { expect } from 'chai'
import {
  SECRET_SENTINEL,
  fieldErrors,
  formFields,
  initialValues,
  toInput,
} from '../../../src/ui/lib/input-form.ts'

const SCHEMA = {
  note: { type: 'text' },
  service: { type: 'string', required: true, order: 1, name: 'Service' },
  replicas: { type: 'integer', default: 2, order: 3 },
  environment: { type: 'string', options: ['dev', 'prod'], default: 'dev', order: 2 },
  regions: { type: 'string', options: ['eu', 'us'], multiple: true, default: ['eu'] },
  dry_run: { type: 'boolean', default: true },
  token: { type: 'string', secret: true, default: '******' },
  on: { type: 'date' },
  at: { type: 'datetime' },
  cpu: { type: 'number' },
  tag: { type: 'string', options: ['a'], allow_custom: true },
}

describe('ui: run forms from input schemas', () => {
  it('orders fields by order, then declaration, and picks a control per type', () => {
    const fields = formFields(SCHEMA)
    expect(fields.map((f) => [f.name, f.kind])).to.deep.equal([
      ['service', 'text'],
      ['environment', 'select'],
      ['replicas', 'integer'],
      ['note', 'textarea'],
      ['regions', 'multi'],
      ['dry_run', 'boolean'],
      ['token', 'secret'],
      ['on', 'date'],
      ['at', 'datetime'],
      ['cpu', 'number'],
      ['tag', 'combo'],
    ])
    expect(fields[0]).to.include({ label: 'Service', required: true })
  })

  it('starts from the defaults, never from a secret default', () => {
    const values = initialValues(formFields(SCHEMA))
    expect(values).to.include({ environment: 'dev', replicas: '2', dry_run: true, token: '' })
    expect(values.regions).to.deep.equal(['eu'])
  })

  it('prefills a re-run, with the sentinel standing in for its secrets', () => {
    const fields = formFields(SCHEMA)
    const values = initialValues(fields, {
      service: 'billing',
      token: '******',
      at: '2026-01-15T14:30:00.000Z',
      dry_run: false,
    })
    expect(values).to.include({ service: 'billing', token: SECRET_SENTINEL, dry_run: false })
    expect(values.at).to.equal('2026-01-15T14:30')
    expect(toInput(fields, values).token).to.equal(SECRET_SENTINEL)
  })

  it('sends numbers as numbers, leaves empty controls out and keeps a bad number as typed', () => {
    const fields = formFields(SCHEMA)
    const input = toInput(fields, {
      ...initialValues(fields),
      service: 'api',
      replicas: '3',
      cpu: 'lots',
      note: '',
      regions: [],
    })
    expect(input).to.deep.equal({
      service: 'api',
      environment: 'dev',
      replicas: 3,
      dry_run: true,
      cpu: 'lots',
    })
  })

  it("splits the API's 400 into a message per field", () => {
    expect(
      fieldErrors(
        'invalid input: input.colour: unknown field; input.service: required field is missing; input.replicas: expected integer, got string',
      ),
    ).to.deep.equal({
      colour: 'unknown field',
      service: 'required field is missing',
      replicas: 'expected integer, got string',
    })
    expect(fieldErrors('invalid approval: input.ticket: required field is missing')).to.deep.equal({
      ticket: 'required field is missing',
    })
    expect(fieldErrors('invalid input: input: expected object')).to.deep.equal({
      '': 'input: expected object',
    })
  })
})
