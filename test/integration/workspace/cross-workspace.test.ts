import { expect } from 'chai'
import { rmSync } from 'node:fs'
import { join } from 'node:path'
import { buildTestApp, execute, waitForJob, type TestApp } from '../../helpers/test-app.ts'
import { GitRepo } from '../../helpers/git-repos.ts'
import { workspaceDir, writeFiles } from '../../helpers/workspace-files.ts'

/** The owner: its secrets, an action that shows which secret it saw, and one that cannot be lent. */
const OWNER = {
  '.workflows/owner.yaml': `
secrets:
  shared: owner-shared-value
actions:
  reveal:
    type: script
    input:
      text: { type: string }
    script: |
      leaked="{% if secret.caller_only is defined %}{{ secret.caller_only }}{% else %}none{% endif %}"
      echo "OUTPUT: {\\"shared\\": \\"$(printf %s '{{ secret.shared }}' | rev)\\", \\"caller\\": \\"$(printf %s "$leaked" | rev)\\", \\"text\\": \\"{{ input.text }}\\", \\"cwd\\": \\"$(cat marker.txt)\\"}"
  child:
    type: task
    task: inner
tasks:
  inner:
    flow:
      one: { action: reveal, input: { text: x } }
`,
  'marker.txt': 'owner-files',
}

const CALLER = {
  '.workflows/caller.yaml': `
secrets:
  shared: caller-shared-value
  caller_only: caller-private-value
tasks:
  borrow:
    input:
      name: { type: string, default: World }
    flow:
      ask:
        action: owner.reveal
        input:
          text: "{{ input.name }}"
`,
  'marker.txt': 'caller-files',
}

const reversed = (s: string) => [...s].reverse().join('')

describe('cross-workspace actions (other.name)', function () {
  this.timeout(60_000)
  let t: TestApp
  let owner: GitRepo
  let gate: string
  const dirs: string[] = []
  const action = (v: string) => `
secrets:
  level: level-${v}
actions:
  version:
    type: script
    source: scripts/version.sh
    env:
      LEVEL: "{{ secret.level }}"
`
  const script = (v: string) =>
    `#!/bin/sh\necho "OUTPUT: {\\"v\\": \\"${v}\\", \\"level\\": \\"$(printf %s "$LEVEL" | rev)\\"}"\n`

  before(async function () {
    this.timeout(60_000)
    owner = GitRepo.create('weir-owner-git-')
    owner.commit({ '.workflows/o.yaml': action('1'), 'scripts/version.sh': script('1') })
    gate = workspaceDir('weir-gate-', {})
    const broken = `
tasks:
  t:
    flow:
      a: { action: ownr.reveal }
      b: { action: owner.revael }
      c: { action: owner.child }
    on_error:
      - action: owner.reveal
`
    const workspaces = {
      owner: workspaceDir('weir-owner-', OWNER),
      caller: workspaceDir('weir-caller-', CALLER),
      broken: workspaceDir('weir-broken-', { '.workflows/caller.yaml': broken }),
      pinner: workspaceDir('weir-pinner-', {
        '.workflows/c.yaml': `
tasks:
  pinned:
    flow:
      wait:
        type: script
        script: while [ ! -f '${join(gate, 'go')}' ]; do sleep 0.05; done
      run:
        action: gitowner.version
        depends_on: [wait]
`,
      }),
    }
    dirs.push(gate, ...Object.values(workspaces))
    t = await buildTestApp({
      workspaces,
      env: { WEIR__WORKSPACE_WATCH: 'false' },
      configure: (c) => ({
        ...c,
        workspaces: { ...c.workspaces, gitowner: { type: 'git', url: owner.url } },
      }),
    })
  })
  after(async () => {
    await t.close()
    owner.remove()
    for (const d of dirs) rmSync(d, { recursive: true, force: true })
  })

  const outputOf = (job: any, step: string) =>
    job.steps.find((s: { step_name: string }) => s.step_name === step).output

  it("runs the owner's action with the owner's secrets and files; the caller's secrets stay out", async () => {
    const job = await waitForJob(t, await execute(t, 'borrow', { name: 'Ada' }, 'caller'))
    expect(job.status, JSON.stringify(job)).to.equal('completed')
    expect(outputOf(job, 'ask')).to.deep.equal({
      shared: reversed('owner-shared-value'),
      caller: reversed('none'),
      text: 'Ada',
      cwd: 'owner-files',
    })
    expect(job.steps[0].action_name).to.equal('owner.reveal')
  })

  it('reports what a dotted name cannot resolve, with the names meant', async () => {
    const ws = (await t.request().get('/api/workspaces').expect(200)).body as any[]
    const broken = ws.find((w) => w.name === 'broken')
    expect(broken.revision).to.equal(null)
    expect(broken.error.split('\n')).to.deep.equal([
      ".workflows/caller.yaml:5:20 tasks.t.flow.a.action: unknown action 'ownr.reveal': no library or workspace is named 'ownr' (did you mean 'owner'?)  [unknown-action]",
      ".workflows/caller.yaml:6:20 tasks.t.flow.b.action: workspace 'owner' has no action 'revael' (did you mean 'reveal'?)  [unknown-action]",
      ".workflows/caller.yaml:7:20 tasks.t.flow.c.action: action 'owner.child' has type 'task'; only script and docker actions can run from another workspace  [cross-workspace]",
      ".workflows/caller.yaml:9:17 tasks.t.on_error[0].action: hooks cannot run another workspace's action ('owner.reveal'); use an action of this workspace or of a library  [cross-workspace]",
    ])
  })

  it('pins the owner at job creation: a job created before the owner changes runs the old version', async () => {
    const before = await execute(t, 'pinned', {}, 'pinner')
    owner.commit({ '.workflows/o.yaml': action('2'), 'scripts/version.sh': script('2') })
    const refreshed = await t.request().post('/api/workspaces/gitowner/refresh').expect(200)
    expect(refreshed.body.error).to.equal(null)
    writeFiles(gate, { go: '' })
    const old = await waitForJob(t, before)
    expect(old.status, JSON.stringify(old.steps)).to.equal('completed')
    expect(outputOf(old, 'run')).to.deep.equal({ v: '1', level: reversed('level-1') })
    // Linked again at once: a job created now runs the new version.
    const fresh = await waitForJob(t, await execute(t, 'pinned', {}, 'pinner'))
    expect(outputOf(fresh, 'run')).to.deep.equal({ v: '2', level: reversed('level-2') })
  })
})
