import { expect } from 'chai'
import { buildHookContext, selectHooks } from '../../../src/flow/hooks.ts'
import { deriveJobStatus } from '../../../src/flow/job-status.ts'
import type { JobStatus, SourceType } from '../../../src/shared/statuses.ts'
import type { TaskHooks } from '../../../src/workspace/workspace.ts'
import { crashWithHook, hook, hooks, noHooks, tolerateFailure } from './snapshots.ts'

describe('flow/hooks', () => {
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
