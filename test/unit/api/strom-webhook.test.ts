import { expect } from 'chai'
import {
  findNamedWebhooks,
  presentedSecret,
  sharedSecretMatches,
  stromWebhookInput,
  withoutSecret,
} from '../../../src/api/strom-webhook.ts'
import type { WebhookEnvelope } from '../../../src/api/webhook-input.ts'
import type { InputSchema, TriggerDef, Workspace } from '../../../src/workspace/workspace.ts'

const envelope: WebhookEnvelope = {
  method: 'POST',
  headers: { 'x-a': '1' },
  query: { secret: 's', page: '2' },
  body: { id: 7 },
}

function ws(name: string, triggers: Array<Partial<TriggerDef>>): Workspace {
  const map = new Map(triggers.map((t) => [t.name!, t as TriggerDef]))
  return { name, triggers: map } as unknown as Workspace
}

describe('Strøm webhook helpers', () => {
  describe('presentedSecret', () => {
    const table: Array<[string, Record<string, unknown>, string | undefined, string | null]> = [
      ['query parameter', { secret: 'q' }, undefined, 'q'],
      ['query wins over a bearer token', { secret: 'q' }, 'Bearer b', 'q'],
      ['first of a repeated query parameter', { secret: ['q1', 'q2'] }, undefined, 'q1'],
      ['bearer token, any case', {}, 'bearer tok-1', 'tok-1'],
      ['empty query parameter falls back to the token', { secret: '' }, 'Bearer b', 'b'],
      ['basic auth is not a secret', {}, 'Basic dXNlcjpwdw==', null],
      ['nothing', {}, undefined, null],
    ]
    for (const [name, query, auth, expected] of table) {
      it(name, () => expect(presentedSecret(query, auth)).to.equal(expected))
    }
  })

  it('sharedSecretMatches compares exactly and refuses empty or missing secrets', () => {
    expect(sharedSecretMatches('abc', 'abc')).to.equal(true)
    expect(sharedSecretMatches('abc', 'abcd')).to.equal(false)
    expect(sharedSecretMatches('abc', null)).to.equal(false)
    expect(sharedSecretMatches('', '')).to.equal(false)
  })

  it('withoutSecret drops only the secret query parameter', () => {
    expect(withoutSecret(envelope).query).to.deep.equal({ page: '2' })
    expect(envelope.query).to.have.property('secret')
  })

  it('stromWebhookInput puts the envelope over the trigger input, then fills task defaults', () => {
    const schema = [
      ['channel', { type: 'string', default: 'ops' }],
      ['token', { type: 'string', default: '{{ secret.T }}' }],
      ['source', { type: 'string', default: 'schema' }],
      ['optional', { type: 'string' }],
    ] as unknown as InputSchema
    const input = stromWebhookInput({
      triggerInput: { source: 'trigger', method: 'GET', body: 'x', extra: [1] },
      envelope,
      schema,
      renderDefault: (t) => `rendered:${t}`,
    })
    expect(input).to.deep.equal({
      source: 'trigger',
      extra: [1],
      body: { id: 7 },
      headers: { 'x-a': '1' },
      method: 'POST',
      query: { secret: 's', page: '2' },
      channel: 'ops',
      token: 'rendered:{{ secret.T }}',
    })
  })

  it('findNamedWebhooks finds webhook triggers by Strøm name across workspaces', () => {
    const a = ws('a', [
      { name: 'x', type: 'webhook', webhookName: 'hook' },
      { name: 'y', type: 'scheduler', webhookName: null },
    ])
    const b = ws('b', [{ name: 'z', type: 'webhook', webhookName: 'hook' }])
    const found = findNamedWebhooks([a, null, b], 'hook')
    expect(found.map((f) => `${f.workspace.name}/${f.trigger.name}`)).to.deep.equal(['a/x', 'b/z'])
    expect(findNamedWebhooks([a, b], 'other')).to.deep.equal([])
  })
})
