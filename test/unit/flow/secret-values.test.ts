import { expect } from 'chai'
import {
  inputSecretValues,
  isSecretInputName,
  jobSecretValues,
  maskSecretInputs,
  secretValues,
} from '../../../src/flow/secret-values.ts'
import type { InputField, InputSchema, Workspace } from '../../../src/workspace/workspace.ts'

const field = (over: Partial<InputField> = {}): InputField => ({
  type: 'string',
  name: null,
  description: null,
  order: null,
  required: false,
  options: null,
  allowCustom: false,
  multiple: false,
  secret: false,
  ...over,
})

function workspace(secrets: Record<string, unknown>, schema: InputSchema): Workspace {
  return { secrets, tasks: new Map([['deploy', { input: schema }]]) } as unknown as Workspace
}

describe('secret values', () => {
  describe('isSecretInputName', () => {
    const table: Array<[string, boolean]> = [
      ['password', true],
      ['PASSWORD', true],
      ['db_password', true],
      ['dbPassword', true],
      ['db-passwords', true],
      ['passwd', true],
      ['token', true],
      ['GITHUB_TOKEN', true],
      ['accessToken', true],
      ['OAuthToken', true],
      ['secret', true],
      ['client_secret', true],
      ['api_key', true],
      ['apiKey', true],
      ['APIKey', true],
      ['api-keys', true],
      ['apikey', true],
      ['STRIPE_APIKEY', true],
      ['private_key', true],
      ['privateKeyPem', true],
      ['credential', true],
      ['gcp_credentials_json', true],
      ['Credentials', true],
      ['name', false],
      ['key', false],
      ['public_key', false],
      ['private', false],
      ['api', false],
      ['tokenizer', false],
      ['secretary', false],
      ['passport', false],
      ['keyboard_api', false],
      ['', false],
    ]
    for (const [name, secret] of table) {
      it(`${JSON.stringify(name)} ${secret ? 'looks' : 'does not look'} secret`, () => {
        expect(isSecretInputName(name)).to.equal(secret)
      })
    }
  })

  it('flattens nested workspace secrets', () => {
    const ws = workspace({ A: 'alpha-value', db: { user: 'admin', pass: 'db-pass' } }, [])
    expect(secretValues(ws)).to.deep.equal(['alpha-value', 'admin', 'db-pass'])
    expect(secretValues(undefined)).to.deep.equal([])
  })

  it('takes declared secret fields whole and secret-looking names for their strings', () => {
    const schema: InputSchema = [
      ['pin', field({ type: 'integer', secret: true })],
      ['passphrase', field({ secret: true })],
      ['max_tokens', field({ type: 'integer' })],
      ['api_token', field()],
      ['service', field()],
    ]
    const input = {
      pin: 123456,
      passphrase: 'open sesame',
      max_tokens: 1000,
      api_token: 'tok-abc',
      service: 'web',
      undeclared_secret: ['one-secret', { deep: 'two-secret' }],
    }
    expect(inputSecretValues(schema, input)).to.deep.equal([
      '123456',
      'open sesame',
      'tok-abc',
      'one-secret',
      'two-secret',
    ])
  })

  it('combines workspace secrets with the secret inputs of the job task', () => {
    const ws = workspace({ TOKEN: 'ws-token' }, [['note', field({ secret: true })]])
    const job = { taskName: 'deploy', input: { note: 'a secret note', other: 'visible' } }
    expect(jobSecretValues(ws, job)).to.deep.equal(['ws-token', 'a secret note'])
    expect(jobSecretValues(ws, { taskName: 'gone', input: { password: 'pw-1234' } })).to.deep.equal(
      ['ws-token', 'pw-1234'],
    )
  })

  it('hides whole secret fields in an input, whatever their length', () => {
    const schema: InputSchema = [['pin', field({ type: 'integer', secret: true })]]
    const input = { pin: 12, password: 'pw', max_tokens: 5, name: 'web', token: null }
    expect(maskSecretInputs(schema, input, '******')).to.deep.equal({
      pin: '******',
      password: '******',
      max_tokens: 5,
      name: 'web',
      token: null,
    })
  })
})
