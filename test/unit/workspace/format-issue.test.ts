import { expect } from 'chai'
import { formatIssue, sortIssues, templateStepName } from '../../../src/workspace/workspace.ts'

describe('workspace diagnostics', () => {
  it('formats an issue as file:line:col path: message [code]', () => {
    const text = formatIssue({
      severity: 'error',
      code: 'unknown-action',
      file: '.workflows/hello.yaml',
      line: 47,
      column: 17,
      path: 'tasks.hello-world.flow.shout-greeting.action',
      message: "unknown action 'shout-txt'",
    })
    expect(text).to.equal(
      ".workflows/hello.yaml:47:17 tasks.hello-world.flow.shout-greeting.action: unknown action 'shout-txt'  [unknown-action]",
    )
  })

  it('sorts issues by file, then line, then column', () => {
    const base = { severity: 'error' as const, code: 'x', path: 'p', message: 'm' }
    const sorted = sortIssues([
      { ...base, file: 'b.yaml', line: 1, column: 1 },
      { ...base, file: 'a.yaml', line: 9, column: 1 },
      { ...base, file: 'a.yaml', line: 2, column: 5 },
      { ...base, file: 'a.yaml', line: 2, column: 1 },
    ])
    expect(sorted.map((i) => `${i.file}:${i.line}:${i.column}`)).to.deep.equal([
      'a.yaml:2:1',
      'a.yaml:2:5',
      'a.yaml:9:1',
      'b.yaml:1:1',
    ])
  })

  it('maps hyphens to underscores in template step names', () => {
    expect(templateStepName('build-greeting')).to.equal('build_greeting')
  })
})
