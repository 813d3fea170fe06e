import { expect } from 'chai'
import type { LibraryImport, ReferenceScope } from '../../../src/workspace/action-refs.ts'
import { importLibrary } from '../../../src/workspace/library-import.ts'
import { linkWorkspace, referenceIssues } from '../../../src/workspace/link-workspace.ts'
import { validateWorkspace } from '../../../src/workspace/validate-workspace.ts'
import { formatIssue, type Workspace } from '../../../src/workspace/workspace.ts'
import { parseYamlFile } from '../../../src/workspace/yaml-source.ts'

const CLOCK = { now: () => new Date('2024-03-05T06:07:08Z') }

function validate(text: string, scope?: ReferenceScope, files: string[] = []) {
  const documents = [{ source: parseYamlFile('w.yaml', text), folder: null }]
  return validateWorkspace(documents, { files: new Set(files), clock: CLOCK, scope })
}

function asWorkspace(name: string, text: string, scope?: ReferenceScope): Workspace {
  const v = validate(text, scope)
  const errors = v.issues.filter((i) => i.severity === 'error')
  if (errors.length > 0) throw new Error(errors.map(formatIssue).join('\n'))
  return {
    name,
    root: `/srv/${name}`,
    revision: `${name}-rev`,
    actions: v.actions,
    tasks: v.tasks,
    triggers: v.triggers,
    secrets: v.secrets,
    hooks: v.hooks,
    issues: v.issues,
    ...(v.references.length > 0 ? { references: v.references } : {}),
  }
}

const LIBRARY = `
actions:
  notify:
    type: script
    source: bin/notify.sh
  run-deploy:
    type: task
    task: deploy
tasks:
  deploy:
    flow:
      ship: { action: notify }
      check: { type: script, script: echo ok, depends_on: [ship] }
    on_error:
      - action: notify
triggers:
  nightly: { type: scheduler, cron: "0 0 * * *", task: deploy }
secrets:
  ignored: x
`

function library(name = 'common'): LibraryImport {
  const defs = validate(LIBRARY, undefined, ['bin/notify.sh'])
  expect(defs.issues.filter((i) => i.severity === 'error')).to.deep.equal([])
  return importLibrary({ name, revision: 'lib-rev', root: '/libs/common' }, defs)
}

function scope(libs: LibraryImport[] = [library()]): ReferenceScope {
  return {
    self: 'app',
    libraries: new Map(libs.map((l) => [l.name, l])),
    workspaces: new Set(['app', 'ops']),
  }
}

describe('library imports (library-import.ts)', () => {
  it('renames actions and tasks `<library>.<name>` and rewrites the names they use', () => {
    const lib = library()
    if (!lib.ok) throw new Error('library failed')
    expect([...lib.actions.keys()].sort()).to.deep.equal([
      '_inline:common.deploy:check',
      'common.notify',
      'common.run-deploy',
    ])
    expect([...lib.tasks.keys()]).to.deep.equal(['common.deploy'])
    const deploy = lib.tasks.get('common.deploy')!
    expect(deploy.flow.map((s) => s.action)).to.deep.equal([
      'common.notify',
      '_inline:common.deploy:check',
    ])
    expect(deploy.hooks.onError.map((h) => h.action)).to.deep.equal(['common.notify'])
    expect(lib.actions.get('common.run-deploy')!.task).to.equal('common.deploy')
    expect(lib.actions.get('common.notify')!.origin).to.deep.equal({
      workspace: null,
      files: { kind: 'library', name: 'common', revision: 'lib-rev', root: '/libs/common' },
    })
  })

  it("lets a workspace use the library's actions and tasks, not its triggers or secrets", () => {
    const v = validate(
      `
tasks:
  t:
    flow:
      a: { action: common.notify }
      b: { action: common.run-deploy, depends_on: [a] }
    on_success:
      - action: common.notify
triggers:
  go: { type: scheduler, cron: "0 * * * *", task: common.deploy }
`,
      scope(),
    )
    expect(v.issues.map(formatIssue)).to.deep.equal([])
    expect(v.tasks.has('common.deploy')).to.equal(true)
    expect(v.actions.get('common.notify')?.origin?.files.kind).to.equal('library')
    expect([...v.triggers.keys()]).to.deep.equal(['go'])
    expect(v.secrets).to.deep.equal({})
  })
})

describe('dotted action names (action-refs.ts, validate-flow.ts)', () => {
  const lines = (text: string, s: ReferenceScope = scope()) =>
    validate(text, s).issues.map(formatIssue)

  it('reports a missing library action, an unknown owner and a misspelt one, with the names meant', () => {
    expect(
      lines(`
tasks:
  t:
    flow:
      a: { action: common.notfy }
      b: { action: comon.notify }
      c: { action: nowhere.x }
`),
    ).to.deep.equal([
      "w.yaml:5:20 tasks.t.flow.a.action: library 'common' has no action 'notfy' (did you mean 'notify'?)  [unknown-action]",
      "w.yaml:6:20 tasks.t.flow.b.action: unknown action 'comon.notify' (did you mean 'common.notify'?)  [unknown-action]",
      "w.yaml:7:20 tasks.t.flow.c.action: unknown action 'nowhere.x': no library or workspace is named 'nowhere'  [unknown-action]",
    ])
  })

  it('says why a library that did not load cannot be used', () => {
    const failed: LibraryImport = { ok: false, name: 'common', error: '1 error in /libs/common' }
    expect(
      lines('tasks:\n  t:\n    flow:\n      a: { action: common.notify }\n', scope([failed])),
    ).to.deep.equal([
      "w.yaml:4:20 tasks.t.flow.a.action: action 'common.notify' cannot be checked: library 'common' did not load (1 error in /libs/common)  [library]",
    ])
  })

  it("records steps naming another workspace's action and refuses them in hooks", () => {
    const v = validate(
      `
tasks:
  t:
    flow:
      a: { action: ops.restart }
    on_error:
      - action: ops.page
`,
      scope(),
    )
    expect(v.issues.map(formatIssue)).to.deep.equal([
      "w.yaml:7:17 tasks.t.on_error[0].action: hooks cannot run another workspace's action ('ops.page'); use an action of this workspace or of a library  [cross-workspace]",
    ])
    expect(v.references).to.deep.equal([
      {
        workspace: 'ops',
        action: 'restart',
        file: 'w.yaml',
        line: 5,
        column: 20,
        path: 'tasks.t.flow.a.action',
      },
    ])
  })

  it('leaves dotted names unchecked without a server configuration (a folder validated alone)', () => {
    const v = validate('tasks:\n  t:\n    flow:\n      a: { action: x.y }\n')
    expect(v.issues.map(formatIssue)).to.deep.equal([])
    expect(v.references).to.deep.equal([])
  })
})

describe('linking (link-workspace.ts)', () => {
  const OPS = `
secrets:
  token: ops-token
actions:
  restart:
    type: script
    script: echo restart
  approve:
    type: approval
    message: ok?
  later:
    type: script
    script: echo
    runner: pod
`
  const ops = () => asWorkspace('ops', OPS)
  const app = (flow: string) => asWorkspace('app', `tasks:\n  t:\n    flow:\n${flow}`, scope())

  it("adds the owner's action, pinned to the owner's revision, secrets and files", () => {
    const linked = linkWorkspace(app('      a: { action: ops.restart }\n'), (n) =>
      n === 'ops' ? ops() : null,
    )
    if (!linked.ok) throw new Error(linked.issues.map(formatIssue).join('\n'))
    expect(linked.workspace.actions.get('ops.restart')?.origin).to.deep.equal({
      workspace: { name: 'ops', revision: 'ops-rev' },
      files: { kind: 'workspace', name: 'ops', revision: 'ops-rev', root: '/srv/ops' },
    })
    expect(linked.signature).to.equal('ops.restart@ops-rev')
  })

  it('reports a missing owner version, a missing action and a type that cannot be lent', () => {
    const raw = app(
      '      a: { action: ops.restrat }\n      b: { action: ops.approve }\n      c: { action: ops.restart }\n',
    )
    const linked = linkWorkspace(raw, () => ops())
    expect(linked.ok).to.equal(false)
    if (linked.ok) return
    expect(linked.issues.map(formatIssue)).to.deep.equal([
      "w.yaml:4:20 tasks.t.flow.a.action: workspace 'ops' has no action 'restrat' (did you mean 'restart'?)  [unknown-action]",
      "w.yaml:5:20 tasks.t.flow.b.action: action 'ops.approve' has type 'approval'; only script and docker actions can run from another workspace  [cross-workspace]",
    ])
    expect(
      referenceIssues('app', raw.references ?? [], () => null).map((i) => i.message),
    ).to.have.length(3)
    expect(referenceIssues('app', raw.references ?? [], () => null)[0]?.message).to.equal(
      "action 'ops.restrat' cannot be resolved: workspace 'ops' has no valid version (fix its errors first)",
    )
  })

  it('makes the task of a step whose lent action cannot run unavailable', () => {
    const linked = linkWorkspace(app('      a: { action: ops.later }\n'), () => ops())
    if (!linked.ok) throw new Error('link failed')
    expect(linked.workspace.tasks.get('t')?.unavailable).to.match(/runner 'pod'/)
  })

  it('resolves `<self>.name` to its own action', () => {
    const raw = asWorkspace(
      'app',
      'actions:\n  own: { type: script, script: echo }\ntasks:\n  t:\n    flow:\n      a: { action: app.own }\n',
      scope(),
    )
    const linked = linkWorkspace(raw, () => null)
    if (!linked.ok) throw new Error('link failed')
    expect(linked.workspace.actions.get('app.own')?.origin).to.equal(undefined)
  })
})
