import { expect } from 'chai'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { createServer, type AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ADMIN, bearer, createApiKey, JWT_SECRET, login } from '../../helpers/auth.ts'
import { buildTestApp, FIXTURES, type TestApp } from '../../helpers/test-app.ts'
import { waitFor } from '../../helpers/wait-for.ts'
import { startWeir, weir } from './cli-process.ts'

/** A port nothing listens on. */
async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  await new Promise((resolve) => server.close(resolve))
  return port
}

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/

/**
 * The client commands against a real server: the app listening on a free port, with `auth` on, so
 * every command (and the WebSocket stream) carries the API key from WEIR_TOKEN. Each `weir` is a
 * process (about a second with tsx), so independent ones run side by side.
 */
describe('weir client commands against a server', function () {
  this.timeout(60_000)
  let t: TestApp
  let env: Record<string, string>
  let token: string
  // Files the waiting tasks wait for: created when a test is done with its job.
  const markers = mkdtempSync(join(tmpdir(), 'weir-cli-markers-'))
  const marker = (name: string) => join(markers, name)

  before(async function () {
    this.timeout(60_000)
    t = await buildTestApp({
      workspaces: { cli: join(FIXTURES, 'valid-cli-run') },
      env: {
        WEIR__AUTH__JWT_SECRET: JWT_SECRET,
        WEIR__AUTH__INITIAL_USER__EMAIL: ADMIN.email,
        WEIR__AUTH__INITIAL_USER__PASSWORD: ADMIN.password,
      },
    })
    const { port } = await t.app.listen()
    token = (await login(t, ADMIN.email, ADMIN.password)).access_token
    env = {
      WEIR_SERVER: `http://127.0.0.1:${port}`,
      WEIR_TOKEN: await createApiKey(t, token, 'cli-tests'),
    }
  })
  after(async () => {
    for (const name of ['cancelled', 'once', 'twice']) writeFileSync(marker(name), '')
    await t?.close()
  })

  const api = () => ({
    get: (path: string) => t.request().get(path).set(bearer(token)),
    post: (path: string, body: object = {}) => t.request().post(path).set(bearer(token)).send(body),
  })
  const jobOf = async (id: string) =>
    (await api().get(`/api/jobs/${id}`)).body as Record<string, any>
  const finished = (id: string) =>
    waitFor(
      async () => {
        const job = await jobOf(id)
        return ['completed', 'failed', 'cancelled'].includes(job.status as string) ? job : null
      },
      { timeoutMs: 20_000, intervalMs: 50, what: `job ${id} to finish` },
    )
  const execute = async (task: string, input: object = {}) => {
    const res = await api().post(`/api/workspaces/cli/tasks/${task}/execute`, { input })
    expect(res.status, JSON.stringify(res.body)).to.equal(200)
    return (res.body as { job_id: string }).job_id
  }

  it('run --follow streams the log and exits 0 when the job completed, 1 when it failed; --json prints one document', async () => {
    const [ok, failed, started] = await Promise.all([
      weir(['run', 'cli/greet', '-i', 'name=Ada', '-i', 'times=3', '--follow'], env),
      weir(['run', 'cli/fail', '--follow', '--json'], env),
      weir(['run', 'cli/greet', '--json'], env),
    ])

    expect(ok.code, ok.stderr).to.equal(0)
    const lines = ok.stdout.trimEnd().split('\n')
    const said = lines.filter((l) => / say +out hello Ada #\d$/.test(l))
    expect(said.map((l) => l.slice(-1))).to.deep.equal(['1', '2', '3'])
    expect(lines.some((l) => / _server +out job created/.test(l))).to.equal(true)
    expect(lines[lines.length - 1]).to.match(new RegExp(`^job ${UUID.source} completed in `))
    expect(ok.stderr).to.match(new RegExp(`job ${UUID.source} \\(cli/greet\\)`))
    expect(ok.stdout).to.not.contain('\u001b[') // no colours without a terminal

    // --json --follow: the log goes to stderr, stdout holds the finished job's detail alone.
    expect(failed.code, failed.stderr).to.equal(1)
    const detail = JSON.parse(failed.stdout) as Record<string, any>
    expect(detail).to.include({ task_name: 'fail', workspace: 'cli', status: 'failed' })
    expect(detail.steps[0]).to.include({ step_name: 'break', status: 'failed', exit_code: 3 })
    expect(failed.stderr).to.match(/ break +out about to fail/)
    expect(failed.stderr).to.match(/ break +err something broke/)

    // Without --follow: {"job_id"} at once; the job runs on.
    expect(started.code, started.stderr).to.equal(0)
    const doc = JSON.parse(started.stdout) as { job_id: string }
    expect(Object.keys(doc)).to.deep.equal(['job_id'])
    expect((await finished(doc.job_id)).status).to.equal('completed')
  })

  it('types -i values by the task schema over --input-file, prints the server 400 with its field, and lists local problems (exit 2)', async () => {
    const file = join(markers, 'input.json')
    writeFileSync(file, JSON.stringify({ replicas: 1, note: 'from the file', regions: ['us'] }))
    const [typed, refused, bad] = await Promise.all([
      weir(
        [
          ...['run', 'cli/typed', '--input-file', file, '-i', 'replicas=3', '-i', 'ratio=0.25'],
          ...['-i', 'dry_run=false', '-i', 'regions=eu,us', '-i', 'regions=ap'],
          ...['-i', 'day=2026-03-02', '--json'],
        ],
        env,
      ),
      weir(['run', 'cli/typed', '-i', 'ratio=2', '-i', 'colour=red', '--json'], env),
      weir(['run', 'cli/typed', '-i', 'replicas=three', '-i', 'dry_run=maybe', '-i', 'oops'], env),
    ])

    expect(typed.code, typed.stderr).to.equal(0)
    const { job_id: jobId } = JSON.parse(typed.stdout) as { job_id: string }
    expect((await jobOf(jobId)).input).to.deep.equal({
      replicas: 3,
      ratio: 0.25,
      dry_run: false,
      regions: ['eu', 'us', 'ap'],
      day: '2026-03-02',
      note: 'from the file',
    })

    expect(refused.code).to.equal(1)
    expect(JSON.parse(refused.stdout)).to.deep.equal({
      error:
        'invalid input: input.colour: unknown field; input.replicas: required field is missing',
      code: 'validation_failed',
      field: 'input.colour',
      status: 400,
    })
    expect(refused.stderr).to.contain(
      'weir run: invalid input: input.colour: unknown field; input.replicas: required field is missing (HTTP 400 validation_failed)\n  field: input.colour\n',
    )

    expect(bad.code).to.equal(2)
    expect(bad.stderr).to.contain("weir run: -i 'oops': expected key=value")
    expect(bad.stderr).to.contain("weir run: -i replicas: expected an integer, got 'three'")
    expect(bad.stderr).to.contain("weir run: -i dry_run: expected true or false, got 'maybe'")
    expect(bad.stdout).to.equal('')
  })

  it('jobs, job, cancel, retry, tasks and workspaces print tables, or one JSON document with --json', async () => {
    const closedPort = await freePort()
    const done = await execute('greet', { name: 'Bo', times: 1 })
    await finished(done)
    const running = await execute('wait', { marker: marker('cancelled') })
    await waitFor(async () => (await jobOf(running)).status === 'running', {
      timeoutMs: 20_000,
      what: 'the wait job to run',
    })
    const [
      jobsJson,
      jobsText,
      jobJson,
      jobText,
      cancel,
      cancelDone,
      retry,
      tasksText,
      taskJson,
      workspaces,
      noToken,
      unreachable,
    ] = await Promise.all([
      weir(['jobs', '--workspace', 'cli', '--json'], env),
      weir(['jobs', '--task', 'cli/greet', '--status', 'completed', '--limit', '1'], env),
      weir(['job', done, '--json'], env),
      weir(['job', done], env),
      weir(['cancel', running], env),
      weir(['cancel', done], env),
      weir(['retry', done, '--json'], env),
      weir(['tasks', 'cli'], env),
      weir(['tasks', 'cli/typed', '--json'], env),
      weir(['workspaces'], env),
      weir(['jobs'], { WEIR_SERVER: env.WEIR_SERVER! }),
      weir(['jobs', '--server', `http://127.0.0.1:${closedPort}`], {}),
    ])

    expect(jobsJson.code, jobsJson.stderr).to.equal(0)
    const list = JSON.parse(jobsJson.stdout) as Array<Record<string, unknown>>
    expect(list.map((j) => j.job_id)).to.include.members([done, running])
    expect(list.every((j) => j.workspace === 'cli')).to.equal(true)

    expect(jobsText.code, jobsText.stderr).to.equal(0)
    const rows = jobsText.stdout.trimEnd().split('\n')
    expect(rows[0]).to.match(/^JOB +TASK +STATUS +SOURCE +CREATED +DURATION$/)
    expect(rows[1]).to.match(new RegExp(`^${UUID.source} +cli/greet +completed +user +`))
    expect(rows[rows.length - 1]).to.match(/^1 of \d+ jobs \(--limit for more\)$/)

    expect(jobJson.code).to.equal(0)
    const detail = JSON.parse(jobJson.stdout) as Record<string, any>
    expect(detail).to.include({ job_id: done, status: 'completed', task_name: 'greet' })
    expect(detail.input).to.deep.equal({ name: 'Bo', times: 1 })
    expect(jobText.code).to.equal(0)
    expect(jobText.stdout).to.match(
      new RegExp(`^job +${done}\ntask +cli/greet\nstatus +completed\n`),
    )
    expect(jobText.stdout).to.match(
      /\nSTEP +STATUS +ATTEMPT +DURATION +EXIT +NOTE\nsay +completed +1 +\S+ +0\n/,
    )

    expect(cancel.code, cancel.stderr).to.equal(0)
    expect(cancel.stdout).to.match(
      new RegExp(
        `^job ${running}(: cancel requested; its running steps are stopping| cancelled)\n$`,
      ),
    )
    expect((await finished(running)).status).to.equal('cancelled')
    expect(cancelDone.code).to.equal(1)
    expect(cancelDone.stderr).to.contain(
      'weir cancel: job is already completed (HTTP 409 conflict)',
    )

    expect(retry.code, retry.stderr).to.equal(0)
    const retried = (JSON.parse(retry.stdout) as { job_id: string }).job_id
    expect((await jobOf(retried)).retry_of_job_id).to.equal(done)

    expect(tasksText.code).to.equal(0)
    expect(tasksText.stdout.split('\n')[0]).to.match(/^TASK +TRIGGERS +DESCRIPTION$/)
    expect(tasksText.stdout).to.match(/\ncli\/typed +- *\n/)
    expect(taskJson.code).to.equal(0)
    expect(JSON.parse(taskJson.stdout)).to.deep.include({ name: 'typed', workspace: 'cli' })

    expect(workspaces.code).to.equal(0)
    expect(workspaces.stdout).to.match(
      /^WORKSPACE +TASKS +ACTIONS +TRIGGERS +REVISION +STATUS\ncli +7 +\d+ +0 +\S+ +ok\n$/,
    )

    expect(noToken.code).to.equal(1)
    expect(noToken.stderr).to.match(
      /^weir jobs: .* \(HTTP 401 unauthorized\)\n {2}hint: pass a token with --token or WEIR_TOKEN\n$/,
    )
    expect(unreachable.code).to.equal(1)
    expect(unreachable.stderr).to.equal(
      `weir jobs: cannot reach the Weir server at http://127.0.0.1:${closedPort} (ECONNREFUSED); set --server or WEIR_SERVER\n`,
    )
  })

  it('Ctrl-C without a terminal cancels the job: it ends cancelled and weir run exits 1; a second Ctrl-C stops waiting with 130', async () => {
    const once = startWeir(['run', 'cli/wait', '-i', `marker=${marker('once')}`, '--follow'], env)
    // This step ignores SIGTERM, so its cancel is still pending when the second Ctrl-C comes.
    const twice = startWeir(
      ['run', 'cli/stubborn', '-i', `marker=${marker('twice')}`, '--follow'],
      env,
    )
    await Promise.all([once, twice].map((r) => r.waitForOutput('out waiting for the marker')))

    once.child.kill('SIGINT')
    twice.child.kill('SIGINT')
    await twice.waitForOutput('cancel requested')
    twice.child.kill('SIGINT')
    const [a, b] = await Promise.all([once.done, twice.done])

    expect(a.code, a.stderr).to.equal(1)
    const onceId = UUID.exec(a.stderr)![0]
    expect(a.stderr).to.contain(`cancelling job ${onceId} (Ctrl-C again to stop waiting)`)
    expect(a.stdout).to.match(new RegExp(`\njob ${onceId} cancelled in \\S+\n$`))
    expect((await jobOf(onceId)).status).to.equal('cancelled')

    expect(b.code, b.stderr).to.equal(130)
    const twiceId = UUID.exec(b.stderr)![0]
    expect(b.stderr).to.contain(`stopped following job ${twiceId}; its cancel was requested`)
    const job = await jobOf(twiceId)
    expect(job.status).to.equal('running')
    expect(job.cancel_requested_at).to.be.a('string')
    writeFileSync(marker('twice'), '')
    expect((await finished(twiceId)).status).to.equal('cancelled')
  })

  it('approve types the fields an approval asks for; a missing one is a 400 naming it', async () => {
    const jobId = await execute('gated')
    await waitFor(
      async () =>
        (await jobOf(jobId)).steps.find((s: any) => s.step_name === 'approve')?.status ===
        'suspended',
      { timeoutMs: 20_000, what: 'the approval step to wait' },
    )
    const missing = await weir(['approve', jobId, 'approve', '-i', 'ticket=CHG-1'], env)
    expect(missing.code).to.equal(1)
    expect(missing.stderr).to.contain('(HTTP 400 validation_failed)\n  field: input.reviewers\n')

    const approved = await weir(
      ['approve', jobId, 'approve', '-i', 'ticket=CHG-1', '-i', 'reviewers=2', '--json'],
      env,
    )
    expect(approved.code, approved.stderr).to.equal(0)
    expect(JSON.parse(approved.stdout)).to.deep.equal({
      job_id: jobId,
      step_name: 'approve',
      status: 'approved',
      step_status: 'completed',
    })
    const job = await finished(jobId)
    expect(job.status).to.equal('completed')
    const step = job.steps.find((s: any) => s.step_name === 'approve')
    expect(step.output.input).to.deep.equal({ ticket: 'CHG-1', reviewers: 2 })
  })

  it("artifacts lists a job's files and downloads one, refusing to overwrite without --force", async () => {
    const id = await execute('report')
    expect((await finished(id)).status).to.equal('completed')
    const dir = mkdtempSync(join(tmpdir(), 'weir-cli-artifacts-'))
    const file = join(dir, 'r.txt')
    const [list, json, down, none, unknown] = await Promise.all([
      weir(['artifacts', id], env),
      weir(['artifacts', id, '--json'], env),
      weir(['artifacts', id, 'out/report.txt', '-o', file], env),
      weir(['artifacts', id, 'nope.txt', '-o', join(dir, 'nope')], env),
      weir(['artifacts', '00000000-0000-7000-8000-000000000000'], env),
    ])
    expect(list.code, list.stderr).to.equal(0)
    expect(list.stdout).to.match(
      /^NAME +SIZE +STEP +TYPE\nout\/report\.txt +12 B +write +text\/plain/,
    )
    expect(JSON.parse(json.stdout)).to.have.length(1)
    expect(down.code, down.stderr).to.equal(0)
    expect(readFileSync(file, 'utf8')).to.equal('weir report\n')
    expect(none.code).to.equal(1)
    expect(none.stderr).to.match(/^weir artifacts: .*nope\.txt/)
    expect(unknown.code).to.equal(1)

    const [again, forced, stdout] = await Promise.all([
      weir(['artifacts', id, 'out/report.txt', '-o', file], env),
      weir(['artifacts', id, 'out/report.txt', '-o', join(dir, 'r.txt'), '--force'], env),
      weir(['artifacts', id, 'out/report.txt', '-o', '-'], env),
    ])
    expect(again.code).to.equal(2)
    expect(again.stderr).to.contain('exists; pass --force to replace it')
    expect(forced.code, forced.stderr).to.equal(0)
    expect(stdout.code, stdout.stderr).to.equal(0)
    expect(stdout.stdout).to.equal('weir report\n')
  })
})
