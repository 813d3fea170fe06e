/**
 * The server config's `workspaces`, `libraries` and `git_auth` (already checked by the config
 * loader) as the registry and the library set take them: defaults applied (`ref` main,
 * `poll_interval_secs` 60) and each `auth` resolved to its credentials.
 */
import type { GitAuth } from './git-command.ts'
import type { LibrarySource } from './library-set.ts'
import type { WorkspaceSource } from './workspace-registry.ts'

/** `git_auth` entries and inline `auth`, as the server config holds them. */
export interface GitAuthConfig {
  readonly type: 'token' | 'ssh_key'
  readonly token?: string
  readonly username?: string
  readonly key_path?: string
  readonly key?: string
}

export interface SourceConfig {
  readonly type: 'folder' | 'git'
  readonly path?: string
  readonly url?: string
  readonly ref?: string
  readonly poll_interval_secs?: number
  readonly auth?: string | GitAuthConfig
}

export interface SourcesConfig {
  readonly workspaces: Readonly<Record<string, SourceConfig>>
  readonly libraries: Readonly<Record<string, SourceConfig>>
  readonly git_auth: Readonly<Record<string, GitAuthConfig>>
}

export const DEFAULT_GIT_REF = 'main'
export const DEFAULT_GIT_POLL_SECS = 60

function authOf(c: SourcesConfig, auth: SourceConfig['auth']): GitAuth | null {
  const a = typeof auth === 'string' ? c.git_auth[auth] : auth
  if (!a) return null
  if (a.type === 'token') {
    return { type: 'token', token: a.token ?? '', username: a.username ?? 'x-access-token' }
  }
  return { type: 'ssh_key', keyPath: a.key_path ?? null, key: a.key ?? null }
}

function gitOf(c: SourcesConfig, s: SourceConfig) {
  return {
    url: s.url ?? '',
    ref: s.ref ?? DEFAULT_GIT_REF,
    auth: authOf(c, s.auth),
    pollIntervalSecs: s.poll_interval_secs ?? DEFAULT_GIT_POLL_SECS,
  }
}

export function workspaceSources(c: SourcesConfig): Record<string, WorkspaceSource> {
  return Object.fromEntries(
    Object.entries(c.workspaces).map(([name, s]): [string, WorkspaceSource] =>
      s.type === 'git'
        ? [name, { type: 'git', git: gitOf(c, s) }]
        : [name, { type: 'folder', path: s.path }],
    ),
  )
}

export function librarySources(c: SourcesConfig): Record<string, LibrarySource> {
  return Object.fromEntries(
    Object.entries(c.libraries).map(([name, s]): [string, LibrarySource] => {
      if (s.type === 'folder') return [name, { type: 'folder', path: s.path ?? '' }]
      const { pollIntervalSecs, ...git } = gitOf(c, s)
      return [name, { type: 'git', git, pollIntervalSecs }]
    }),
  )
}
