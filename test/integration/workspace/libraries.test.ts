import { expect } from 'chai'
import { rmSync } from 'node:fs'
import { buildTestApp, execute, waitForJob, type TestApp } from '../../helpers/test-app.ts'
import { GitRepo } from '../../helpers/git-repos.ts'
import { workspaceDir } from '../../helpers/workspace-files.ts'

/** A folder library: a `source:` action, a task using it and an inline step, a task action. */
const COMMON = {
  '.workflows/lib.yaml': `
actions:
  greet:
    type: script
    source: scripts/greet.sh
    input:
      who: { type: string }
  run-hello:
    type: task
    task: hello
tasks:
  hello:
    flow:
      one:
        action: greet
        input: { who: library }
      two:
        type: script
        depends_on: [one]
        script: |
          echo "OUTPUT: {\\"marker\\": \\"$(cat lib-marker.txt)\\"}"
triggers:
  ignored:
    type: scheduler
    cron: "0 0 1 1 *"
    task: hello
`,
  'scripts/greet.sh':
    '#!/bin/sh\necho "OUTPUT: {\\"hi\\": \\"$WEIR_INPUT_WHO\\", \\"marker\\": \\"$(cat lib-marker.txt)\\"}"\n',
  'lib-marker.txt': 'common-files',
}

const WORKSPACE = {
  '.workflows/main.yaml': `
tasks:
  use-folder-lib:
    flow:
      g: { action: common.greet, input: { who: workspace } }
  use-git-lib:
    flow:
      s: { action: tools.stamp }
  via-lib-task:
    flow:
      t: { action: common.run-hello }
    on_success:
      - action: common.greet
        input: { who: hook }
`,
  'lib-marker.txt': 'workspace-files',
}

describe('libraries (server config `libraries`, folder and git)', function () {
  this.timeout(60_000)
  let t: TestApp
  let tools: GitRepo
  const dirs: string[] = []

  before(async function () {
    this.timeout(60_000)
    tools = GitRepo.create('weir-lib-git-')
    tools.commit({
      '.workflows/tools.yaml': `
actions:
  stamp:
    type: script
    source: bin/stamp.sh
`,
      'bin/stamp.sh': '#!/bin/sh\necho "OUTPUT: {\\"stamp\\": \\"$(cat VERSION)\\"}"\n',
      VERSION: 'tools-1',
    })
    const common = workspaceDir('weir-lib-common-', COMMON)
    const main = workspaceDir('weir-lib-main-', WORKSPACE)
    const broken = workspaceDir('weir-lib-broken-', {
      '.workflows/b.yaml': `
tasks:
  t:
    flow:
      a: { action: common.gret }
      b: { action: comon.greet }
`,
    })
    dirs.push(common, main, broken)
    t = await buildTestApp({
      workspaces: { main, broken },
      env: { WEIR__WORKSPACE_WATCH: 'false' },
      configure: (c) => ({
        ...c,
        libraries: {
          common: { type: 'folder', path: common },
          tools: { type: 'git', url: tools.url },
        },
      }),
    })
  })
  after(async () => {
    await t.close()
    tools.remove()
    for (const d of dirs) rmSync(d, { recursive: true, force: true })
  })

  const outputOf = (job: any, step: string) =>
    job.steps.find((s: { step_name: string }) => s.step_name === step).output

  it("runs a folder library's action from the library's files", async () => {
    const job = await waitForJob(t, await execute(t, 'use-folder-lib', {}, 'main'))
    expect(job.status, JSON.stringify(job.steps)).to.equal('completed')
    expect(outputOf(job, 'g')).to.deep.equal({ hi: 'workspace', marker: 'common-files' })
  })

  it("runs a git library's action from the library's commit", async () => {
    const job = await waitForJob(t, await execute(t, 'use-git-lib', {}, 'main'))
    expect(job.status, JSON.stringify(job.steps)).to.equal('completed')
    expect(outputOf(job, 's')).to.deep.equal({ stamp: 'tools-1' })
  })

  it("lists the library's tasks under its name and runs them with their references rewritten", async () => {
    const tasks = (await t.request().get('/api/workspaces/main/tasks').expect(200)).body as any[]
    expect(tasks.map((x) => x.name)).to.include.members(['common.hello', 'use-folder-lib'])
    const triggers = (await t.request().get('/api/workspaces/main/triggers').expect(200)).body
    expect(triggers).to.deep.equal([])
    const job = await waitForJob(t, await execute(t, 'common.hello', {}, 'main'))
    expect(job.status, JSON.stringify(job.steps)).to.equal('completed')
    expect(outputOf(job, 'one')).to.deep.equal({ hi: 'library', marker: 'common-files' })
    expect(outputOf(job, 'two')).to.deep.equal({ marker: 'common-files' })
  })

  it("starts a library's task through its task action, and runs a library action as a hook", async () => {
    const job = await waitForJob(t, await execute(t, 'via-lib-task', {}, 'main'))
    expect(job.status, JSON.stringify(job.steps)).to.equal('completed')
    const hooks = await t.request().get(`/api/jobs?source_type=hook`).expect(200)
    const hook = (hooks.body.items ?? hooks.body.jobs ?? hooks.body).find(
      (j: any) => j.source_id === job.job_id,
    )
    expect(hook, JSON.stringify(hooks.body)).to.not.equal(undefined)
    const done = await waitForJob(t, hook.job_id)
    expect(done.status).to.equal('completed')
    expect(outputOf(done, 'hook')).to.deep.equal({ hi: 'hook', marker: 'common-files' })
  })

  it('reports a missing library action with the one meant, and an unknown library', async () => {
    const ws = (await t.request().get('/api/workspaces').expect(200)).body as any[]
    const broken = ws.find((w) => w.name === 'broken')
    expect(broken.error.split('\n')).to.deep.equal([
      ".workflows/b.yaml:5:20 tasks.t.flow.a.action: library 'common' has no action 'gret' (did you mean 'greet'?)  [unknown-action]",
      ".workflows/b.yaml:6:20 tasks.t.flow.b.action: unknown action 'comon.greet' (did you mean 'common.greet'?)  [unknown-action]",
    ])
  })
})
