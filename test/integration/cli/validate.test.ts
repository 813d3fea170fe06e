import { expect } from 'chai'
import { execFile } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { promisify } from 'node:util'

const ROOT = resolve(import.meta.dirname, '../../..')
const FIXTURES = resolve(ROOT, 'test/fixtures/workspaces')
const run = promisify(execFile)

async function validate(...args: string[]): Promise<{ code: number; stdout: string }> {
  try {
    const { stdout } = await run(
      process.execPath,
      ['--import', 'tsx', resolve(ROOT, 'src/main.ts'), 'validate', ...args],
      { cwd: ROOT },
    )
    return { code: 0, stdout }
  } catch (e) {
    const err = e as { code: number; stdout: string }
    return { code: err.code, stdout: err.stdout }
  }
}

describe('weir validate', function () {
  this.timeout(20000)

  it('prints the ten diagnostics of a workspace with ten mistakes and exits 1', async () => {
    const dir = resolve(FIXTURES, 'invalid-ten-mistakes')
    const { code, stdout } = await validate(dir)
    expect(code).to.equal(1)
    const expected = readFileSync(resolve(dir, 'expected-issues.txt'), 'utf8').trim().split('\n')
    const printed = stdout
      .split('\n')
      .filter((l) => /^(error|warning|unsupported): /.test(l))
      .map((l) => l.replace(/^\w+: /, ''))
    expect(printed).to.deep.equal(expected)
    expect(stdout).to.match(/10 errors/)
  })

  it('gives line and column for malformed YAML', async () => {
    const { code, stdout } = await validate(resolve(FIXTURES, 'invalid-malformed-yaml'))
    expect(code).to.equal(1)
    expect(stdout).to.match(/\.workflows\/broken\.yaml:\d+:\d+ .*\[yaml-syntax\]/)
  })

  it('exits 0 for the example workspace and prints JSON with --json', async () => {
    const { code, stdout } = await validate('--json', resolve(ROOT, 'workspaces/default'))
    expect(code).to.equal(0)
    const report = JSON.parse(stdout)
    expect(report.workspace.issues).to.deep.equal([])
  })

  it('validates the configured workspaces without a path', async () => {
    const { code, stdout } = await validate()
    expect(code).to.equal(0)
    expect(stdout).to.match(/^default \(.*workspaces\/default\): valid, 0 warnings$/m)
  })
})
