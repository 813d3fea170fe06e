import { expect } from 'chai'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { loadConfig } from '../../../src/config/load-config.ts'
import { librarySources, workspaceSources } from '../../../src/workspace/workspace-sources.ts'

const YAML = `
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

describe('workspace and library sources from the server config (workspace-sources.ts)', () => {
  it('applies the git defaults (ref main, poll 60 s) and resolves each auth', () => {
    const dir = mkdtempSync(join(tmpdir(), 'weir-sources-'))
    writeFileSync(join(dir, 'server-config.yaml'), YAML)
    const { config } = loadConfig({ env: {}, cwd: dir })
    expect(workspaceSources(config)).to.deep.equal({
      app: {
        type: 'git',
        git: {
          url: 'https://git.example/app.git',
          ref: 'main',
          auth: { type: 'token', token: 's3cret-token', username: 'x-access-token' },
          pollIntervalSecs: 60,
        },
      },
      ops: {
        type: 'git',
        git: {
          url: 'git@git.example:ops.git',
          ref: 'release',
          auth: { type: 'ssh_key', keyPath: join(dir, 'keys/ops'), key: null },
          pollIntervalSecs: 15,
        },
      },
      local: { type: 'folder', path: join(dir, 'ws/local') },
    })
    expect(librarySources(config)).to.deep.equal({
      common: { type: 'folder', path: join(dir, 'libs/common') },
      tools: {
        type: 'git',
        git: {
          url: 'https://git.example/tools.git',
          ref: 'v2',
          auth: { type: 'token', token: 's3cret-token', username: 'x-access-token' },
        },
        pollIntervalSecs: 60,
      },
    })
  })
})
