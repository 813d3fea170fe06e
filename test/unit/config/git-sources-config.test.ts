import { expect } from 'chai'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ConfigError, loadConfig, redactConfig } from '../../../src/config/load-config.ts'

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

const GOOD = `
workspaces:
  app: { type: git, url: "https://git.example/app.git", auth: forge }
  ops: { type: git, url: "git@git.example:ops.git", ref: release, poll_interval_secs: 15, auth: { type: ssh_key, key_path: keys/ops } }
  local: { type: folder, path: ws/local }
libraries:
  common: { type: folder, path: libs/common }
  tools: { type: git, url: "https://git.example/tools.git", ref: v2, auth: forge }
git_auth:
  forge: { type: token, token: s3cret-token }
`

describe('git workspaces, libraries and git_auth in the server config', () => {
  it('resolves paths against the config folder and applies the git defaults', () => {
    const dir = configIn(GOOD)
    const { config } = loadConfig({ env: {}, cwd: dir })
    expect(config.workspace_cache_dir).to.equal(join(dir, '.weir/workspaces'))
    expect(config.libraries.common).to.deep.equal({
      type: 'folder',
      path: join(dir, 'libs/common'),
    })
    expect(config.workspaces.ops?.auth).to.deep.equal({
      type: 'ssh_key',
      key_path: join(dir, 'keys/ops'),
      username: 'x-access-token',
    })
  })

  it('reports every source problem at once, with its key path', () => {
    const dir = configIn(`
workspaces:
  a: { type: git }
  b: { type: git, url: x, auth: nope }
  c: { type: folder, path: c, auth: forge }
  common: { type: folder, path: x }
libraries:
  common: { type: folder, path: y }
  d: { type: folder }
git_auth:
  forge: { type: token, token: t }
  broken: { type: token }
`)
    expect(issuesOf(() => loadConfig({ env: {}, cwd: dir }))).to.deep.equal([
      `git_auth.broken.token: a token auth needs a token (in ${join(dir, 'server-config.yaml')})`,
    ])
    const fixed = configIn(`
workspaces:
  a: { type: git }
  b: { type: git, url: x, auth: nope }
  c: { type: folder, path: c, auth: forge }
  common: { type: folder, path: x }
libraries:
  common: { type: folder, path: y }
  d: { type: folder }
git_auth:
  forge: { type: token, token: t }
`)
    expect(issuesOf(() => loadConfig({ env: {}, cwd: fixed }))).to.deep.equal([
      'workspaces.a.url: a git workspace needs a url',
      "workspaces.b.auth: no git_auth entry named 'nope': git_auth has forge",
      'workspaces.c.auth: only git sources take auth',
      'libraries.common: a workspace has the same name; rename one of them',
      'libraries.d.path: a folder library needs a path',
    ])
  })

  it('takes a token from the environment as text, and never prints it', () => {
    const dir = configIn(GOOD)
    const { config } = loadConfig({ env: { WEIR__GIT_AUTH__FORGE__TOKEN: '1234567890' }, cwd: dir })
    expect(config.git_auth.forge?.token).to.equal('1234567890')
    const shown = JSON.stringify(redactConfig(config))
    expect(shown).not.to.contain('1234567890')
    expect(shown).to.contain('"token":"******"')
    const inline = configIn(
      'workspaces:\n  x: { type: git, url: u, auth: { type: token, token: inline-secret-1 } }\n',
    )
    const loaded = loadConfig({ env: {}, cwd: inline }).config
    expect(JSON.stringify(redactConfig(loaded))).not.to.contain('inline-secret-1')
  })
})
