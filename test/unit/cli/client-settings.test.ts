import { expect } from 'chai'
import { apiErrorOf, serverSettings } from '../../../src/cli/api-client.ts'
import { jobListQuery } from '../../../src/cli/commands/jobs.ts'
import { interruptAction, isYes } from '../../../src/cli/job-follow.ts'

describe('CLI client settings', () => {
  it('takes the server and token from flags, then the environment, then the default', () => {
    expect(serverSettings({}, {})).to.deep.equal({
      server: 'http://127.0.0.1:8080',
      token: undefined,
    })
    const env = {
      WEIR_SERVER: 'https://weir.example.com/',
      WEIR_TOKEN: 'weir_env',
      WEIR_API_KEY: 'old',
    }
    expect(serverSettings({}, env)).to.deep.equal({
      server: 'https://weir.example.com',
      token: 'weir_env',
    })
    expect(serverSettings({ server: 'http://h:9000', token: 'weir_flag' }, env)).to.deep.equal({
      server: 'http://h:9000',
      token: 'weir_flag',
    })
    expect(serverSettings({}, { WEIR_API_KEY: 'weir_old', WEIR_SERVER: '' })).to.deep.equal({
      server: 'http://127.0.0.1:8080',
      token: 'weir_old',
    })
  })

  it('names the setting that holds a bad server URL', () => {
    expect(serverSettings({ server: 'localhost:8080' }, {})).to.equal(
      "--server must be an http:// or https:// URL, got 'localhost:8080'",
    )
    expect(serverSettings({}, { WEIR_SERVER: 'no url' })).to.equal(
      "WEIR_SERVER must be a URL such as http://127.0.0.1:8080, got 'no url'",
    )
  })

  it("reads the server's error body, or falls back to the text and status", () => {
    const e = apiErrorOf({ status: 404 }, { error: "job 'x' not found", code: 'not_found' })
    expect(e.toJSON()).to.deep.equal({
      error: "job 'x' not found",
      code: 'not_found',
      field: null,
      status: 404,
    })
    expect(apiErrorOf({ status: 502, statusText: 'Bad Gateway' }, undefined, '').message).to.equal(
      'Bad Gateway',
    )
    expect(apiErrorOf({ status: 500 }, undefined, ' upstream down \n').message).to.equal(
      'upstream down',
    )
  })
})

describe('weir jobs filters', () => {
  it('builds the list query, reading --task W/T as workspace and task', () => {
    expect(jobListQuery({})).to.deep.equal({
      workspace: undefined,
      task_name: undefined,
      status: undefined,
      source_type: undefined,
      limit: 20,
    })
    expect(
      jobListQuery({
        task: 'ops/deploy',
        status: 'failed,cancelled',
        source: 'trigger',
        limit: '5',
      }),
    ).to.deep.equal({
      workspace: 'ops',
      task_name: 'deploy',
      status: 'failed,cancelled',
      source_type: 'trigger',
      limit: 5,
    })
  })

  it('reports every bad filter at once', () => {
    expect(() => jobListQuery({ task: 'deploy', limit: '0' }))
      .to.throw()
      .with.property('problems')
      .that.deep.equals([
        '--task needs --workspace (or write --task <workspace>/<task>)',
        "--limit must be a whole number from 1 to 500, got '0'",
      ])
    expect(() => jobListQuery({ workspace: 'a', task: 'b/c', limit: 'x' }))
      .to.throw()
      .with.property('problems')
      .that.deep.equals([
        "--task b/c names workspace 'b' but --workspace is 'a'",
        "--limit must be a whole number from 1 to 500, got 'x'",
      ])
  })
})

describe('weir run --follow: Ctrl-C', () => {
  const at = (over: Partial<Parameters<typeof interruptAction>[0]>) =>
    interruptAction({
      signal: 'SIGINT',
      interactive: false,
      asking: false,
      cancelRequested: false,
      ...over,
    })

  it('asks on a terminal, cancels without one, and stops following the next time', () => {
    expect(at({ interactive: true })).to.equal('ask')
    expect(at({ interactive: true, asking: true })).to.equal('exit')
    expect(at({ interactive: true, cancelRequested: true })).to.equal('exit')
    expect(at({})).to.equal('cancel')
    expect(at({ cancelRequested: true })).to.equal('exit')
    expect(at({ signal: 'SIGTERM', interactive: true })).to.equal('exit')
    expect(at({ signal: 'SIGTERM' })).to.equal('exit')
  })

  it('takes y or yes as a yes, anything else as no', () => {
    expect(['y', 'Y', 'yes', ' YES \n'].map(isYes)).to.deep.equal([true, true, true, true])
    expect(['', 'n', 'no', 'yep', 'sure'].map(isYes)).to.deep.equal([
      false,
      false,
      false,
      false,
      false,
    ])
  })
})
