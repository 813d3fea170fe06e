import { expect } from 'chai'
import { JobSecrets, maskOutcome, maskPlannedJob } from '../../../src/jobs/job-secrets.ts'
import type { PlannedJob } from '../../../src/flow/plan-job.ts'
import { createScrubber } from '../../../src/shared/secret-mask.ts'
import type { Workspace } from '../../../src/workspace/workspace.ts'

const ws = { secrets: { TOKEN: 'ws-token-value' }, tasks: new Map() } as unknown as Workspace
const job = (id: string) => ({
  id,
  workspace: 'w',
  revision: 'r1',
  taskName: 'deploy',
  input: { password: 'input-password' },
})

describe('job secrets', () => {
  it('computes a job set once and adds the values its steps rendered', () => {
    let lookups = 0
    const secrets = new JobSecrets(() => {
      lookups += 1
      return ws
    })
    expect(secrets.of(job('j1')).values).to.deep.equal(['ws-token-value', 'input-password'])
    secrets.add(job('j1'), ['step-level-value', 'ws-token-value'])
    const set = secrets.of(job('j1'))
    expect(lookups).to.equal(1)
    expect(set.values).to.deep.equal(['ws-token-value', 'input-password', 'step-level-value'])
    expect(set.scrubber.scrub('step-level-value')).to.equal('******')
    expect(secrets.cached('j1')).to.equal(set)
  })

  it('does not keep a set computed without the workspace', () => {
    let current: Workspace | undefined = undefined
    const secrets = new JobSecrets(() => current)
    expect(secrets.of(job('j2')).values).to.deep.equal(['input-password'])
    current = ws
    expect(secrets.of(job('j2')).values).to.deep.equal(['ws-token-value', 'input-password'])
  })

  it('treats a workspace lookup that throws as no workspace', () => {
    const secrets = new JobSecrets(() => {
      throw new Error('workspace gone')
    })
    expect(secrets.of(job('j3')).values).to.deep.equal(['input-password'])
  })

  it('masks outcomes and planned step errors, and leaves them alone without secrets', () => {
    const s = createScrubber(['hunter22'])
    const outcome = {
      status: 'failed' as const,
      exitCode: 1,
      output: { pw: 'hunter22' },
      errorMessage: 'Exit code: 1\nStderr: bad hunter22',
    }
    expect(maskOutcome(outcome, s)).to.deep.equal({
      ...outcome,
      output: { pw: '******' },
      errorMessage: 'Exit code: 1\nStderr: bad ******',
    })
    expect(maskOutcome(outcome, createScrubber([]))).to.equal(outcome)
    const planned = {
      steps: [{ errorMessage: 'when failed: hunter22' }],
      moves: [{ reason: 'when failed: hunter22' }],
    } as unknown as PlannedJob
    const masked = maskPlannedJob(planned, s)
    expect(masked.steps[0]!.errorMessage).to.equal('when failed: ******')
    expect(masked.moves[0]!.reason).to.equal('when failed: ******')
  })
})
