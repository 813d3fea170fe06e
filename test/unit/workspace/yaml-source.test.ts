import { expect } from 'chai'
import {
  ROOT_PATH,
  formatYamlPath,
  locatePath,
  nodeAtPath,
  parseYamlFile,
  sourceText,
} from '../../../src/workspace/yaml-source.ts'
import { formatIssue } from '../../../src/workspace/workspace.ts'

const HELLO = `tasks:
  hello-world:
    flow:
      shout-greeting:
        action: shout-txt
        depends_on: [build, "test"]
    on_error:
      - action: notify
`

describe('yaml source', () => {
  describe('formatYamlPath', () => {
    const cases: Array<[ReadonlyArray<string | number>, string]> = [
      [[], ROOT_PATH],
      [['tasks', 'hello-world', 'flow'], 'tasks.hello-world.flow'],
      [['tasks', 'crash', 'on_error', 0, 'action'], 'tasks.crash.on_error[0].action'],
      [['tasks', 't', 'flow', 'odd.name'], 'tasks.t.flow["odd.name"]'],
      [['secrets', 'with space'], 'secrets["with space"]'],
      [['tasks', 't', 'flow', 'a[0]', 'action'], 'tasks.t.flow["a[0]"].action'],
      [['a.b'], '["a.b"]'],
      [['depends_on', 1], 'depends_on[1]'],
    ]
    for (const [path, text] of cases) {
      it(`formats ${JSON.stringify(path)} as ${text}`, () => {
        expect(formatYamlPath(path)).to.equal(text)
      })
    }
  })

  describe('locatePath', () => {
    const src = parseYamlFile('.workflows/hello.yaml', HELLO)

    it('points at the value of a key', () => {
      const at = locatePath(src, ['tasks', 'hello-world', 'flow', 'shout-greeting', 'action'])
      expect(at).to.deep.equal({
        file: '.workflows/hello.yaml',
        line: 5,
        column: 17,
        path: 'tasks.hello-world.flow.shout-greeting.action',
      })
    })

    it('points at list items, quoted or not', () => {
      const base = ['tasks', 'hello-world', 'flow', 'shout-greeting', 'depends_on']
      expect(locatePath(src, [...base, 0])).to.include({ line: 6, column: 22 })
      expect(locatePath(src, [...base, 1])).to.include({ line: 6, column: 29 })
      expect(locatePath(src, ['tasks', 'hello-world', 'on_error', 0, 'action'])).to.include({
        line: 8,
        column: 17,
        path: 'tasks.hello-world.on_error[0].action',
      })
    })

    it('returns undefined for a path that does not exist', () => {
      expect(locatePath(src, ['tasks', 'nope'])).to.equal(undefined)
      expect(locatePath(src, ['tasks', 'hello-world', 'flow', 3])).to.equal(undefined)
    })

    it('follows aliases', () => {
      const aliased = parseYamlFile('a.yaml', 'base: &b {x: 1}\ncopy: *b\n')
      expect(locatePath(aliased, ['copy', 'x'])).to.include({ line: 1, column: 14 })
    })
  })

  describe('parseYamlFile', () => {
    it('reports a syntax error with its line, column and the path around it', () => {
      const src = parseYamlFile(
        'x.yaml',
        'tasks:\n  t:\n    flow:\n      s:\n        action: a: b\n',
      )
      expect(src.usable).to.equal(false)
      expect(src.issues.map(formatIssue)).to.deep.equal([
        'x.yaml:5:17 tasks.t.flow.s.action.a: invalid YAML: nested mappings are not allowed in compact mappings  [yaml-syntax]',
      ])
    })

    it('reports a repeated key at the repetition but keeps the document usable', () => {
      const src = parseYamlFile('x.yaml', 'tasks:\n  t:\n    flow: {}\n    flow: {}\n')
      expect(src.usable).to.equal(true)
      expect(src.issues.map(formatIssue)).to.deep.equal([
        "x.yaml:4:5 tasks.t.flow: key 'flow' appears twice in this mapping  [yaml-duplicate-key]",
      ])
    })

    it('uses the YAML 1.2 core schema: only true/false are booleans', () => {
      const src = parseYamlFile('x.yaml', 'a: yes\nb: on\nc: true\nd: 0x1F\ne: ~\n')
      expect(src.doc.toJS()).to.deep.equal({ a: 'yes', b: 'on', c: true, d: 31, e: null })
    })

    it('keeps the source text of scalars for scalar-as-string', () => {
      const src = parseYamlFile('x.yaml', 'port: 0x1F\nversion: 1.10\n')
      expect(sourceText(src, nodeAtPath(src, ['port'])!)).to.equal('0x1F')
      expect(sourceText(src, nodeAtPath(src, ['version'])!)).to.equal('1.10')
    })

    it('does not expand merge keys', () => {
      const src = parseYamlFile('x.yaml', 'base: &b {x: 1}\ncopy:\n  <<: *b\n')
      expect(src.issues).to.deep.equal([])
      expect(nodeAtPath(src, ['copy', 'x'])).to.equal(undefined)
      expect(nodeAtPath(src, ['copy', '<<'])).to.not.equal(undefined)
    })

    it('rejects a file with several documents', () => {
      const src = parseYamlFile('x.yaml', 'a: 1\n---\nb: 2\n')
      expect(src.usable).to.equal(false)
      expect(src.issues[0]).to.include({ code: 'yaml-syntax', line: 2, column: 1 })
    })
  })
})
