import { expect } from 'chai'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import {
  ConfigError,
  isLoopbackListen,
  loadConfig,
  redactConfig,
} from '../../../src/config/load-config.ts'

const ROOT = resolve(import.meta.dirname, '../../..')

function configIn(yaml: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'weir-config-'))
  writeFileSync(join(dir, 'server-config.yaml'), yaml)
  return dir
}

function issuesOf(fn: () => unknown): ReadonlyArray<string> {
  try {
    fn()
  } catch (e) {
    if (e instanceof ConfigError) return e.issues
    throw e
  }
  throw new Error('expected a ConfigError')
}

describe('loadConfig', () => {
  it('parses the committed server-config.yaml and it matches the defaults', () => {
    const { config, warnings } = loadConfig({ env: {}, cwd: ROOT })
    expect(warnings).to.deep.equal([])
    const defaults = loadConfig({ env: {}, cwd: mkdtempSync(join(tmpdir(), 'weir-empty-')) }).config
    expect(config.listen).to.equal(defaults.listen)
    expect(config.embedded_worker).to.deep.equal(defaults.embedded_worker)
    expect(config.scheduler).to.deep.equal(defaults.scheduler)
    expect(config.workers).to.deep.equal(defaults.workers)
    expect(config.docker).to.deep.equal(defaults.docker)
    expect(config.workspaces.default).to.deep.equal({
      type: 'folder',
      path: join(ROOT, 'workspaces/default'),
    })
    expect(config.db.url).to.equal(undefined)
    expect(config.db.data_dir).to.equal(join(ROOT, '.weir/pgdata'))
  })

  it('listens on loopback by default without auth, on every interface with it', () => {
    const open = loadConfig({ env: {}, cwd: configIn('log_level: info\n') }).config
    expect(open.listen).to.equal('127.0.0.1:8080')
    const secured = loadConfig({
      env: {},
      cwd: configIn('auth: { jwt_secret: a-secret-of-sixteen-chars }\n'),
    }).config
    expect(secured.listen).to.equal('0.0.0.0:8080')
    const told = loadConfig({ env: { WEIR__LISTEN: '0.0.0.0:9000' }, cwd: configIn('') }).config
    expect(told.listen).to.equal('0.0.0.0:9000')
  })

  it('tells loopback addresses from the others', () => {
    for (const l of ['127.0.0.1:8080', '127.0.0.2:1', 'localhost:80', '[::1]:8080'])
      expect(isLoopbackListen(l), l).to.equal(true)
    for (const l of ['0.0.0.0:8080', ':8080', '[::]:8080', '10.0.0.5:8080', 'example.com:80'])
      expect(isLoopbackListen(l), l).to.equal(false)
  })

  it('takes log_format auto, json or pretty (auto by default)', () => {
    expect(loadConfig({ env: {}, cwd: configIn('') }).config.log_format).to.equal('auto')
    const json = loadConfig({ env: { WEIR__LOG_FORMAT: 'json' }, cwd: configIn('') }).config
    expect(json.log_format).to.equal('json')
    expect(
      issuesOf(() => loadConfig({ env: {}, cwd: configIn('log_format: xml\n') })),
    ).to.have.length(1)
  })

  it('resolves relative paths against the config file folder', () => {
    const dir = configIn(
      'workspaces:\n  ops: { type: folder, path: ./ops }\nlog_storage: { local_dir: logs }\n',
    )
    const { config } = loadConfig({
      env: {},
      cwd: '/',
      configPath: join(dir, 'server-config.yaml'),
    })
    expect(config.workspaces.ops!.path).to.equal(join(dir, 'ops'))
    expect(config.log_storage.local_dir).to.equal(join(dir, 'logs'))
    expect(config.configFile).to.equal(join(dir, 'server-config.yaml'))
  })

  it('lets WEIR__A__B variables and DATABASE_URL override the file, typed', () => {
    const dir = configIn('listen: "0.0.0.0:8080"\n')
    const { config } = loadConfig({
      env: {
        WEIR__LISTEN: '127.0.0.1:9000',
        WEIR__EMBEDDED_WORKER__CONCURRENCY: '8',
        WEIR__EMBEDDED_WORKER__ENABLED: 'false',
        DATABASE_URL: 'postgres://u@h/db',
      },
      cwd: dir,
    })
    expect(config.listen).to.equal('127.0.0.1:9000')
    expect(config.embedded_worker).to.include({ concurrency: 8, enabled: false })
    expect(config.db.url).to.equal('postgres://u@h/db')
  })

  it('reports every problem at once with its key path and source', () => {
    const dir = configIn(
      'listen: nope\ndb: { pool_size: 0, ulr: x }\nscheduler: { catch_up: sometimes }\nworkspaces:\n  "bad name": { type: folder, path: x }\n  ok: { type: folder }\n',
    )
    const issues = issuesOf(() =>
      loadConfig({ env: { WEIR__EMBEDDED_WORKER__CONCURRENCY: 'many' }, cwd: dir }),
    )
    const text = issues.join('\n')
    expect(text).to.match(/^listen: expected host:port/m)
    expect(text).to.match(/^db\.pool_size: .*\(in .*server-config\.yaml\)/m)
    expect(text).to.match(/^db: .*ulr/m)
    expect(text).to.match(/^scheduler\.catch_up: /m)
    expect(text).to.match(/^workspaces\.bad name: /m)
    expect(text).to.match(
      /^embedded_worker\.concurrency: .*\(from env WEIR__EMBEDDED_WORKER__CONCURRENCY\)/m,
    )
    expect(issues.length).to.be.at.least(6)
  })

  it('reports a missing path of a folder workspace after the shape checks pass', () => {
    const dir = configIn('workspaces:\n  ok: { type: folder }\n')
    expect(issuesOf(() => loadConfig({ env: {}, cwd: dir }))).to.deep.equal([
      'workspaces.ok.path: a folder workspace needs a path',
    ])
  })

  it('gives the line and column of malformed YAML', () => {
    const dir = configIn('listen: "a\n  db: [\n')
    const [issue] = issuesOf(() => loadConfig({ env: {}, cwd: dir }))
    expect(issue).to.match(/server-config\.yaml:\d+:\d+: invalid YAML/)
  })

  it('refuses DATABASE_URL and WEIR__DB__URL that disagree', () => {
    const issues = issuesOf(() =>
      loadConfig({
        env: { DATABASE_URL: 'postgres://a/b', WEIR__DB__URL: 'postgres://c/d' },
        cwd: tmpdir(),
      }),
    )
    expect(issues[0]).to.match(/DATABASE_URL and WEIR__DB__URL are both set and differ/)
  })

  it('fails on an explicit config file that does not exist', () => {
    const issues = issuesOf(() =>
      loadConfig({ env: { WEIR_CONFIG: '/nonexistent/weir.yaml' }, cwd: tmpdir() }),
    )
    expect(issues).to.deep.equal(['config file /nonexistent/weir.yaml does not exist'])
  })

  it('warns about unknown top-level sections instead of failing', () => {
    const dir = configIn('telemetry: { endpoint: x }\n')
    expect(loadConfig({ env: {}, cwd: dir }).warnings).to.deep.equal([
      'telemetry: unknown configuration section (ignored)',
    ])
  })

  it('takes the Docker host from the config, else DOCKER_HOST, else the standard socket', () => {
    const empty = mkdtempSync(join(tmpdir(), 'weir-empty-'))
    expect(loadConfig({ env: {}, cwd: empty }).config.docker.host).to.equal(
      'unix:///var/run/docker.sock',
    )
    const env = { DOCKER_HOST: 'tcp://127.0.0.1:2375' }
    expect(loadConfig({ env, cwd: empty }).config.docker.host).to.equal('tcp://127.0.0.1:2375')
    const dir = configIn('docker: { host: "unix:///run/other.sock", network: none }\n')
    const { config } = loadConfig({ env, cwd: dir })
    expect(config.docker).to.include({ host: 'unix:///run/other.sock', network: 'none' })
  })

  it('names a Docker host it cannot use and where it came from', () => {
    const issues = issuesOf(() =>
      loadConfig({ env: { DOCKER_HOST: 'ssh://me@box' }, cwd: tmpdir() }),
    )
    expect(issues).to.deep.equal([
      "docker.host: 'ssh://me@box' is not a Docker host address (expected unix:///path/to/docker.sock or tcp://host:port) (from env DOCKER_HOST)",
    ])
  })

  it('redacts secrets in a printable copy', () => {
    const dir = configIn(
      'worker_token: supersecret-token\ndb: { url: "postgres://user:pw@host/db" }\n',
    )
    const text = JSON.stringify(redactConfig(loadConfig({ env: {}, cwd: dir }).config))
    expect(text).to.not.include('supersecret-token')
    expect(text).to.not.include(':pw@')
  })
})
