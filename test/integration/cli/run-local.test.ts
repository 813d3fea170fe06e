import { expect } from 'chai'
import { readdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { FIXTURES } from '../../helpers/test-app.ts'
import { weir } from './cli-process.ts'

describe('weir run --local (no server)', function () {
  // A whole app in the child process: tsx compiles it and a new embedded database starts and
  // migrates (several seconds on idle cores, far more on a busy machine).
  this.timeout(120_000)

  it('runs a task of a workspace folder, prints its log, exits 0 and leaves no temporary files', async () => {
    // The database and the logs live in a weir-local-* directory, removed at the end.
    const localDirs = () => readdirSync(tmpdir()).filter((n) => n.startsWith('weir-local-'))
    const before = localDirs()
    const folder = join(FIXTURES, 'valid-cli-run')
    const [ran, broken, unknown] = await Promise.all([
      weir(['run', '--local', folder, 'greet', '-i', 'name=Local', '-i', 'times=2']),
      weir(['run', '--local', join(FIXTURES, 'invalid-dependency-cycle'), 'any']),
      weir(['run', '--local', folder, 'gret']),
    ])

    expect(ran.code, ran.stderr).to.equal(0)
    const said = ran.stdout.split('\n').filter((l) => / say +out hello Local #\d$/.test(l))
    expect(said.map((l) => l.slice(-1))).to.deep.equal(['1', '2'])
    expect(ran.stdout).to.match(/\njob [0-9a-f-]{36} completed in \S+\n$/)
    expect(localDirs()).to.deep.equal(before)

    // Reported before any database starts.
    expect(broken.code).to.equal(1)
    expect(broken.stderr).to.match(/^weir run --local: the workspace in .* does not load:\nerror: /)
    expect(broken.stderr).to.contain('[dependency-cycle]')
    expect(unknown.code).to.equal(1)
    expect(unknown.stderr).to.equal(
      `weir run: task 'gret' not found in ${folder} (did you mean 'greet'?)\n`,
    )
  })
})
