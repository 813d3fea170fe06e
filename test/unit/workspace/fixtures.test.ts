import { existsSync, readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { expect } from 'chai'
import { loadWorkspace } from '../../../src/workspace/load-workspace.ts'
import { formatIssue } from '../../../src/workspace/workspace.ts'

/**
 * Every folder under test/fixtures/workspaces is a real workspace. `invalid-*` ones must fail with
 * exactly the lines of their expected-issues.txt; `valid-*` ones must load, with exactly the
 * warnings of their expected-issues.txt when they have one.
 */
const FIXTURES = fileURLToPath(new URL('../../fixtures/workspaces/', import.meta.url))

function expectedLines(dir: string): string[] | null {
  const file = join(dir, 'expected-issues.txt')
  if (!existsSync(file)) return null
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
}

describe('workspace fixtures', () => {
  const cases = readdirSync(FIXTURES, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort()

  it('has valid and invalid cases', () => {
    expect(cases.filter((c) => c.startsWith('invalid-')).length).to.be.at.least(20)
    expect(cases.filter((c) => c.startsWith('valid-')).length).to.be.at.least(3)
    expect(cases.every((c) => /^(in)?valid-/.test(c))).to.equal(true)
  })

  for (const name of cases) {
    const dir = join(FIXTURES, name)
    const invalid = name.startsWith('invalid-')
    it(`${name} ${invalid ? 'fails with exactly its expected issues' : 'loads'}`, async () => {
      const result = await loadWorkspace(name, dir)
      const issues = result.ok ? result.workspace.issues : result.issues
      const expected = expectedLines(dir)
      expect(result.ok, issues.map(formatIssue).join('\n')).to.equal(!invalid)
      if (invalid) expect(expected, 'invalid fixtures need expected-issues.txt').to.not.equal(null)
      expect(issues.map(formatIssue)).to.deep.equal(expected ?? [])
    })
  }
})
