import { expect } from 'chai'
import {
  buildHookContext,
  deriveJobStatus,
  failedStepsMessage,
  jobOutput,
  selectHooks,
  type StepSnapshot,
} from '../../../src/flow/job-status.ts'
import type { JobStatus, SourceType, StepStatus } from '../../../src/shared/statuses.ts'
import type { HookDef, TaskHooks } from '../../../src/workspace/workspace.ts'

function step(name: string, status: StepStatus, extra: Partial<StepSnapshot> = {}): StepSnapshot {
  return {
    name,
    status,
    continueOnFailure: false,
    output: null,
    errorMessage: status === 'failed' ? `${name} broke` : null,
    actionName: `${name}-action`,
    dependsOn: [],
    ...extra,
  }
}

const cof = { continueOnFailure: true }

const tolerateFailure: StepSnapshot[] = [
  step('optional-probe', 'failed', { ...cof, errorMessage: 'Exit code: 3\nStderr: unreachable' }),
  step('required-probe', 'completed', { output: { status: 'ok' } }),
  step('summarize', 'completed', {
    ...cof,
    dependsOn: ['optional-probe', 'required-probe'],
    output: { degraded: true },
  }),
  step('strict-follow-up', 'skipped', { dependsOn: ['optional-probe'] }),
]

const crashWithHook: StepSnapshot[] = [
  step('parse', 'failed', { errorMessage: 'Exit code: 1\nStderr: ValueError: three' }),
  step('apply-settings', 'skipped', { dependsOn: ['parse'] }),
]

function hook(action: string): HookDef {
  return { action, input: {}, at: { file: '.workflows/x.yaml', line: 1, column: 1 } }
}

function hooks(prefix: string): TaskHooks {
  return {
    onSuccess: [hook(`${prefix}-success`)],
    onError: [hook(`${prefix}-error`)],
    onCancel: [hook(`${prefix}-cancel`)],
  }
}

const noHooks: TaskHooks = { onSuccess: [], onError: [], onCancel: [] }

describe('flow/job-status', () => {
  describe('deriveJobStatus (API.md §2.1)', () => {
    /** Steps as `name=status`, a trailing `~` marking continue_on_failure. */
    const parse = (spec: string): StepSnapshot[] =>
      spec.split(' ').map((item) => {
        const [name, status] = item.replace('~', '').split('=') as [string, StepStatus]
        return step(name, status, { continueOnFailure: item.endsWith('~') })
      })
    // [expected, steps, flags (claimed, cancel, timeout), row of the table or rule]
    const rows: Array<[JobStatus, string, string, string]> = [
      ['pending', 'a=ready b=pending', '', '(new): nothing claimed yet'],
      ['running', 'a=running b=pending', 'claimed', 'pending -> running: first step claimed'],
      ['running', 'a=ready b=completed', 'claimed', 'a retry waits in ready'],
      ['completed', 'a=completed b=completed', 'claimed', 'the last step completed'],
      ['failed', 'a=completed b=failed', 'claimed', 'an untolerated failure'],
      ['completed', 'a=failed~ b=completed', 'claimed', 'only tolerated failures'],
      ['completed', 'a=skipped b=skipped', '', 'a pending job whose steps were all skipped'],
      ['failed', 'a=failed', '', 'a pending job whose root when failed to render'],
      ['cancelled', 'a=completed b=cancelled', 'claimed cancel', 'completed before the cancel'],
      ['cancelled', 'a=cancelled b=cancelled', 'cancel', 'cancel of a pending job'],
      ['cancelled', 'a=failed b=cancelled', 'claimed cancel', 'cancel wins over a failure'],
      ['running', 'a=running b=cancelled', 'claimed cancel', 'cancel requested, a step running'],
      ['completed', 'a=completed', 'claimed cancel', 'a cancel too late to stop anything'],
      ['failed', 'a=completed b=failed', 'claimed timeout', 'the job timed out'],
      ['failed', 'a=failed~', 'claimed timeout', 'timed out, the stopped step tolerated'],
      ['running', 'a=running', 'claimed timeout', 'timed out, steps still stopping'],
    ]
    for (const [want, spec, flags, why] of rows) {
      it(`${want}: ${why} (${spec}${flags ? `; ${flags}` : ''})`, () => {
        const opts = {
          cancelRequested: flags.includes('cancel'),
          everClaimed: flags.includes('claimed'),
          timedOut: flags.includes('timeout'),
        }
        expect(deriveJobStatus(parse(spec), opts)).to.equal(want)
      })
    }

    it('completed: the tolerate-failure example', () => {
      const opts = { cancelRequested: false, everClaimed: true }
      expect(deriveJobStatus(tolerateFailure, opts)).to.equal('completed')
    })

    it('failed: the crash-with-hook example', () => {
      const opts = { cancelRequested: false, everClaimed: true }
      expect(deriveJobStatus(crashWithHook, opts)).to.equal('failed')
    })
  })

  describe('jobOutput', () => {
    it('maps leaves that produced output and leaves out the others', () => {
      expect(jobOutput(tolerateFailure)).to.deep.equal({ summarize: { degraded: true } })
    })

    it('ignores output of non-leaf steps', () => {
      const steps = [
        step('a', 'completed', { output: { x: 1 } }),
        step('b', 'completed', { dependsOn: ['a'], output: 0 }),
      ]
      expect(jobOutput(steps)).to.deep.equal({ b: 0 })
    })

    it('is null when no leaf produced output', () => {
      expect(jobOutput(crashWithHook)).to.equal(null)
      expect(jobOutput([step('a', 'completed', { output: undefined })])).to.equal(null)
    })
  })

  describe('failedStepsMessage', () => {
    it('names every failed step, tolerated ones included', () => {
      const steps = [step('a', 'failed', cof), step('b', 'completed'), step('c', 'failed')]
      expect(failedStepsMessage(steps)).to.equal("Step 'a': a broke; Step 'c': c broke")
    })

    it('is null when nothing failed', () => {
      expect(failedStepsMessage([step('a', 'completed'), step('b', 'skipped')])).to.equal(null)
    })

    it('fills in a missing error message', () => {
      const steps = [step('a', 'failed', { errorMessage: null })]
      expect(failedStepsMessage(steps)).to.equal("Step 'a': unknown error")
    })
  })

  describe('buildHookContext', () => {
    const job = {
      id: 'job-1',
      workspace: 'default',
      taskName: 'crash-with-hook',
      status: 'failed' as const,
      sourceType: 'api',
      sourceId: null,
      startedAt: new Date('2025-01-02T03:04:05.000Z'),
      completedAt: new Date('2025-01-02T03:04:07.500Z'),
    }

    it('describes the crash-with-hook example', () => {
      expect(buildHookContext(job, crashWithHook)).to.deep.equal({
        workspace: 'default',
        task_name: 'crash-with-hook',
        job_id: 'job-1',
        status: 'failed',
        is_success: false,
        error_message: "Step 'parse': Exit code: 1\nStderr: ValueError: three",
        source_type: 'api',
        source_id: null,
        started_at: '2025-01-02T03:04:05.000Z',
        completed_at: '2025-01-02T03:04:07.500Z',
        duration_secs: 2.5,
        failed_steps: [
          {
            step_name: 'parse',
            action_name: 'parse-action',
            error_message: 'Exit code: 1\nStderr: ValueError: three',
            continue_on_failure: false,
          },
        ],
        artifacts: [],
      })
    })

    it('reports success with a tolerated failure still listed', () => {
      const ctx = buildHookContext({ ...job, status: 'completed' }, tolerateFailure)
      expect(ctx.is_success).to.equal(true)
      expect(ctx.error_message).to.equal("Step 'optional-probe': Exit code: 3\nStderr: unreachable")
      expect(ctx.failed_steps.map((f) => f.continue_on_failure)).to.deep.equal([true])
    })

    it('has null times and duration for a job that never started', () => {
      const ctx = buildHookContext({ ...job, status: 'cancelled', startedAt: null }, [])
      expect(ctx).to.include({ started_at: null, duration_secs: null, error_message: null })
      expect(ctx.completed_at).to.equal('2025-01-02T03:04:07.500Z')
    })
  })

  describe('selectHooks (§5.6)', () => {
    const task = hooks('task')
    const ws = hooks('ws')
    type Row = { status: JobStatus; source: SourceType; task: TaskHooks; want: string[] }
    const rows: Row[] = [
      { status: 'completed', source: 'api', task, want: ['task-success'] },
      { status: 'failed', source: 'user', task, want: ['task-error'] },
      { status: 'cancelled', source: 'trigger', task, want: ['task-cancel'] },
      { status: 'failed', source: 'task', task, want: ['task-error'] },
      { status: 'completed', source: 'api', task: noHooks, want: ['ws-success'] },
      { status: 'failed', source: 'user', task: noHooks, want: ['ws-error'] },
      { status: 'failed', source: 'trigger', task: noHooks, want: ['ws-error'] },
      { status: 'cancelled', source: 'webhook', task: noHooks, want: ['ws-cancel'] },
      { status: 'failed', source: 'task', task: noHooks, want: [] },
      { status: 'failed', source: 'hook', task, want: [] },
      { status: 'failed', source: 'hook', task: noHooks, want: [] },
      { status: 'running', source: 'api', task, want: [] },
      { status: 'pending', source: 'api', task: noHooks, want: [] },
    ]
    for (const r of rows) {
      const label = r.task === noHooks ? 'no task hooks' : 'task hooks'
      it(`${r.status} job from ${r.source} with ${label} -> ${JSON.stringify(r.want)}`, () => {
        const got = selectHooks(r.status, r.source, r.task, ws).map((h) => h.action)
        expect(got).to.deep.equal(r.want)
      })
    }

    it('crash-with-hook fires its on_error hook', () => {
      const own: TaskHooks = { ...noHooks, onError: [hook('print-hook-context')] }
      const status = deriveJobStatus(crashWithHook, { cancelRequested: false, everClaimed: true })
      const got = selectHooks(status, 'api', own, noHooks).map((h) => h.action)
      expect(got).to.deep.equal(['print-hook-context'])
    })
  })
})
