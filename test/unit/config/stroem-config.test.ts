import { expect } from 'chai'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ConfigError, loadConfig } from '../../../src/config/load-config.ts'
import { adoptStroemKeys } from '../../../src/config/stroem-keys.ts'

function load(yaml: string, env: Record<string, string> = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'weir-stroem-config-'))
  writeFileSync(join(dir, 'server-config.yaml'), yaml)
  return loadConfig({ env, cwd: dir })
}

function issuesOf(yaml: string): ReadonlyArray<string> {
  try {
    load(yaml)
  } catch (e) {
    if (e instanceof ConfigError) return e.issues.map((i) => i.replace(/ \(in .*\)$/, ''))
    throw e
  }
  throw new Error('expected a ConfigError')
}

/** Every key of Strøm's server-config.yaml (STROEM-REFERENCE.md §11.2). */
const STROEM_CONFIG = `
listen: "0.0.0.0:8080"
db: { url: "postgres://stroem:pw@db:5432/stroem" }
log_storage:
  local_dir: logs
  archive: { type: s3, bucket: b, region: eu-west-1, prefix: "logs/" }
  s3: { bucket: old, region: eu-west-1 }
workspaces:
  default: { type: folder, path: ./ws }
  ops: { type: git, url: "https://git.example/ops.git", ref: main, poll_interval_secs: 60, auth: gh }
libraries:
  common: { type: git, url: "https://git.example/lib.git", auth: gh }
git_auth:
  gh: { type: token, token: t0ken }
worker_token: "0123456789abcdef0123456789abcdef"
auth:
  jwt_secret: "jwt-secret-jwt-secret-jwt-secret-1"
  refresh_secret: "refresh-secret-refresh-secret-123"
  base_url: "https://stroem.example"
  providers:
    google: { provider_type: oidc, display_name: Google, issuer_url: "https://accounts.google.com", client_id: c, client_secret: s }
  initial_user: { email: admin@example.com, password: admin }
recovery: { heartbeat_timeout_secs: 90, sweep_interval_secs: 30, unmatched_step_timeout_secs: 45 }
retention: { worker_hours: 48, job_days: 14, interval_secs: 600 }
acl:
  default: deny
  rules: [{ workspace: "*", tasks: ["*"], action: run, groups: [ops] }]
mcp: { enabled: true, allowed_hosts: [], allowed_origins: [] }
metrics: { public: true, token: metrics-token }
agents:
  providers:
    claude: { type: anthropic, api_key: k, model: m }
state_storage: { prefix: "state/", max_snapshots: 3, global_max_snapshots: 4 }
artifact_storage:
  max_file_bytes: 1000
  max_job_bytes: 5000
  prefix: "artifacts/"
  archive: { type: local, path: ./files }
default_step_timeout: 30m
default_job_timeout: 2h
`

describe("Strøm's server-config.yaml", () => {
  it('loads with every key used or ignored with exactly one warning naming it', () => {
    const { config, warnings } = load(STROEM_CONFIG)
    expect(warnings).to.deep.equal([
      'acl: Strøm setting ignored by Weir (access is by role (admin, member, viewer), with no per-workspace rules)',
      'mcp: Strøm setting ignored by Weir (there is no MCP endpoint)',
      'agents: Strøm setting ignored by Weir (there are no agent steps)',
      'auth.base_url: Strøm setting ignored by Weir (there is no OIDC login and no CORS to restrict)',
      'auth.providers: Strøm setting ignored by Weir (only password login and API keys are supported)',
      'log_storage.archive: Strøm setting ignored by Weir (job logs stay in log_storage.local_dir until retention deletes them)',
      'log_storage.s3: Strøm setting ignored by Weir (job logs stay in log_storage.local_dir until retention deletes them)',
      'recovery.sweep_interval_secs: Strøm setting ignored by Weir (expired leases and lost workers are swept every second)',
      'recovery.unmatched_step_timeout_secs: Strøm setting ignored by Weir (a step no worker can take waits, bounded by its job timeout)',
      "auth.initial_user.password: shorter than 8 characters; the initial admin 'admin@example.com' is easy to guess: change its password after the first login (passwords set through the API or the CLI need 8 or more)",
    ])
    expect(config.workers.lost_after_secs).to.equal(90)
    expect(config.defaults).to.deep.equal({ step_timeout_secs: 1800, job_timeout_secs: 7200 })
    expect(config.metrics).to.deep.equal({ public: true, token: 'metrics-token' })
    expect(config.retention).to.include({ worker_hours: 48, job_days: 14, interval_secs: 600 })
    expect(config.state_storage).to.include({ max_snapshots: 3, global_max_snapshots: 4 })
    expect(config.artifact_storage).to.include({ max_file_bytes: 1000, max_job_bytes: 5000 })
    expect(config.auth?.initial_user).to.deep.equal({
      email: 'admin@example.com',
      password: 'admin',
    })
    expect(config.workspaces.ops).to.include({ type: 'git', auth: 'gh' })
    expect(config.libraries.common).to.include({ type: 'git', auth: 'gh' })
  })

  it('keeps Weir defaults where the Strøm keys are absent', () => {
    const { config, warnings } = load('listen: "127.0.0.1:8080"\n')
    expect(warnings).to.deep.equal([])
    expect(config.workers.lost_after_secs).to.equal(10)
    expect(config.defaults.step_timeout_secs).to.equal(3600)
    expect(config.metrics.public).to.equal(false)
  })

  it("lets Weir's environment variables win over a moved Strøm key", () => {
    const { config } = load('default_step_timeout: 30m\n', {
      WEIR__DEFAULTS__STEP_TIMEOUT_SECS: '60',
    })
    expect(config.defaults.step_timeout_secs).to.equal(60)
  })

  it('refuses a Strøm key and its Weir equivalent set together, and bad Strøm values', () => {
    expect(
      issuesOf(
        'recovery: { heartbeat_timeout_secs: 5, sweep: 1 }\n' +
          'default_step_timeout: 25h\ndefault_job_timeout: 1h\ndefaults: { job_timeout_secs: 60 }\n',
      ),
    ).to.deep.equal([
      'recovery.sweep: unknown key',
      'recovery.heartbeat_timeout_secs: expected an integer from 10 to 3600, got 5',
      'default_step_timeout: expected a duration from 1s to 86400s, got 90000s',
      'default_job_timeout: defaults.job_timeout_secs is also set; set only one',
    ])
    expect(issuesOf('default_step_timeout: soon\n')).to.deep.equal([
      'default_step_timeout: expected a duration such as 30m or 1h30m, got "soon"',
    ])
  })

  it('still refuses keys that are neither Weir’s nor Strøm’s, naming their path', () => {
    const issues = issuesOf(
      'auth: { jwt_secret: a-secret-of-sixteen-chars, base_urll: x }\n' +
        'log_storage: { local_dir: logs, archve: {} }\nmetrics: { pubic: true }\n',
    )
    expect(issues).to.have.length(3)
    expect(issues[0]).to.match(/^log_storage: Unrecognized key: "archve"/)
    expect(issues[1]).to.match(/^metrics: Unrecognized key: "pubic"/)
    expect(issues[2]).to.match(/^auth: Unrecognized key: "base_urll"/)
  })

  it('drops an S3 archive of artifacts or state with a warning, and S3 keys of a local one', () => {
    const tree: Record<string, unknown> = {
      artifact_storage: { archive: { type: 's3', bucket: 'b' } },
      state_storage: { archive: { type: 'local', path: 'st', prefix: 'p/', bucket: 'b' } },
    }
    expect(adoptStroemKeys(tree)).to.deep.equal({
      issues: [],
      warnings: [
        'artifact_storage.archive: Strøm setting ignored by Weir (only local archives are supported; using the local folder .weir)',
        'state_storage.archive.bucket: Strøm setting ignored by Weir (a local archive uses only path)',
        'state_storage.archive.prefix: Strøm setting ignored by Weir (a local archive uses only path)',
      ],
    })
    expect(tree).to.deep.equal({
      artifact_storage: {},
      state_storage: { archive: { type: 'local', path: 'st' } },
    })
  })

  it('accepts a short initial password only from the file, with a warning', () => {
    const { warnings } = load(
      'auth: { jwt_secret: a-secret-of-sixteen-chars, initial_user: { email: a@b.co, password: "12345678" } }\n',
    )
    expect(warnings).to.deep.equal([])
    expect(
      issuesOf(
        'auth: { jwt_secret: a-secret-of-sixteen-chars, initial_user: { email: a@b.co, password: "" } }\n',
      ),
    ).to.have.length(1)
  })
})
