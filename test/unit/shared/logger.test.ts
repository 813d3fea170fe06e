import { expect } from 'chai'
import { PassThrough } from 'node:stream'
import { createLogger, resolveLogFormat } from '../../../src/shared/logger.ts'

function capture(isTTY: boolean): { out: PassThrough & { isTTY: boolean }; text: () => string } {
  const out = Object.assign(new PassThrough(), { isTTY })
  const chunks: Buffer[] = []
  out.on('data', (c: Buffer) => chunks.push(c))
  return { out, text: () => Buffer.concat(chunks).toString('utf8') }
}

describe('server log formats', () => {
  it('auto is pretty on a terminal and JSON otherwise; explicit formats win', () => {
    expect(resolveLogFormat('auto', { isTTY: true })).to.equal('pretty')
    expect(resolveLogFormat('auto', { isTTY: false })).to.equal('json')
    expect(resolveLogFormat('auto', {})).to.equal('json')
    expect(resolveLogFormat('json', { isTTY: true })).to.equal('json')
    expect(resolveLogFormat('pretty', { isTTY: false })).to.equal('pretty')
  })

  it('pretty: one line with time, level, component, message and the other fields', () => {
    const { out, text } = capture(false)
    const log = createLogger({ format: 'pretty', destination: out })
    log.child({ component: 'scheduler' }).warn({ trigger: 'nightly', late_ms: 12 }, 'fired late')
    const lines = text().trimEnd().split('\n')
    expect(lines).to.have.length(1)
    expect(lines[0]).to.match(
      /^\[\d{2}:\d{2}:\d{2}\.\d{3}\] WARN: scheduler: fired late \{"trigger":"nightly","late_ms":12\}$/,
    )
  })

  it('pretty colours only a terminal, and still redacts secrets', () => {
    const tty = capture(true)
    createLogger({ format: 'pretty', destination: tty.out }).info(
      { cfg: { password: 'p4ss' } },
      'x',
    )
    expect(tty.text()).to.include('\u001b[')
    expect(tty.text()).not.to.include('p4ss')
    expect(tty.text()).to.include('******')
  })

  it('json: pino lines with an ISO time', () => {
    const { out, text } = capture(true)
    createLogger({ format: 'json', destination: out }).info({ job_id: 'j1' }, 'done')
    const line = JSON.parse(text()) as Record<string, unknown>
    expect(line).to.include({ level: 30, msg: 'done', job_id: 'j1', name: 'weir' })
    expect(String(line.time)).to.match(/^\d{4}-\d{2}-\d{2}T/)
  })
})
