import { expect } from 'chai'
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { StepFiles } from '../../../src/runner/step-files.ts'
import type { ClaimedStep, StepFileSource, WorkerOutcome } from '../../../src/runner/step-source.ts'
import { silentLogger } from '../../../src/shared/logger.ts'

const STEP = {
  stepId: 's1',
  jobId: 'j1',
  workspace: 'w',
  taskName: 't',
  stepName: 's',
  attempt: 1,
  leaseToken: 'l',
  action: { language: 'shell', interpreter: null, script: 'true', source: null, args: [] },
  container: null,
  env: {},
  cwd: '/',
  timeoutSecs: 10,
  state: null,
} satisfies ClaimedStep

/** Records the artifacts it is handed. */
function recordingSource(): StepFileSource & { stored: string[] } {
  const stored: string[] = []
  return {
    stored,
    loadState: () => Promise.resolve(),
    putArtifact: (_step, file) => {
      stored.push(file.name)
      return Promise.resolve()
    },
    discardArtifacts: () => Promise.resolve(),
    saveState: () => Promise.resolve(),
  }
}

const COMPLETED: WorkerOutcome = {
  status: 'completed',
  exitCode: 0,
  output: undefined,
  errorMessage: null,
  warnings: [],
}

describe('step folders (StepFiles)', () => {
  let root: string
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'weir-step-files-'))
  })
  afterEach(() => rmSync(root, { recursive: true, force: true }))

  it('gives the next attempt the same folders, emptied', async () => {
    const files = new StepFiles(root, silentLogger())
    const source = recordingSource()
    const first = await files.open(STEP, source)
    const dir = first.env.ARTIFACTS_DIR!
    mkdirSync(join(dir, 'sub'))
    writeFileSync(join(dir, 'sub', 'report.txt'), 'x')
    writeFileSync(join(first.env.STATE_OUT_DIR!, 'left.txt'), 'x')
    await first.finish(COMPLETED)
    expect(source.stored).to.deep.equal(['sub/report.txt'])
    first.dispose()
    first.dispose()
    expect(readdirSync(dir)).to.deep.equal([])

    const second = await files.open({ ...STEP, attempt: 2 }, source)
    expect(second.env.ARTIFACTS_DIR).to.equal(dir)
    for (const d of Object.values(second.env)) expect(readdirSync(d)).to.deep.equal([])
    expect(readdirSync(root)).to.have.length(1)
    second.dispose()
    files.close()
    expect(existsSync(root)).to.equal(false)
  })

  it('empties what a step leaves besides regular files: links and empty folders', async () => {
    const files = new StepFiles(root, silentLogger())
    const source = recordingSource()
    const first = await files.open(STEP, source)
    const dir = first.env.ARTIFACTS_DIR!
    mkdirSync(join(dir, 'empty'))
    symlinkSync('/etc/hostname', join(dir, 'link'))
    writeFileSync(join(first.env.STATE_DIR!, 'written-by-the-step'), 'x')
    expect(await first.finish(COMPLETED)).to.deep.include({ status: 'completed' })
    expect(source.stored).to.deep.equal([])
    first.dispose()
    const second = await files.open({ ...STEP, attempt: 2 }, source)
    for (const d of Object.values(second.env)) expect(readdirSync(d), d).to.deep.equal([])
    second.dispose()
  })

  it('keeps one folder set per attempt in flight', async () => {
    const files = new StepFiles(root, silentLogger())
    const source = recordingSource()
    const a = await files.open(STEP, source)
    const b = await files.open({ ...STEP, jobId: 'j2' }, source)
    expect(a.env.ARTIFACTS_DIR).to.not.equal(b.env.ARTIFACTS_DIR)
    a.dispose()
    b.dispose()
    expect(readdirSync(root)).to.have.length(2)
  })
})
