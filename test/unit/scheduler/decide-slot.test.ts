import { expect } from 'chai'
import { decideSlot, type PreparedJob } from '../../../src/scheduler/fire-plan.ts'
import type { TaskDef } from '../../../src/workspace/workspace.ts'
import type { ConcurrencyPolicy } from '../../../src/workspace/workspace.ts'

const ready: PreparedJob = { ok: true, task: { name: 'tick' } as TaskDef, input: {} }
const invalid: PreparedJob = { ok: false, reason: 'input.n: expected integer, got string' }

describe('decideSlot', () => {
  const table: Array<{
    name: string
    alreadyFired?: boolean
    prepared?: PreparedJob
    concurrency: ConcurrencyPolicy
    activeJobs: number
    expected: string
  }> = [
    { name: 'allow fires over active jobs', concurrency: 'allow', activeJobs: 2, expected: 'fire' },
    { name: 'skip fires when idle', concurrency: 'skip', activeJobs: 0, expected: 'fire' },
    {
      name: 'skip skips while a job is active',
      concurrency: 'skip',
      activeJobs: 1,
      expected: 'skip:previous_job_active',
    },
    {
      name: 'cancel_previous cancels active jobs, then fires',
      concurrency: 'cancel_previous',
      activeJobs: 1,
      expected: 'fire+cancel',
    },
    {
      name: 'cancel_previous with nothing active only fires',
      concurrency: 'cancel_previous',
      activeJobs: 0,
      expected: 'fire',
    },
    {
      name: 'an invalid input skips with its reason',
      prepared: invalid,
      concurrency: 'cancel_previous',
      activeJobs: 1,
      expected: 'skip:input.n: expected integer, got string',
    },
    {
      name: 'a slot whose fire key exists only moves on, even with a bad input',
      alreadyFired: true,
      prepared: invalid,
      concurrency: 'skip',
      activeJobs: 3,
      expected: 'already',
    },
  ]
  for (const row of table) {
    it(row.name, () => {
      const d = decideSlot({
        alreadyFired: row.alreadyFired ?? false,
        prepared: row.prepared ?? ready,
        concurrency: row.concurrency,
        activeJobs: row.activeJobs,
      })
      const got =
        d.kind === 'fire'
          ? `fire${d.cancelPrevious ? '+cancel' : ''}`
          : d.kind === 'skip'
            ? `skip:${d.reason}`
            : d.kind
      expect(got).to.equal(row.expected)
      if (d.kind === 'fire') expect(d.job.task.name).to.equal('tick')
    })
  }
})
