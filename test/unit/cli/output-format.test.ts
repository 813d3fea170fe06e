import { expect } from 'chai'
import { ApiError, type JobDetailDto, type StepDto } from '../../../src/cli/api-client.ts'
import {
  formatAge,
  formatApiError,
  formatDuration,
  formatJobDetail,
  formatJobEnd,
  formatJobList,
  formatLogLine,
  formatProgress,
  formatTable,
  formatTaskDetail,
  formatTaskList,
  formatWorkspaceList,
} from '../../../src/cli/output-format.ts'

const NOW = Date.parse('2026-03-02T10:05:00.000Z')
const ID = '7c0e9a52-3f4b-4e0f-9a43-2d8e61b0c5aa'

function step(name: string, more: Partial<StepDto> = {}): StepDto {
  return {
    step_name: name,
    action_name: null,
    status: 'completed',
    started_at: '2026-03-02T10:00:00.100Z',
    completed_at: '2026-03-02T10:00:00.950Z',
    error_message: null,
    attempt: 1,
    exit_code: 0,
    ...more,
  }
}

function job(more: Partial<JobDetailDto> = {}): JobDetailDto {
  return {
    job_id: ID,
    workspace: 'default',
    task_name: 'hello-world',
    status: 'completed',
    source_type: 'api',
    source_id: null,
    created_at: '2026-03-02T10:00:00.000Z',
    started_at: '2026-03-02T10:00:00.100Z',
    completed_at: '2026-03-02T10:00:02.500Z',
    retry_of_job_id: null,
    input: { name: 'World' },
    output: null,
    cancel_requested_at: null,
    steps: [step('build-greeting')],
    ...more,
  }
}

describe('CLI output for people', () => {
  it('formats durations and ages', () => {
    expect([0, 850, 12_340, 245_000, 7_380_000].map(formatDuration)).to.deep.equal([
      '0ms',
      '850ms',
      '12.3s',
      '4m05s',
      '2h03m',
    ])
    const ago = (secs: number) => formatAge(new Date(NOW - secs * 1000).toISOString(), NOW)
    expect([2, 45, 180, 7200, 200_000].map(ago)).to.deep.equal([
      'just now',
      '45s ago',
      '3m ago',
      '2h ago',
      '2d ago',
    ])
  })

  it('aligns table columns on the plain text and colours cells after padding', () => {
    const rows = [
      ['a', { text: 'ok', colour: '32' }, 'x'],
      ['long-name', 'failed', ''],
    ]
    expect(formatTable(['NAME', 'STATUS', 'NOTE'], rows, false)).to.equal(
      'NAME       STATUS  NOTE\na          ok      x\nlong-name  failed',
    )
    const painted = formatTable(['NAME', 'STATUS', 'NOTE'], rows, true).split('\n')[1]
    expect(painted).to.equal('a          \u001b[32mok    \u001b[0m  x')
  })

  it('lists jobs with their task, status, source, age and duration, and says when there are more', () => {
    const running = {
      ...job(),
      job_id: ID.replace('7c', '8d'),
      status: 'running',
      completed_at: null,
    }
    const text = formatJobList([running, job()], { color: false, nowMs: NOW, total: 12 })
    expect(text.split('\n')).to.deep.equal([
      'JOB                                   TASK                 STATUS     SOURCE  CREATED  DURATION',
      `${running.job_id}  default/hello-world  running    api     5m ago   4m59s`,
      `${ID}  default/hello-world  completed  api     5m ago   2.4s`,
      '2 of 12 jobs (--limit for more)',
    ])
    expect(formatJobList([], { color: false, nowMs: NOW, total: 0 })).to.equal('no jobs')
  })

  it('shows a job with its fields and a table of steps, errors and approvals in the note', () => {
    const text = formatJobDetail(
      job({
        status: 'failed',
        retry_of_job_id: 'f'.repeat(8),
        error_message: "Step 'b': Exit code: 2\nStderr: boom",
        output: { a: 1 },
        steps: [
          step('a'),
          step('b', {
            status: 'failed',
            exit_code: 2,
            attempt: 2,
            error_message: 'Exit code: 2\nmore',
          }),
          step('gate', {
            status: 'suspended',
            started_at: null,
            completed_at: null,
            exit_code: null,
            approval_message: 'Ship it?',
          }),
        ],
      }),
      { color: false, nowMs: NOW },
    )
    expect(text.split('\n')).to.deep.equal([
      `job       ${ID}`,
      'task      default/hello-world',
      'status    failed',
      'source    api',
      'created   2026-03-02T10:00:00.000Z (5m ago)',
      'duration  2.4s',
      'retry of  ffffffff',
      "error     Step 'b': Exit code: 2",
      'input     {"name":"World"}',
      'output    {"a":1}',
      '',
      'STEP  STATUS     ATTEMPT  DURATION  EXIT  NOTE',
      'a     completed  1        850ms     0',
      'b     failed     2        850ms     2     Exit code: 2',
      'gate  suspended  1        -         -     waiting for approval: Ship it?',
    ])
  })

  it('ends a followed job with its status, its time and each failed step', () => {
    expect(formatJobEnd(job(), { color: false })).to.equal(`job ${ID} completed in 2.5s`)
    const failed = job({
      status: 'failed',
      steps: [step('a'), step('b', { status: 'failed', error_message: 'Exit code: 3\nStderr: x' })],
    })
    expect(formatJobEnd(failed, { color: false })).to.equal(
      `job ${ID} failed in 2.5s\n  step b failed: Exit code: 3`,
    )
    expect(formatJobEnd(job(), { color: true })).to.equal(
      `job ${ID} \u001b[32mcompleted\u001b[0m in 2.5s`,
    )
  })

  it('lists tasks, one task input fields, and workspaces', () => {
    const summary = {
      name: 'deploy',
      workspace: 'ops',
      has_triggers: true,
      display_name: 'Deploy',
      description: 'Roll out\nwith care',
    }
    expect(formatTaskList([summary], { color: false })).to.equal(
      'TASK        TRIGGERS  DESCRIPTION\nops/deploy  yes       Roll out',
    )
    const detail = formatTaskDetail(
      {
        ...summary,
        input: {
          service: { type: 'string', required: true, description: 'What to deploy' },
          replicas: { type: 'integer', default: 2 },
          regions: { type: 'string', multiple: true, options: ['eu', 'us'] },
        },
      },
      { color: false },
    )
    expect(detail.split('\n')).to.deep.equal([
      'ops/deploy (Deploy)',
      'Roll out',
      'with care',
      '',
      'INPUT     TYPE                    REQUIRED  DEFAULT  DESCRIPTION',
      'service   string                  yes       -        What to deploy',
      'replicas  integer                 -         2',
      'regions   list of string (eu|us)  -         -',
    ])
    const workspaces = formatWorkspaceList(
      [
        {
          name: 'default',
          tasks_count: 8,
          actions_count: 17,
          triggers_count: 2,
          revision: '9d2c41e',
          error: null,
        },
        {
          name: 'broken',
          tasks_count: 0,
          actions_count: 0,
          triggers_count: 0,
          revision: null,
          error: 'a.yaml:1:1 tasks: bad  [wrong-type]\nmore',
        },
      ],
      { color: false },
    )
    expect(workspaces.split('\n')).to.deep.equal([
      'WORKSPACE  TASKS  ACTIONS  TRIGGERS  REVISION  STATUS',
      'default    8      17       2         9d2c41e   ok',
      'broken     0      0        0         -         error: a.yaml:1:1 tasks: bad  [wrong-type]',
    ])
  })

  it('prints a refused request with its status, code and field, and a hint for credentials', () => {
    const invalid = new ApiError(
      400,
      'invalid input: input.replicas: expected integer, got string',
      'validation_failed',
      'input.replicas',
    )
    expect(formatApiError('weir run', invalid)).to.equal(
      'weir run: invalid input: input.replicas: expected integer, got string (HTTP 400 validation_failed)\n  field: input.replicas',
    )
    const denied = new ApiError(401, 'missing bearer token', 'unauthorized', null)
    expect(formatApiError('weir jobs', denied)).to.equal(
      'weir jobs: missing bearer token (HTTP 401 unauthorized)\n  hint: pass a token with --token or WEIR_TOKEN',
    )
    expect(invalid.toJSON()).to.deep.equal({
      error: 'invalid input: input.replicas: expected integer, got string',
      code: 'validation_failed',
      field: 'input.replicas',
      status: 400,
    })
  })

  it('draws the progress line: status, steps done, what runs or waits, elapsed time', () => {
    const running = job({
      status: 'running',
      steps: [step('a'), step('b', { status: 'running' }), step('c', { status: 'suspended' })],
    })
    expect(formatProgress(running, 75_400, { color: false, jobId: ID })).to.equal(
      'job 7c0e9a52 running · 1/3 steps done · running b · awaiting approval: c · 1:15',
    )
    expect(formatProgress(null, 900, { color: false, jobId: ID })).to.equal('job 7c0e9a52 · 0:00')
  })

  it('formats log records as time, step, stream and line; other text passes through', () => {
    const rec = (stream: string, step: string) =>
      JSON.stringify({ ts: '2026-03-02T10:00:00.412Z', stream, step, line: 'Hello', seq: 3 })
    expect(formatLogLine(rec('stdout', 'build'), false)).to.equal(
      '10:00:00.412 build        out Hello',
    )
    expect(formatLogLine(rec('stderr', 'build'), false)).to.equal(
      '10:00:00.412 build        err Hello',
    )
    expect(formatLogLine(rec('stderr', 'build'), true)).to.contain('\u001b[31merr Hello\u001b[0m')
    expect(formatLogLine(rec('stdout', '_server'), true)).to.equal(
      '\u001b[2m10:00:00.412 _server      out Hello\u001b[0m',
    )
    expect(formatLogLine('not json', false)).to.equal('not json')
  })
})
