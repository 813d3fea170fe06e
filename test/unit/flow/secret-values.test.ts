import { expect } from 'chai'
import {
  inputSecretValues,
  isSecretInputName,
  jobSecretValues,
  maskSecretInputs,
  replaySecretInputs,
  REPLAY_SENTINELS,
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

  describe('replaySecretInputs', () => {
    const schema: InputSchema = [
      ['pin', field({ type: 'integer', secret: true })],
      ['passphrase', field({ secret: true })],
      ['note', field()],
      ['api_token', field()],
    ]
    const source = {
      pin: 4821,
      passphrase: 'open sesame',
      note: 'first run',
      api_token: 'tok-old',
      db_password: 'pw-old',
      env: 'dev',
      cleared: null,
    }
    type Row = { why: string; input: Record<string, unknown>; want: Record<string, unknown> }
    const rows: Row[] = [
      {
        why: "a declared secret sent as Strøm's mask takes the source's value",
        input: { passphrase: '••••••' },
        want: { passphrase: 'open sesame' },
      },
      {
        why: "a declared secret sent as Weir's mask takes the source's value",
        input: { passphrase: '******' },
        want: { passphrase: 'open sesame' },
      },
      {
        why: 'a declared secret that is not a string takes the value as it was',
        input: { pin: '******' },
        want: { pin: 4821 },
      },
      {
        why: 'a secret-looking declared name takes the source value',
        input: { api_token: '••••••' },
        want: { api_token: 'tok-old' },
      },
      {
        why: 'a secret-looking undeclared name takes the source value',
        input: { db_password: '******' },
        want: { db_password: 'pw-old' },
      },
      {
        why: 'a mask in a field that is not secret stays as sent',
        input: { note: '••••••', env: '******' },
        want: { note: '••••••', env: '******' },
      },
      {
        why: 'a secret sent with a new value keeps it',
        input: { passphrase: 'new words', api_token: 'tok-new' },
        want: { passphrase: 'new words', api_token: 'tok-new' },
      },
      {
        why: 'a string that only looks like a mask is kept',
        input: { passphrase: '•••••', api_token: '*******', pin: ' ****** ' },
        want: { passphrase: '•••••', api_token: '*******', pin: ' ****** ' },
      },
      {
        why: 'a masked secret the source lacks is dropped, so its default applies',
        input: { private_key: '••••••', env: 'prod' },
        want: { env: 'prod' },
      },
      {
        why: 'of two masked fields the source lacks, only the secret one is dropped',
        input: { cleared_secret: '******', cleared: '******' },
        want: { cleared: '******' },
      },
      {
        why: 'source values the input leaves out stay out',
        input: { env: 'prod' },
        want: { env: 'prod' },
      },
      {
        why: 'every field at once',
        input: {
          pin: '••••••',
          passphrase: '******',
          note: '******',
          api_token: 'tok-new',
          secret: '••••••',
          env: 'prod',
        },
        want: {
          pin: 4821,
          passphrase: 'open sesame',
          note: '******',
          api_token: 'tok-new',
          env: 'prod',
        },
      },
    ]
    for (const r of rows) {
      it(r.why, () => {
        expect(replaySecretInputs(schema, r.input, source)).to.deep.equal(r.want)
      })
    }

    it("takes a source's null for a masked secret it holds", () => {
      const got = replaySecretInputs(schema, { passphrase: '******' }, { passphrase: null })
      expect(got).to.deep.equal({ passphrase: null })
    })

    it('leaves its input as it was', () => {
      const input = { passphrase: '******', missing_token: '******' }
      replaySecretInputs(schema, input, source)
      expect(input).to.deep.equal({ passphrase: '******', missing_token: '******' })
    })

    it('knows the two masks', () => {
      expect([...REPLAY_SENTINELS]).to.deep.equal(['••••••', '******'])
    })
  })
})
