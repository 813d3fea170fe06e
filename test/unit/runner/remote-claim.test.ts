import { expect } from 'chai'
import { mapClaim, remoteStepId, type ClaimContext } from '../../../src/runner/remote-claim.ts'
import { claimReplySchema } from '../../../src/runner/remote-wire.ts'

const JOB = '7c0e9a52-3f4b-4e0f-9a43-2d8e61b0c5aa'

function claim(over: Record<string, unknown> = {}) {
  return claimReplySchema.parse({
    lease: { token: 'wlt_abc', expires_at: '2026-03-02T10:00:10.150Z' },
    job_id: JOB,
    workspace: 'default',
    revision: '9d2c41e',
    task_name: 'hello-world',
    step_name: 'build-greeting',
    attempt: 2,
    action_name: 'compose-greeting',
    action_type: 'script',
    runner: 'local',
    action: { type: 'script', script: 'echo hi' },
    input: { name: 'World' },
    timeout_secs: 1800,
    env: { STROEM_JOB_ID: JOB, WEIR_INPUT_NAME: 'World', WEIR_INPUT_COUNT: 3 },
    ...over,
  })
}

const ctx: ClaimContext = {
  workspaceDirs: { ops: '/srv/ops' },
  scratchDir: '/tmp/scratch',
  defaultTimeoutSecs: 99,
  containers: false,
}

describe('mapping a claim onto a step to run (mapClaim)', () => {
  it('maps the API.md §11.3 example, running an inline script in the scratch folder', () => {
    const m = mapClaim(claim(), ctx)
    expect(m).to.deep.equal({
      ok: true,
      step: {
        stepId: remoteStepId(JOB, 'build-greeting', 2),
        jobId: JOB,
        workspace: 'default',
        taskName: 'hello-world',
        stepName: 'build-greeting',
        attempt: 2,
        leaseToken: 'wlt_abc',
        action: { language: 'shell', interpreter: null, script: 'echo hi', source: null, args: [] },
        container: null,
        env: { STROEM_JOB_ID: JOB, WEIR_INPUT_NAME: 'World', WEIR_INPUT_COUNT: '3' },
        cwd: '/tmp/scratch',
        timeoutSecs: 1800,
        state: null,
        fetchFiles: null,
      },
    })
  })

  it('gives each attempt its own id', () => {
    expect(remoteStepId(JOB, 's', 1)).not.to.equal(remoteStepId(JOB, 's', 2))
  })

  it('takes language, interpreter and args from the rendered action; js is javascript', () => {
    const m = mapClaim(
      claim({
        action: {
          type: 'script',
          language: 'js',
          interpreter: 'node',
          script: 'x',
          args: ['a', 1, 'b'],
        },
        timeout_secs: null,
      }),
      ctx,
    )
    expect(m.ok).to.equal(true)
    expect(m.step.action).to.deep.equal({
      language: 'javascript',
      interpreter: 'node',
      script: 'x',
      source: null,
      args: ['a', 'b'],
    })
    expect(m.step.timeoutSecs).to.equal(99)
  })

  it('reads action fields of the wrong type as absent instead of refusing the claim', () => {
    const m = mapClaim(
      claim({
        action: { type: 'script', language: 5, interpreter: [], script: 'x', source: 1, args: 'a' },
      }),
      ctx,
    )
    expect(m.ok).to.equal(true)
    expect(m.step.action).to.deep.equal({
      language: 'shell',
      interpreter: null,
      script: 'x',
      source: null,
      args: [],
    })
    expect(() => claim({ action: 'echo hi' })).to.throw()
  })

  it('runs a source: script in the mapped workspace folder', () => {
    const m = mapClaim(
      claim({ workspace: 'ops', action: { type: 'script', source: 'scripts/a.sh' } }),
      ctx,
    )
    expect(m.ok).to.equal(true)
    expect(m.step.cwd).to.equal('/srv/ops')
    expect(m.step.action.source).to.equal('scripts/a.sh')
  })

  it('fetches the files of the claimed revision for a source: script whose workspace has no folder here', () => {
    const m = mapClaim(claim({ action: { type: 'script', source: 'scripts/a.sh' } }), ctx)
    expect(m.ok).to.equal(true)
    expect(m.step.fetchFiles).to.deep.equal({
      kind: 'workspace',
      name: 'default',
      revision: '9d2c41e',
    })
  })

  it("fetches a library's files for its action, the claim's `files` winning over the job's workspace", () => {
    const files = { kind: 'library', name: 'common', revision: 'c0ffee' }
    const m = mapClaim(
      claim({ workspace: 'ops', files, action: { type: 'script', source: 'bin/x.sh' } }),
      ctx,
    )
    expect(m.ok).to.equal(true)
    expect(m.step.fetchFiles).to.deep.equal(files)
    expect(m.step.cwd).to.equal('/tmp/scratch')
  })

  it('takes the --workspace-dir folder of the workspace whose files the claim names', () => {
    const files = { kind: 'workspace', name: 'ops', revision: 'r1' }
    const m = mapClaim(claim({ files, action: { type: 'script', source: 'a.sh' } }), ctx)
    expect(m.step).to.include({ cwd: '/srv/ops', fetchFiles: null })
  })

  it('fetches nothing for an inline script', () => {
    expect(mapClaim(claim(), ctx).step.fetchFiles).to.equal(null)
  })

  it('refuses a revision or name that could leave the cache folder', () => {
    for (const [name, revision] of [
      ['dev', '..'],
      ['..', 'r1'],
      ['dev', 'a/b'],
    ]) {
      const files = { kind: 'workspace', name, revision }
      const m = mapClaim(claim({ files, action: { type: 'script', source: 'a.sh' } }), ctx)
      expect(m.ok ? '' : m.error).to.equal(
        `cannot fetch workspace '${name}' at revision '${revision}': not a valid name or revision`,
      )
    }
  })

  it('fails a source: script with no folder here and no revision to fetch, naming the option and variable', () => {
    const m = mapClaim(
      claim({ revision: null, action: { type: 'script', source: 'scripts/a.sh' } }),
      ctx,
    )
    expect(m).to.include({ ok: false })
    expect(m.ok ? '' : m.error).to.equal(
      "step needs the files of workspace 'default' (source: scripts/a.sh), but this worker has no " +
        'folder for it: start the worker with --workspace-dir default=<path> ' +
        '(or WEIR_WORKER__WORKSPACES=default=<path>)',
    )
  })

  it('refuses what this worker cannot run, with the reason', () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [
        { action: { type: 'docker', image: 'x' } },
        'this worker has no Docker Engine for container steps (give it one with --docker-host, or run it where DOCKER_HOST answers)',
      ],
      [
        { action: { type: 'script', runner: 'docker', script: 'x' } },
        'this worker has no Docker Engine for container steps (give it one with --docker-host, or run it where DOCKER_HOST answers)',
      ],
      [
        { action: { type: 'agent', prompt: 'x' } },
        "action type 'agent' is not supported by this worker (it runs script and docker steps)",
      ],
      [{ runner: 'pod' }, "runner 'pod' is not supported by this worker"],
      [
        { action: { type: 'script', language: 'ruby', script: 'x' } },
        "script language 'ruby' is not supported by this worker",
      ],
      [{ action: { type: 'script' } }, 'the claimed action has neither `script` nor `source`'],
      [
        { workspace: 'ops', action: { type: 'script', source: '../etc/x' } },
        "source '../etc/x' is outside the workspace folder",
      ],
    ]
    for (const [over, error] of cases) {
      const m = mapClaim(claim(over), ctx)
      expect(m.ok ? '' : m.error, JSON.stringify(over)).to.equal(error)
      expect(m.step.leaseToken).to.equal('wlt_abc')
    }
  })

  it('maps container steps for a worker with a Docker Engine: the image and its limits', () => {
    const withEngine = { ...ctx, containers: true }
    const docker = mapClaim(
      claim({
        action_type: 'docker',
        runner: 'docker',
        action: {
          type: 'docker',
          runner: 'docker',
          image: 'busybox:1',
          cmd: 'echo hi',
          entrypoint: null,
          command: ['echo', 'exec'],
          pull_policy: 'never',
          resources: { cpu: 0.5, memory: 67108864 },
        },
      }),
      withEngine,
    )
    expect(docker.ok).to.equal(true)
    expect(docker.step.container).to.deep.equal({
      mode: 'action',
      image: 'busybox:1',
      cmd: 'echo hi',
      entrypoint: null,
      command: ['echo', 'exec'],
      pullPolicy: 'never',
      resources: { nanoCpus: 500_000_000, memoryBytes: 67108864 },
    })
    const script = mapClaim(
      claim({ action: { type: 'script', runner: 'docker', script: 'echo in', image: null } }),
      withEngine,
    )
    expect(script.ok).to.equal(true)
    expect(script.step.container).to.deep.include({ mode: 'script', image: null })
    expect(script.step.container?.pullPolicy).to.equal('if_not_present')
  })
})
