import { expect } from 'chai'
import {
  loadWorkerConfig,
  WorkerConfigError,
  type WorkerConfigInput,
} from '../../../src/config/worker-config.ts'

function load(
  argv: string[],
  env: Record<string, string> = {},
  over: Partial<WorkerConfigInput> = {},
) {
  return loadWorkerConfig({
    argv,
    env,
    cwd: '/srv',
    hostname: 'build-01',
    homeDir: '/home/w',
    ...over,
  })
}

function issuesOf(argv: string[], env: Record<string, string> = {}): ReadonlyArray<string> {
  try {
    load(argv, env)
  } catch (e) {
    if (e instanceof WorkerConfigError) return e.issues
    throw e
  }
  throw new Error('expected a WorkerConfigError')
}

const REQUIRED = ['--server', 'http://weir:8080/', '--token', 'tok-12345678']

describe('weir worker settings (loadWorkerConfig)', () => {
  it('applies the defaults: host name, 4 slots, script (+ docker if found), ~/.weir-worker, 25 s grace', () => {
    expect(load(REQUIRED)).to.deep.equal({
      server: 'http://weir:8080',
      token: 'tok-12345678',
      name: 'build-01',
      concurrency: 4,
      tags: [],
      capabilities: ['script'],
      detectDocker: true,
      docker: { host: 'unix:///var/run/docker.sock', runnerImage: 'alpine:latest', network: null },
      stateDir: '/home/w/.weir-worker',
      workspaceDirs: {},
      cacheDir: '/home/w/.weir-worker/cache/build-01',
      keepRevisions: 3,
      graceSecs: 25,
      logLevel: 'info',
    })
  })

  it('reads every setting from WEIR_WORKER__* variables', () => {
    const c = load([], {
      WEIR_WORKER__SERVER: 'https://weir.example/base',
      WEIR_WORKER__TOKEN: 'env-token',
      WEIR_WORKER__NAME: 'gpu_1',
      WEIR_WORKER__CONCURRENCY: '8',
      WEIR_WORKER__TAGS: 'linux, gpu ,linux',
      WEIR_WORKER__CAPABILITIES: 'script',
      WEIR_WORKER__STATE_DIR: 'state',
      WEIR_WORKER__WORKSPACES: 'default=ws/default,ops=/abs/ops',
      WEIR_WORKER__GRACE_SECS: '0',
      WEIR_WORKER__LOG_LEVEL: 'debug',
      WEIR_WORKER__DOCKER_HOST: 'tcp://engine:2375',
      WEIR_WORKER__RUNNER_IMAGE: 'busybox:1',
      WEIR_WORKER__DOCKER_NETWORK: 'none',
      WEIR_WORKER__CACHE_DIR: 'files',
      WEIR_WORKER__KEEP_REVISIONS: '5',
    })
    expect(c).to.deep.equal({
      server: 'https://weir.example/base',
      token: 'env-token',
      name: 'gpu_1',
      concurrency: 8,
      tags: ['linux', 'gpu'],
      capabilities: ['script'],
      detectDocker: false,
      docker: { host: 'tcp://engine:2375', runnerImage: 'busybox:1', network: 'none' },
      stateDir: '/srv/state',
      workspaceDirs: { default: '/srv/ws/default', ops: '/abs/ops' },
      cacheDir: '/srv/files',
      keepRevisions: 5,
      graceSecs: 0,
      logLevel: 'debug',
    })
  })

  it('lets flags win over the environment', () => {
    const c = load(['--name', 'flag-name', '--concurrency', '2', ...REQUIRED], {
      WEIR_WORKER__NAME: 'env-name',
      WEIR_WORKER__CONCURRENCY: '9',
      WEIR_WORKER__SERVER: 'http://other:1',
    })
    expect(c).to.include({ name: 'flag-name', concurrency: 2, server: 'http://weir:8080' })
  })

  it('takes --workspace-dir more than once', () => {
    const c = load([...REQUIRED, '--workspace-dir', 'a=/x', '--workspace-dir', 'b=rel'])
    expect(c!.workspaceDirs).to.deep.equal({ a: '/x', b: '/srv/rel' })
  })

  it('keeps fetched revisions under the state folder by default, per worker name', () => {
    const c = load([...REQUIRED, '--state-dir', '/var/weir', '--name', 'w2'])
    expect(c).to.include({ cacheDir: '/var/weir/cache/w2', keepRevisions: 3 })
    const d = load([...REQUIRED, '--cache-dir', 'c', '--keep-revisions', '1'])
    expect(d).to.include({ cacheDir: '/srv/c', keepRevisions: 1 })
  })

  it('refuses a --keep-revisions outside 1-100', () => {
    expect(() => load([...REQUIRED, '--keep-revisions', '0'])).to.throw(
      "--keep-revisions: '0' must be an integer from 1 to 100",
    )
  })

  it('returns null for --help', () => {
    expect(load(['--help'])).to.equal(null)
  })

  it('reports every problem at once, naming the flag or variable', () => {
    expect(
      issuesOf(
        ['--concurrency', '0', '--tags', 'a b', '--name', 'bad name', '--workspace-dir', 'nodir'],
        { WEIR_WORKER__GRACE_SECS: 'soon', WEIR_WORKER__CAPABILITIES: 'docker,gpu' },
      ),
    ).to.deep.equal([
      '--server (or WEIR_WORKER__SERVER) is required, e.g. http://weir:8080',
      '--token (or WEIR_WORKER__TOKEN) is required',
      "--name: 'bad name' must match [A-Za-z0-9_.-]{1,64}",
      "--concurrency: '0' must be an integer from 1 to 64",
      "WEIR_WORKER__GRACE_SECS: 'soon' must be an integer from 0 to 3600",
      "--tags: 'a b' is not a tag",
      "WEIR_WORKER__CAPABILITIES: 'gpu' is not a capability this worker has (script, docker)",
      "--workspace-dir: 'nodir' must be WORKSPACE=FOLDER, e.g. default=/srv/weir/workspace",
    ])
  })

  it('rejects a server that is not an http(s) URL, and unknown flags', () => {
    expect(issuesOf(['--server', 'weir:8080', '--token', 't'])).to.deep.equal([
      "--server: 'weir:8080' must be an http:// or https:// URL",
    ])
    expect(issuesOf(['--server', 'not a url', '--token', 't'])).to.deep.equal([
      "--server: 'not a url' is not a URL (e.g. http://weir:8080)",
    ])
    expect(issuesOf(['--bogus'])[0]).to.match(/Unknown option '--bogus'/)
  })

  it('takes the Docker host from the flag, else DOCKER_HOST, and names a bad one', () => {
    const env = { DOCKER_HOST: 'unix:///run/user/docker.sock' }
    expect(load(REQUIRED, env)!.docker.host).to.equal('unix:///run/user/docker.sock')
    expect(load([...REQUIRED, '--docker-host', 'tcp://e:1'], env)!.docker.host).to.equal(
      'tcp://e:1',
    )
    expect(load([...REQUIRED, '--capabilities', 'script,docker'])).to.include({
      detectDocker: false,
    })
    expect(issuesOf([...REQUIRED, '--docker-host', 'docker.sock'])).to.deep.equal([
      "--docker-host: 'docker.sock' is not a Docker host address (expected unix:///path/to/docker.sock or tcp://host:port)",
    ])
  })

  it('makes a worker name out of any host name', () => {
    expect(load(REQUIRED, {}, { hostname: 'host with spaces' })!.name).to.equal('host-with-spaces')
  })

  it('rejects a workspace given twice', () => {
    expect(
      issuesOf([...REQUIRED, '--workspace-dir', 'a=/x', '--workspace-dir', 'a=/y']),
    ).to.deep.equal(["--workspace-dir: workspace 'a' is given twice"])
  })
})
