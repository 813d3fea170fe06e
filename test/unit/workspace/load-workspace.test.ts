import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { expect } from 'chai'
import { computeRevision, loadWorkspace } from '../../../src/workspace/load-workspace.ts'
import { revisionOf } from '../../../src/workspace/revision.ts'
import type { Workspace } from '../../../src/workspace/workspace.ts'

const EXAMPLE = fileURLToPath(new URL('../../fixtures/workspaces/valid-example/', import.meta.url))

async function loadExample(): Promise<Workspace> {
  const result = await loadWorkspace('default', EXAMPLE)
  if (!result.ok) throw new Error(`example failed to load: ${JSON.stringify(result.issues)}`)
  return result.workspace
}

describe('loadWorkspace', () => {
  describe('the example workspace', () => {
    it('loads without any diagnostic', async () => {
      const ws = await loadExample()
      expect(ws.issues).to.deep.equal([])
      expect(ws.name).to.equal('default')
      expect(ws.root).to.equal(EXAMPLE)
    })

    it('has its 7 tasks, 18 named + 1 inline actions and 2 triggers', async () => {
      const ws = await loadExample()
      expect([...ws.tasks.keys()].sort()).to.deep.equal([
        'build-pipeline',
        'crash-with-hook',
        'deploy-service',
        'heartbeat',
        'hello-world',
        'slow-countdown',
        'tolerate-failure',
      ])
      expect(ws.actions.size).to.equal(19)
      expect([...ws.actions.keys()].filter((k) => k.startsWith('_inline:'))).to.deep.equal([
        '_inline:tolerate-failure:strict-follow-up',
      ])
      expect([...ws.triggers.keys()].sort()).to.deep.equal(['heartbeat-every-10s', 'nightly-hello'])
    })

    it('keeps what the API echoes: declared inputs and step keys, unrendered', async () => {
      const hello = (await loadExample()).tasks.get('hello-world')!
      expect(hello.declaredInput).to.deep.equal({
        name: { type: 'string', description: 'Who should be greeted', default: 'World' },
      })
      expect(hello.flow.map((s) => s.declared)).to.deep.equal([
        { action: 'compose-greeting', input: { name: '{{ input.name }}' } },
        {
          action: 'shout-text',
          depends_on: ['build-greeting'],
          input: { text: '{{ build_greeting.output.greeting }}' },
        },
      ])
      expect(hello.folder).to.equal(null)
      expect(hello.declaresInput).to.equal(true)
    })

    it('reads typed inputs, durations, retries, hooks and triggers', async () => {
      const ws = await loadExample()
      const deploy = ws.tasks.get('deploy-service')!
      expect(deploy.input.map(([n, f]) => [n, f.type, f.default])).to.deep.equal([
        ['service', 'string', undefined],
        ['environment', 'string', 'dev'],
        ['replicas', 'integer', 2],
        ['cpu', 'number', 0.5],
        ['dry_run', 'boolean', true],
        ['note', 'text', undefined],
      ])
      expect(ws.tasks.get('build-pipeline')!.timeoutSecs).to.equal(600)
      const probe = ws.tasks.get('tolerate-failure')!.flow[0]!
      expect(probe.retry).to.deep.equal({
        maxAttempts: 2,
        delaySecs: 1,
        backoff: 'fixed',
        jitter: false,
      })
      expect(ws.tasks.get('crash-with-hook')!.hooks.onError.map((h) => h.action)).to.deep.equal([
        'print-hook-context',
      ])
      const nightly = ws.triggers.get('nightly-hello')!
      expect(nightly).to.include({
        type: 'scheduler',
        cron: '30 2 * * *',
        timezone: 'Europe/Copenhagen',
        concurrency: 'skip',
        enabled: false,
      })
      expect(ws.actions.get('summarize-run')!).to.include({
        source: 'scripts/summarize.py',
        language: 'python',
      })
    })

    it('is deep-frozen, maps included', async () => {
      const ws = await loadExample()
      expect(Object.isFrozen(ws)).to.equal(true)
      const task = ws.tasks.get('hello-world')!
      expect(Object.isFrozen(task)).to.equal(true)
      expect(Object.isFrozen(task.flow)).to.equal(true)
      expect(Object.isFrozen(task.flow[0]!.input)).to.equal(true)
      expect(Object.isFrozen(task.input[0]![1])).to.equal(true)
      expect(Object.isFrozen(ws.secrets)).to.equal(true)
      expect(() => (ws.tasks as Map<string, unknown>).set('x', {})).to.throw(TypeError)
      expect(() => (ws.actions as Map<string, unknown>).delete('tick')).to.throw(TypeError)
      expect(ws.tasks.size).to.equal(7)
    })

    it('uses the content revision of the whole folder', async () => {
      const ws = await loadExample()
      expect(ws.revision).to.match(/^[0-9a-f]{12}$/)
      expect(await computeRevision(EXAMPLE)).to.equal(ws.revision)
    })
  })

  describe('revisions', () => {
    let dir: string

    beforeEach(async () => {
      dir = await mkdtemp(join(tmpdir(), 'weir-revision-'))
      await mkdir(join(dir, '.workflows'))
      await writeFile(join(dir, '.workflows', 'a.yaml'), 'tasks: {}\n')
    })

    afterEach(async () => {
      await rm(dir, { recursive: true, force: true })
    })

    it('changes with any file under the root but ignores .git', async () => {
      const first = await computeRevision(dir)
      await mkdir(join(dir, '.git'))
      await writeFile(join(dir, '.git', 'HEAD'), 'ref: refs/heads/main\n')
      expect(await computeRevision(dir)).to.equal(first)
      await writeFile(join(dir, 'data.txt'), 'x')
      expect(await computeRevision(dir)).to.not.equal(first)
    })

    it('frames paths and contents so moved bytes change the hash', () => {
      const enc = (s: string) => new TextEncoder().encode(s)
      const a = revisionOf([{ path: 'ab', content: enc('c') }])
      const b = revisionOf([{ path: 'a', content: enc('bc') }])
      expect(a).to.not.equal(b)
      const order1 = revisionOf([
        { path: 'x', content: enc('1') },
        { path: 'y', content: enc('2') },
      ])
      const order2 = revisionOf([
        { path: 'y', content: enc('2') },
        { path: 'x', content: enc('1') },
      ])
      expect(order1).to.equal(order2)
    })

    it('skips SOPS files with a warning and reports a missing root', async () => {
      await writeFile(join(dir, '.workflows', 'keys.sops.yaml'), 'secrets: {}\n')
      const result = await loadWorkspace('w', dir)
      expect(result.ok && result.workspace.issues.map((i) => [i.file, i.code])).to.deep.equal([
        ['.workflows/keys.sops.yaml', 'unsupported'],
      ])
      const missing = await loadWorkspace('w', join(dir, 'nope'))
      expect(missing.ok).to.equal(false)
      expect(!missing.ok && missing.revision).to.equal(null)
      expect(!missing.ok && missing.issues[0]?.code).to.equal('workspace-root')
    })
  })
})
