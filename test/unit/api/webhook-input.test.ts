import { expect } from 'chai'
import {
  convertQueryValue,
  resolveWebhookInput,
  webhookEnvelope,
} from '../../../src/api/webhook-input.ts'
import type { InputField, InputSchema } from '../../../src/workspace/workspace.ts'

function field(type: InputField['type']): InputField {
  return {
    type,
    name: null,
    description: null,
    required: false,
    options: null,
    allowCustom: false,
    multiple: false,
    secret: false,
    order: null,
  }
}

const SCHEMA: InputSchema = [
  ['service', field('string')],
  ['replicas', field('integer')],
  ['dry_run', field('boolean')],
  ['ref', field('string')],
]

function resolve(
  req: { body?: unknown; query?: Record<string, unknown>; headers?: Record<string, unknown> },
  triggerInput: Record<string, unknown> = {},
  declaresInput = true,
) {
  return resolveWebhookInput({
    schema: SCHEMA,
    declaresInput,
    triggerInput,
    webhook: webhookEnvelope({
      method: 'post',
      headers: req.headers ?? {},
      query: req.query ?? {},
      body: req.body,
    }),
    secrets: { TOKEN: 's3cr3t' },
    clock: { now: () => new Date('2026-01-02T03:04:05Z') },
  })
}

describe('webhook input resolution', () => {
  it('takes body fields first, then query, then the rendered trigger input', () => {
    const r = resolve(
      { body: { service: 'api', ref: 'body-ref' }, query: { service: 'q', replicas: '3' } },
      { ref: 'trigger-ref', dry_run: '{{ webhook.body.service }}' },
    )
    expect(r).to.deep.equal({
      ok: true,
      input: { service: 'api', replicas: 3, dry_run: 'api', ref: 'body-ref' },
    })
  })

  it('leaves fields with no source out, so schema defaults apply later', () => {
    expect(resolve({ body: { service: 'api' } })).to.deep.equal({
      ok: true,
      input: { service: 'api' },
    })
  })

  it('ignores undeclared body fields and query parameters', () => {
    const r = resolve({ body: { service: 'a', extra: 1 }, query: { other: 'x' } })
    expect(r).to.deep.equal({ ok: true, input: { service: 'a' } })
  })

  it('treats a null body field as absent', () => {
    const r = resolve({ body: { service: null }, query: { service: 'from-query' } })
    expect(r).to.deep.equal({ ok: true, input: { service: 'from-query' } })
  })

  it('renders trigger templates with secret and keeps structure for a single path', () => {
    const r = resolve(
      { body: { list: [1, 2] } },
      { service: '{{ secret.TOKEN }}', ref: '{{ webhook.body.list }}' },
    )
    expect(r).to.deep.equal({ ok: true, input: { service: 's3cr3t', ref: [1, 2] } })
  })

  it('does not render a trigger template when the body supplies the field', () => {
    const r = resolve({ body: { ref: 'x' } }, { ref: '{{ webhook.body.missing.deep }}' })
    expect(r).to.deep.equal({ ok: true, input: { ref: 'x' } })
  })

  it('reports a failing trigger template against the input field', () => {
    const r = resolve({ body: {} }, { ref: '{{ webhook.body.missing }}' })
    expect(r.ok).to.equal(false)
    if (!r.ok) expect(r.issues[0]!.path).to.equal('input.ref')
  })

  it('keeps undeclared trigger input keys so validation reports them', () => {
    expect(resolve({}, { bogus: 1 })).to.deep.equal({ ok: true, input: { bogus: 1 } })
  })

  it('uses only the rendered trigger input for a task that declares no input', () => {
    const r = resolve({ body: { service: 'a' } }, { origin: '{{ webhook.method }}' }, false)
    expect(r).to.deep.equal({ ok: true, input: { origin: 'POST' } })
  })

  it('hides credentials and signatures from webhook.headers and lower-cases names', () => {
    const env = webhookEnvelope({
      method: 'POST',
      headers: {
        Authorization: 'Bearer x',
        cookie: 'a=b',
        'x-hub-signature-256': 'sha256=00',
        'x-weir-signature-256': 'sha256=00',
        'X-GitHub-Event': 'push',
      },
      query: {},
      body: undefined,
    })
    expect(env.headers).to.deep.equal({ 'x-github-event': 'push' })
    expect(env.body).to.equal(null)
  })

  it('converts query text only for integer, number and boolean inputs', () => {
    expect(convertQueryValue('integer', '42')).to.equal(42)
    expect(convertQueryValue('integer', '4.2')).to.equal('4.2')
    expect(convertQueryValue('integer', '99999999999999999999')).to.equal('99999999999999999999')
    expect(convertQueryValue('number', '4.5e1')).to.equal(45)
    expect(convertQueryValue('number', 'abc')).to.equal('abc')
    expect(convertQueryValue('boolean', 'true')).to.equal(true)
    expect(convertQueryValue('boolean', 'false')).to.equal(false)
    expect(convertQueryValue('boolean', 'yes')).to.equal('yes')
    expect(convertQueryValue('string', '42')).to.equal('42')
    expect(convertQueryValue('integer', ['1', '2'])).to.deep.equal(['1', '2'])
  })
})
