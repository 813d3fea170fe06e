import { expect } from 'chai'
import { validateWorkspace } from '../../../src/workspace/validate-workspace.ts'
import type { ValidateOptions } from '../../../src/workspace/validate-workspace.ts'
import { formatIssue } from '../../../src/workspace/workspace.ts'
import { parseYamlFile } from '../../../src/workspace/yaml-source.ts'

const FIXED_CLOCK = { now: () => new Date('2024-03-05T06:07:08Z') }

type Files = Record<string, string | { text: string; folder: string }>

function validate(files: Files, opts: Partial<ValidateOptions> = {}) {
  const documents = Object.entries(files).map(([file, f]) => ({
    source: parseYamlFile(file, typeof f === 'string' ? f : f.text),
    folder: typeof f === 'string' ? null : f.folder,
  }))
  return validateWorkspace(documents, { files: new Set(), clock: FIXED_CLOCK, ...opts })
}

function lines(files: Files, opts: Partial<ValidateOptions> = {}): string[] {
  return validate(files, opts).issues.map(formatIssue)
}

const ECHO = `actions:
  echo:
    type: script
    script: echo hi
`

describe('validateWorkspace', () => {
  describe('merging files', () => {
    it('unions named maps across files', () => {
      const result = validate({
        'a.yaml': ECHO,
        'b.yaml': 'tasks:\n  t:\n    flow:\n      s:\n        action: echo\n',
      })
      expect(result.issues).to.deep.equal([])
      expect([...result.actions.keys()]).to.deep.equal(['echo'])
      expect(result.tasks.get('t')?.flow[0]?.action).to.equal('echo')
    })

    it('reports a name defined in two files at the second, naming the first', () => {
      const dup = 'secrets:\n  KEY: x\ntriggers:\n  tick: {type: webhook, task: t, secret: s}\n'
      expect(
        lines({
          'a.yaml': `${ECHO}tasks:\n  t:\n    flow:\n      s: {action: echo}\n${dup}`,
          'b.yaml': `${ECHO}${dup}`,
        }),
      ).to.deep.equal([
        "b.yaml:2:3 actions.echo: action 'echo' is already defined at a.yaml:2:3  [duplicate-definition]",
        "b.yaml:6:3 secrets.KEY: secret 'KEY' is already defined at a.yaml:10:3  [duplicate-definition]",
        "b.yaml:8:3 triggers.tick: trigger 'tick' is already defined at a.yaml:12:3  [duplicate-definition]",
      ])
    })

    it('concatenates workspace hook lists in file order', () => {
      const hook = (n: string) => `on_error:\n  - action: echo\n    input: {n: "${n}"}\n`
      const result = validate({ 'a.yaml': `${ECHO}${hook('1')}`, 'b.yaml': hook('2') })
      expect(result.issues).to.deep.equal([])
      expect(result.hooks.onError.map((h) => h.input)).to.deep.equal([{ n: '1' }, { n: '2' }])
      expect(result.hooks.onError.map((h) => h.at.file)).to.deep.equal(['a.yaml', 'b.yaml'])
    })

    it('defaults a task folder to its file sub-directory unless the task sets one', () => {
      const tasks =
        'tasks:\n  x: {flow: {s: {action: echo}}}\n  y: {folder: own, flow: {s: {action: echo}}}\n'
      const result = validate({ 'a.yaml': ECHO, 'ops/b.yaml': { text: tasks, folder: 'ops/db' } })
      expect(result.tasks.get('x')?.folder).to.equal('ops/db')
      expect(result.tasks.get('y')?.folder).to.equal('own')
    })

    it('keeps checking other files when one does not parse', () => {
      expect(
        lines({
          'a.yaml': 'tasks: {t: [\n',
          'b.yaml': 'tasks:\n  u:\n    flow:\n      s: {action: missing}\n',
        }).map((l) => l.replace(/: invalid YAML: .*/, ': invalid YAML')),
      ).to.include.members([
        "b.yaml:4:19 tasks.u.flow.s.action: unknown action 'missing'  [unknown-action]",
      ])
    })
  })

  describe('inline actions', () => {
    const TASK = `tasks:
  t:
    flow:
      tidy:
        type: script
        script: echo "{{ input.level }} {{ input.mode }}"
        input:
          level: {type: string, default: info}
          mode: fast
`
    it('registers the step action as _inline:<task>:<step>', () => {
      const result = validate({ 'a.yaml': TASK })
      expect(result.issues).to.deep.equal([])
      const action = result.actions.get('_inline:t:tidy')
      expect(action?.type).to.equal('script')
      expect(action?.input.map(([name, f]) => [name, f.default])).to.deep.equal([['level', 'info']])
      const step = result.tasks.get('t')?.flow[0]
      expect(step?.action).to.equal('_inline:t:tidy')
      expect(step?.input).to.deep.equal({ mode: 'fast' })
      expect(step?.declared).to.have.keys(['type', 'script', 'input'])
    })
  })

  describe('templates', () => {
    it('checks an action body for every step that runs it', () => {
      const text = `actions:
  make:
    type: script
    script: echo hi
  use:
    type: script
    script: echo "{{ build.output.v }}"
tasks:
  t:
    flow:
      build: {action: make}
      ok: {action: use, depends_on: [build]}
      early: {action: use}
`
      expect(lines({ 'a.yaml': text })).to.deep.equal([
        "a.yaml:7:13 actions.use.script: template line 1, column 10: references step 'build' which is not upstream of 'early'; add it to depends_on  [template-not-upstream]",
      ])
    })

    it('lets when and step inputs see upstream steps through their template names', () => {
      const text = `${ECHO}tasks:
  t:
    input: {name: {type: string}}
    flow:
      build-greeting: {action: echo}
      report:
        action: echo
        depends_on: [build-greeting]
        when: "{{ build_greeting.output and input.name }}"
        input: {x: "{{ build_greeting.output.greeting }}"}
`
      expect(lines({ 'a.yaml': text })).to.deep.equal([])
    })

    it('allows only hook and secret in hook inputs', () => {
      const text = `${ECHO}on_success:
  - action: echo
    input: {a: "{{ hook.status }} {{ secret.KEY }}", b: "{{ build.output }}"}
secrets: {KEY: k}
`
      expect(lines({ 'a.yaml': text })).to.deep.equal([
        'a.yaml:7:57 on_success[0].input.b: template line 1, column 4: hook input may only reference hook.* and secret.*  [hook]',
      ])
    })
  })

  describe('secrets', () => {
    it('renders values once with get_env over the given environment, keeping groups', () => {
      const text = `secrets:
  DB: "{{ get_env(name='DB_PASS') }}"
  group: {inner: plain}
`
      const result = validate({ 'a.yaml': text }, { secretsEnv: { DB_PASS: 's3cret' } })
      expect(result.issues).to.deep.equal([])
      expect(result.secrets).to.deep.equal({ DB: 's3cret', group: { inner: 'plain' } })
    })

    it('reads now() from the given clock', () => {
      const text = `secrets:\n  STAMP: "{{ now(timestamp=true) }}"\n`
      const result = validate({ 'a.yaml': text })
      expect(result.issues).to.deep.equal([])
      expect(result.secrets).to.deep.equal({ STAMP: '1709618828' })
    })
  })

  describe('unsupported features', () => {
    it('makes a task unavailable when a step or hook runs an unsupported action', () => {
      const text = `${ECHO}  box: {type: pod, image: alpine}
tasks:
  a: {flow: {s: {action: box}}}
  b: {flow: {s: {action: echo}}, on_error: [{action: box}]}
  c: {flow: {s: {action: echo}}}
`
      const result = validate({ 'a.yaml': text })
      expect(result.issues.map((i) => i.severity)).to.deep.equal(['unsupported'])
      const reason = "action 'box' has type 'pod', which Weir does not support yet"
      expect(result.tasks.get('a')?.unavailable).to.equal(reason)
      expect(result.tasks.get('b')?.unavailable).to.equal(reason)
      expect(result.tasks.get('c')?.unavailable).to.equal(null)
      expect(result.actions.get('box')?.unsupported).to.equal(reason)
    })

    it('runs typescript (ts) actions and keeps go unsupported', () => {
      const text = `actions:
  a: {type: script, language: typescript, script: 'const n: number = 1'}
  b: {type: script, language: ts, source: tool.ts}
  c: {type: script, language: go, script: 'package main'}
tasks:
  t: {flow: {s: {action: a}, u: {action: b}}}
  g: {flow: {s: {action: c}}}
`
      const result = validate({ 'a.yaml': text }, { files: new Set(['tool.ts']) })
      expect(result.issues.map(formatIssue)).to.deep.equal([
        "a.yaml:4:31 actions.c.language: action 'c' uses language 'go', which Weir does not support yet  [unsupported]",
      ])
      const languageOf = (name: string) => {
        const action = result.actions.get(name)
        return action?.type === 'script' ? action.language : undefined
      }
      expect([languageOf('a'), languageOf('b')]).to.deep.equal(['typescript', 'typescript'])
      expect(result.tasks.get('t')?.unavailable).to.equal(null)
    })

    it('treats a declared connection type as unsupported and any other type as an error', () => {
      const text = `connection_types: {postgres: {}}
${ECHO}tasks:
  a: {input: {db: {type: postgres}}, flow: {s: {action: echo}}}
  b: {input: {n: {type: intger}}, flow: {s: {action: echo}}}
`
      const result = validate({ 'a.yaml': text })
      expect(result.issues.map(formatIssue)).to.deep.equal([
        'a.yaml:1:1 connection_types: connection_types are not supported yet (ignored)  [unsupported]',
        "a.yaml:7:26 tasks.a.input.db.type: input 'db' has connection type 'postgres', which Weir does not support yet  [unsupported]",
        "a.yaml:8:25 tasks.b.input.n.type: input 'n' has unknown type 'intger' (did you mean 'integer'?)  [input-type]",
      ])
      expect(result.tasks.get('a')?.unavailable).to.match(/connection type 'postgres'/)
    })
  })

  describe('composed workflows', () => {
    const COMPOSED = `${ECHO}  child: {type: task, task: build}
  gate:
    type: approval
    message: "Ship {{ input.version }}?"
    input: {reason: {type: text, required: true}}
tasks:
  build: {flow: {s: {action: echo}}}
  release:
    flow:
      sub: {action: child}
      approve: {action: gate, depends_on: [sub], input: {version: "1.0"}}
      fan:
        action: echo
        depends_on: [approve]
        for_each: [a, {b: 1}, [2]]
        sequential: true
    on_suspended: [{action: echo, input: {m: "{{ hook.step_name }}: {{ hook.message }}"}}]
on_suspended: [{action: child}]
`

    it('fills the task, message, loop and on_suspended fields', () => {
      const result = validate({ 'a.yaml': COMPOSED })
      expect(result.issues).to.deep.equal([])
      expect(result.actions.get('child')).to.include({ type: 'task', task: 'build', message: null })
      expect(result.actions.get('gate')).to.include({
        task: null,
        message: 'Ship {{ input.version }}?',
      })
      expect(result.actions.get('echo')).to.include({
        task: null,
        message: null,
        unsupported: null,
      })
      const flow = result.tasks.get('release')?.flow ?? []
      expect(flow.map((s) => [s.name, s.forEach, s.sequential])).to.deep.equal([
        ['sub', null, false],
        ['approve', null, false],
        ['fan', ['a', { b: 1 }, [2]], true],
      ])
      expect(result.tasks.get('release')?.unavailable).to.equal(null)
      expect(result.tasks.get('release')?.hooks.onSuspended.map((h) => h.input)).to.deep.equal([
        { m: '{{ hook.step_name }}: {{ hook.message }}' },
      ])
      expect(result.hooks.onSuspended.map((h) => h.action)).to.deep.equal(['child'])
    })

    it('keeps a for_each template as text', () => {
      const text = `${ECHO}tasks:
  t:
    flow:
      list: {action: echo}
      each-one: {action: echo, depends_on: [list], for_each: "{{ list.output.items }}"}
`
      const result = validate({ 'a.yaml': text })
      expect(result.issues).to.deep.equal([])
      expect(result.tasks.get('t')?.flow[1]?.forEach).to.equal('{{ list.output.items }}')
    })

    it('accepts 10000 literal for_each items and rejects 10001', () => {
      const loop = (n: number) =>
        `${ECHO}tasks:\n  t: {flow: {s: {action: echo, for_each: [${Array(n).fill(0).join(',')}]}}}\n`
      expect(validate({ 'a.yaml': loop(10000) }).tasks.get('t')?.flow[0]?.forEach).to.have.length(
        10000,
      )
      expect(lines({ 'a.yaml': loop(10001) })).to.deep.equal([
        'a.yaml:6:42 tasks.t.flow.s.for_each: for_each lists 10001 items; at most 10000 are allowed  [for-each]',
      ])
    })

    it('checks the fields of each and keeps it out of for_each', () => {
      const text = `${ECHO}tasks:
  t:
    flow:
      s: {action: echo, for_each: "{{ each.item }}", input: {a: "{{ each.itme }} {{ each }}"}}
`
      expect(
        lines({ 'a.yaml': text }).map((l) => l.replace(/^a\.yaml:\d+:\d+ /, '')),
      ).to.deep.equal([
        "tasks.t.flow.s.for_each: template line 1, column 4: 'each' is not available in for_each (it is what for_each defines)  [template-unknown-variable]",
        "tasks.t.flow.s.input.a: template line 1, column 4: 'each' has only item, index and total, not 'itme' (did you mean 'item'?)  [template-unknown-variable]",
      ])
    })

    it("checks an approval message against each step's own input and upstream steps", () => {
      const text = `${ECHO}  gate: {type: approval, message: "{{ input.version }} after {{ build.output }}"}
tasks:
  t:
    input: {version: {type: string}}
    flow:
      build: {action: echo}
      ok: {action: gate, depends_on: [build], input: {version: "{{ input.version }}"}}
      early: {action: gate, input: {versoin: x}}
`
      expect(
        lines({ 'a.yaml': text }).map((l) => l.replace(/^a\.yaml:\d+:\d+ /, '')),
      ).to.deep.equal([
        "actions.gate.message: template line 1, column 4: step 'early' sets no input 'version' (did you mean 'versoin'?)  [template-unknown-input]",
        "actions.gate.message: template line 1, column 30: references step 'build' which is not upstream of 'early'; add it to depends_on  [template-not-upstream]",
      ])
    })

    it('makes a task unavailable when a task it starts is', () => {
      const text = `${ECHO}  box: {type: pod, image: alpine}
  run-b: {type: task, task: b}
  run-c: {type: task, task: c}
tasks:
  a: {flow: {s: {action: run-b}}}
  b: {flow: {s: {action: run-c}}}
  c: {flow: {s: {action: box}}}
  d: {flow: {s: {action: echo}}, on_error: [{action: run-c}]}
`
      const result = validate({ 'a.yaml': text })
      const reason = "action 'box' has type 'pod', which Weir does not support yet"
      expect(result.tasks.get('c')?.unavailable).to.equal(reason)
      expect(result.tasks.get('b')?.unavailable).to.equal(
        `step 's' runs task 'c', which is unavailable: ${reason}`,
      )
      expect(result.tasks.get('a')?.unavailable).to.equal(
        `step 's' runs task 'b', which is unavailable: ${reason}`,
      )
      expect(result.tasks.get('d')?.unavailable).to.equal(
        `hook action 'run-c' runs task 'c', which is unavailable: ${reason}`,
      )
    })
  })

  describe('scalars where strings are expected', () => {
    it('uses the source text and warns', () => {
      const text = `${ECHO}    env: {PORT: 08080}
tasks:
  t:
    input: {size: {type: string, options: [1, 2.50]}}
    flow: {s: {action: echo}}
`
      const result = validate({ 'a.yaml': text })
      expect(result.actions.get('echo')?.env).to.deep.equal({ PORT: '08080' })
      expect(result.tasks.get('t')?.input[0]?.[1].options).to.deep.equal(['1', '2.50'])
      expect(result.issues.map((i) => i.code)).to.deep.equal([
        'scalar-as-string',
        'scalar-as-string',
        'scalar-as-string',
      ])
    })
  })

  describe('hostile input', () => {
    it('stops expanding aliases after a budget and says so once', () => {
      let text = 'x0: &a0 {v: "1"}\n'
      for (let i = 1; i < 8; i++) {
        const keys = Array.from({ length: 10 }, (_, j) => `k${j}: *a${i - 1}`).join(', ')
        text += `x${i}: &a${i} {${keys}}\n`
      }
      text += 'secrets:\n  big: *a7\n'
      const issues = validate({ 'a.yaml': text }).issues.filter((i) => i.code === 'yaml-syntax')
      expect(issues).to.have.length(1)
      expect(issues[0]?.message).to.match(/more than 1000 alias expansions/)
    })
  })

  describe('webhook triggers', () => {
    it('lets Weir-style inputs use webhook and secret, and warns when unsigned', () => {
      const text = `${ECHO}tasks:
  t: {flow: {s: {action: echo}}}
triggers:
  signed: {type: webhook, task: t, secret: "{{ secret.KEY }}", input: {a: "{{ webhook.body.a }}"}}
  bad: {type: webhook, task: t, secret: "{{ input.key }}", input: {a: "{{ hook.x }}"}}
  legacy: {type: webhook, name: legacy, task: t, input: {a: "{{ anything }}"}}
secrets: {KEY: k}
`
      expect(
        lines({ 'a.yaml': text }).map((l) => l.replace(/^a\.yaml:\d+:\d+ /, '')),
      ).to.deep.equal([
        "triggers.bad.secret: template line 1, column 4: 'input' is not available in a webhook secret (only secret)  [template-unknown-variable]",
        "triggers.bad.input.a: template line 1, column 4: 'hook' is not available in webhook trigger inputs (only webhook and secret)  [template-unknown-variable]",
        'triggers.legacy: webhook trigger has no secret, so requests are not authenticated  [trigger-field]',
      ])
    })
  })
})
